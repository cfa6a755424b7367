"""`atrium accounts suspend|unsuspend|silence|unsilence|delete HANDLE` and `atrium audit`: moderation
from the command line, written to the audit log like the admin API's (server/services/moderation.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from storage import accounts as account_store
from storage import audit

from .cli import EXIT_OK, EXIT_REFUSED, _with_context
from .config import Settings
from .context import Context
from .mastodon.common import iso
from .services import moderation
from .services.statuses import ServiceError


def cmd_moderate(settings: Settings, args: argparse.Namespace) -> int:
    async def run(ctx: Context) -> int:
        username, _, domain = args.handle.lstrip("@").partition("@")
        if domain.lower() in ("", ctx.domain):
            row = await account_store.get_local_by_username(ctx.db, username)
        else:
            row = await account_store.get_by_handle(ctx.db, username, domain.lower())
        if row is None:
            print(f"atrium: no account {args.handle!r}", file=sys.stderr)
            return EXIT_REFUSED
        try:
            await moderation.moderate(ctx, int(row["id"]), args.action, moderator_id=None, reason=args.reason)
        except ServiceError as exc:
            print(f"atrium: {exc.message}", file=sys.stderr)
            return EXIT_REFUSED
        print(f"{args.action}: {args.handle}")
        return EXIT_OK

    return asyncio.run(_with_context(settings, run))


def cmd_audit(settings: Settings, args: argparse.Namespace) -> int:
    async def run(ctx: Context) -> int:
        for row in await audit.recent(ctx.db, limit=args.limit):
            by = f"account {row['account_id']}" if row["account_id"] else "the command line"
            data = json.loads(row["data"] or "{}")
            print(f"{iso(int(row['created_at']))}  {row['action']:<22} {row['target_type']} {row['target_id']}"
                  f"  by {by}  {json.dumps(data, ensure_ascii=False) if data else ''}".rstrip())
        return EXIT_OK

    return asyncio.run(_with_context(settings, run))


def register(subparsers: Any) -> None:
    accounts = subparsers.add_parser("accounts", help="moderate accounts (audited)").add_subparsers(
        dest="accounts_command", required=True)
    for action in moderation.ACTIONS:
        sub = accounts.add_parser(action, help=f"{action} an account (user, or user@host for a remote one)")
        sub.add_argument("handle")
        sub.add_argument("--reason", default="", help="why, for the audit log")
        sub.set_defaults(func=cmd_moderate, action=action)
    log = subparsers.add_parser("audit", help="the audit log of admin actions, newest first")
    log.add_argument("--limit", type=int, default=50)
    log.set_defaults(func=cmd_audit)
