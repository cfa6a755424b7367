"""`atrium tokens create USER --scopes …`: an API token for a script or bot, minted by an admin.

The token is printed once (only its hash is stored); it shows up, and can be revoked, in the
person's "authorized apps" like any app's.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from storage import accounts as account_store

from .cli import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, _with_context
from .config import Settings
from .context import Context
from .oauth import scopes as scope_model
from .services.oauth import mint_token

DEFAULT_SCOPES = "read write follow"


def cmd_tokens_create(settings: Settings, args: argparse.Namespace) -> int:
    try:
        wanted = scope_model.parse(" ".join(args.scopes) if args.scopes else DEFAULT_SCOPES)
    except scope_model.InvalidScope as exc:
        print(f"atrium: unknown scope {exc}; known scopes: {' '.join(scope_model.ALL)}", file=sys.stderr)
        return EXIT_USAGE

    async def run(ctx: Context) -> int:
        account = await account_store.get_local_by_username(ctx.db, args.user.lstrip("@"))
        if account is None or account["actor_type"] == "Application":
            print(f"atrium: no local account named {args.user!r}", file=sys.stderr)
            return EXIT_REFUSED
        if account["suspended_at"] is not None:
            print(f"atrium: @{account['username']} is suspended", file=sys.stderr)
            return EXIT_REFUSED
        token = await mint_token(ctx, int(account["id"]), wanted, app_name=args.name)
        print(token, flush=True)
        print(f"token for @{account['username']} with scopes: {' '.join(wanted)} (shown once, keep it safe)",
              file=sys.stderr, flush=True)
        return EXIT_OK

    return asyncio.run(_with_context(settings, run))


def register(subparsers: Any) -> None:
    tokens = subparsers.add_parser("tokens", help="API tokens for scripts and bots").add_subparsers(
        dest="tokens_command", required=True)
    create = tokens.add_parser("create", help="mint an API token for an account (printed once)")
    create.add_argument("user", help="username of a local account")
    create.add_argument("--scopes", nargs="+", metavar="SCOPE",
                        help=f"OAuth scopes, e.g. read write:statuses (default: {DEFAULT_SCOPES})")
    create.add_argument("--name", default="Personal access token", help="what the token is for (shown to the person)")
    create.set_defaults(func=cmd_tokens_create)
