"""The `atrium` command: serve, migrate, manage users and invites. Exit codes: 0 ok, 1 refused
(a message says why), 2 bad usage or configuration."""

from __future__ import annotations

import argparse
import asyncio
import ssl
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from storage import accounts as account_store
from storage.db import DatabaseError, connect
from storage.migrate import migrate, pending_migrations

from .config import ConfigError, Settings, load_settings
from .context import Context, make_context
from .http_protocol import ClosingHttpToolsProtocol
from .services import accounts as account_service
from .services.accounts import AccountError

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def _print(message: str) -> None:
    print(message, flush=True)


def _fail(message: str, code: int = EXIT_REFUSED) -> int:
    print(f"atrium: {message}", file=sys.stderr, flush=True)
    return code


async def _with_context(settings: Settings, action: Callable[[Context], Awaitable[int]]) -> int:
    db = await connect(settings.database_url)
    try:
        await migrate(db)
        ctx = make_context(settings, db)
        await account_service.ensure_instance_actor(ctx)
        return await action(ctx)
    finally:
        await db.close()


async def ensure_first_admin(ctx: Context) -> str | None:
    """Create `admin` with a one-time password when no admin exists; returns the message to print."""
    if await account_store.count_admins(ctx.db):
        return None
    created = await account_service.create_account(ctx, "admin", generate=True, admin=True, display_name="Administrator")
    return (
        "First start: an administrator account was created.\n"
        f"  Sign in at {ctx.urls.base}/auth/sign_in\n"
        f"  username: admin\n  password: {created.password}   (one-time: you will be asked to change it)\n"
        f"  Invite colleagues with: atrium invites create"
    )


def tls_files(settings: Settings, args: argparse.Namespace) -> tuple[str | None, str | None]:
    """The certificate and key `serve` speaks TLS with (options win over settings), checked now so a
    wrong file is one line of error rather than a traceback from inside uvicorn."""
    certfile = args.ssl_certfile or settings.tls_cert_file
    keyfile = args.ssl_keyfile or (None if args.ssl_certfile else settings.tls_key_file)
    if keyfile and not certfile:
        raise ConfigError("--ssl-keyfile needs --ssl-certfile (or ATRIUM_TLS_CERT_FILE)")
    if certfile is None:
        return None, None
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except ssl.SSLError:
        names = certfile + (f" and {keyfile}" if keyfile else "")
        raise ConfigError(f"TLS: {names}: not a PEM certificate chain with its matching private key") from None
    except OSError as exc:
        raise ConfigError(f"TLS: {exc.filename or certfile}: {exc.strerror or exc}") from None
    return certfile, keyfile


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    try:
        certfile, keyfile = tls_files(settings, args)
    except ConfigError as exc:
        return _fail(str(exc), EXIT_USAGE)

    async def prepare(ctx: Context) -> int:
        message = await ensure_first_admin(ctx)
        if message:
            _print(message)
        return EXIT_OK

    asyncio.run(_with_context(settings, prepare))
    _print(f"Atrium is serving {settings.base_url} on {'https' if certfile else 'http'}://{args.host}:{args.port}")
    uvicorn.run(
        "server.asgi:app_from_env", factory=True, host=args.host, port=args.port, workers=args.workers or None,
        ssl_certfile=certfile, ssl_keyfile=keyfile, http=ClosingHttpToolsProtocol,
        log_level=settings.log_level, proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=",".join(settings.trusted_proxies) or None, timeout_graceful_shutdown=10,
        access_log=False,  # server/access_log.py writes one structured line per request
    )
    return EXIT_OK


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    async def run() -> int:
        db = await connect(settings.database_url)
        try:
            if args.check:
                pending = await pending_migrations(db)
                _print(f"{len(pending)} pending migration(s)" + "".join(f"\n  {m.version:04d}_{m.name}" for m in pending))
                return EXIT_REFUSED if pending else EXIT_OK
            applied = await migrate(db)
            _print(f"applied {len(applied)} migration(s)" + "".join(f"\n  {m.version:04d}_{m.name}" for m in applied))
            return EXIT_OK
        finally:
            await db.close()

    return asyncio.run(run())


def cmd_users_create(settings: Settings, args: argparse.Namespace) -> int:
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            return _fail("no password on standard input")

    async def run(ctx: Context) -> int:
        try:
            created = await account_service.create_account(
                ctx, args.name, password=password, generate=password is None, admin=args.admin,
                display_name=args.display_name or "", department=args.department, title=args.title,
                manager=args.manager, location=args.location, email=args.email,
            )
        except AccountError as exc:
            return _fail(str(exc))
        _print(f"created @{created.username}@{ctx.domain} (id {created.account_id})")
        if created.password:
            _print(f"one-time password: {created.password}")
        return EXIT_OK

    return asyncio.run(_with_context(settings, run))


def cmd_users_list(settings: Settings, args: argparse.Namespace) -> int:
    async def run(ctx: Context) -> int:
        rows = await account_store.list_users(ctx.db)
        _print(f"{'username':<24} {'role':<10} {'department':<20} {'title':<24} status")
        for row in rows:
            status = "suspended" if row["suspended_at"] else "active"
            _print(f"{row['username']:<24} {row['role']:<10} {(row['department'] or ''):<20} {(row['title'] or ''):<24} {status}")
        return EXIT_OK

    return asyncio.run(_with_context(settings, run))


def cmd_invites_create(settings: Settings, args: argparse.Namespace) -> int:
    async def run(ctx: Context) -> int:
        code = await account_service.create_invite(
            ctx, created_by_id=None, max_uses=args.max_uses or None, expires_in_days=args.days or None
        )
        _print(account_service.invite_url(ctx, code))
        return EXIT_OK

    return asyncio.run(_with_context(settings, run))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="atrium", description="Atrium: your company's federated social network")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web server (and, by default, the federation workers)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="web worker processes")
    serve.add_argument("--ssl-certfile", help="serve TLS with this PEM certificate chain (ATRIUM_TLS_CERT_FILE)")
    serve.add_argument("--ssl-keyfile", help="its private key, unless in the certificate file (ATRIUM_TLS_KEY_FILE)")
    serve.set_defaults(func=cmd_serve)

    mig = sub.add_parser("migrate", help="apply pending database migrations")
    mig.add_argument("--check", action="store_true", help="only report pending migrations (exit 1 if any)")
    mig.set_defaults(func=cmd_migrate)

    users = sub.add_parser("users", help="manage employees' accounts").add_subparsers(dest="users_command", required=True)
    create = users.add_parser("create", help="create an account")
    create.add_argument("name")
    create.add_argument("--admin", action="store_true")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.add_argument("--display-name")
    create.add_argument("--department")
    create.add_argument("--title")
    create.add_argument("--manager", help="username of the manager (a local account)")
    create.add_argument("--location")
    create.add_argument("--email")
    create.set_defaults(func=cmd_users_create)
    listing = users.add_parser("list", help="list accounts")
    listing.set_defaults(func=cmd_users_list)

    invites = sub.add_parser("invites", help="manage invites").add_subparsers(dest="invites_command", required=True)
    inv = invites.add_parser("create", help="create an invite link")
    inv.add_argument("--max-uses", type=int, default=1, help="0 for unlimited")
    inv.add_argument("--days", type=int, default=7, help="days before it expires, 0 for never")
    inv.set_defaults(func=cmd_invites_create)

    for register in EXTRA_COMMANDS:
        register(sub)
    return parser


# Other modules add their commands here (peers, tokens, worker, backup…): callables taking the subparsers.
EXTRA_COMMANDS: list[Callable[[Any], None]] = []


def _load_extra_commands() -> None:
    for name in ("server.cli_federation", "server.cli_tokens", "server.cli_ops", "server.cli_worker",
                 "server.cli_moderation"):
        try:
            module = __import__(name, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise
        if module.register not in EXTRA_COMMANDS:
            EXTRA_COMMANDS.append(module.register)


def main(argv: list[str] | None = None) -> int:
    _load_extra_commands()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        from .ops_settings import OpsSettings

        OpsSettings.from_env()
    except ConfigError as exc:
        return _fail(str(exc), EXIT_USAGE)
    try:
        return int(args.func(settings, args))
    except (DatabaseError, AccountError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
