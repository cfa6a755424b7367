"""Operations commands of `atrium`: backup, restore, export, and moving an instance to PostgreSQL.

    atrium backup [--output FILE] [--pg-dump]
    atrium restore FILE [--force] [--pg-restore]
    atrium export USER [--output FILE]
    atrium migrate sqlite-to-postgres SQLITE_URL POSTGRES_URL [--schema NAME] [--batch-size N]

Exit codes as the rest of the command: 0 done, 1 refused or failed (a message says why), 2 usage.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from storage import engine_copy
from storage.db import Database, connect, sqlite_path_from_url
from storage.migrate import migrate, pending_migrations

from .cli import EXIT_OK, EXIT_USAGE, _fail, _print, _with_context
from .config import Settings
from .context import Context
from .ops_backup import BackupError, backup, default_output, restore
from .ops_export import ExportError, export_account


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    output = Path(args.output) if args.output else default_output(settings)
    try:
        written = backup(settings, output, run_pg_dump=args.pg_dump, say=_print)
    except (BackupError, OSError) as exc:
        return _fail(str(exc))
    _print(f"backup written to {written}")
    return EXIT_OK


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    try:
        restore(settings, Path(args.archive), force=args.force, run_pg_restore=args.pg_restore, say=_print)
    except (BackupError, OSError) as exc:
        return _fail(str(exc))
    _print("restore complete: start atrium (it applies any newer migrations at start)")
    return EXIT_OK


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    output = Path(args.output) if args.output else Path(f"atrium-export-{args.user}.zip")

    async def run(ctx: Context) -> int:
        try:
            summary = await export_account(ctx, args.user, output)
        except ExportError as exc:
            return _fail(str(exc))
        _print(
            f"archive of @{args.user} written to {summary.path}: {summary.statuses} post(s), {summary.likes} like(s),"
            f" {summary.bookmarks} bookmark(s), {summary.followers} follower(s), {summary.following} followed,"
            f" {summary.media_files} media file(s)"
            + (f"; {summary.skipped} boost(s) of posts that cannot leave the instance left out" if summary.skipped else "")
        )
        return EXIT_OK

    return asyncio.run(_with_context(settings, run))


def _sqlite_url(value: str) -> str:
    return value if value.startswith("sqlite:") else f"sqlite:///{Path(value).resolve()}"


def cmd_sqlite_to_postgres(settings: Settings, args: argparse.Namespace) -> int:
    source_url = _sqlite_url(args.sqlite_url)
    if not args.postgres_url.startswith(("postgresql://", "postgres://")):
        return _fail(f"not a PostgreSQL URL: {args.postgres_url!r}", EXIT_USAGE)
    path = sqlite_path_from_url(source_url)
    if path == ":memory:" or not Path(path).is_file():
        return _fail(f"no SQLite database at {path}")
    return asyncio.run(_copy(source_url, args.postgres_url, args.schema, args.batch_size))


async def _copy(source_url: str, target_url: str, schema: str | None, batch_size: int) -> int:
    source: Database = await connect(source_url)
    try:
        pending = await pending_migrations(source)
        if pending:
            return _fail(f"the SQLite database has {len(pending)} pending migration(s): run `atrium migrate` on it first")
        target: Database = await connect(target_url, schema=schema)
        try:
            applied = await migrate(target)
            _print(f"PostgreSQL: applied {len(applied)} migration(s)")
            try:
                await engine_copy.copy_database(
                    source, target, batch_size=batch_size,
                    progress=lambda table, rows: _print(f"  copied {table}: {rows} row(s)"),
                )
            except engine_copy.CopyError as exc:
                return _fail(str(exc))
            checks = await engine_copy.verify(source, target)
        finally:
            await target.close()
    finally:
        await source.close()
    _print(f"{'table':<28} {'sqlite':>10} {'postgresql':>10}  checksum")
    for check in checks:
        verdict = "ok" if check.ok else "MISMATCH"
        _print(f"{check.table:<28} {check.source_rows:>10} {check.target_rows:>10}  {verdict}")
    bad = [c.table for c in checks if not c.ok]
    if bad:
        return _fail(f"the copy differs from the source in {', '.join(bad)} (was atrium still running?)")
    _print("every table matches. Next: set ATRIUM_DATABASE_URL to the PostgreSQL URL and start atrium"
           " (keep the data folder: it holds the media files and the secret key)")
    return EXIT_OK


def _add_copy_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sqlite_url", metavar="SQLITE_URL", help="sqlite:///path/to/atrium.db (or a file path)")
    parser.add_argument("postgres_url", metavar="POSTGRES_URL", help="postgresql://user@host/database (empty)")
    parser.add_argument("--schema", help="PostgreSQL schema to copy into (default: the user's search_path)")
    parser.add_argument("--batch-size", type=int, default=1000, help="rows per batch (default 1000)")
    parser.set_defaults(func=cmd_sqlite_to_postgres)


def register(sub: Any) -> None:
    """Add the operations commands to `atrium`'s subcommands."""
    bk = sub.add_parser("backup", help="back up the database and media into one .tar.gz")
    bk.add_argument("--output", help="archive to write (default: DATA_DIR/backups/atrium-HOST-STAMP.tar.gz)")
    bk.add_argument("--pg-dump", action="store_true", help="PostgreSQL: run pg_dump into the archive")
    bk.set_defaults(func=cmd_backup)

    rs = sub.add_parser("restore", help="restore a backup archive (stop atrium first)")
    rs.add_argument("archive", help="the .tar.gz written by `atrium backup`")
    rs.add_argument("--force", action="store_true", help="replace an existing database (kept aside, not deleted)")
    rs.add_argument("--pg-restore", action="store_true", help="PostgreSQL: run pg_restore from the archive")
    rs.set_defaults(func=cmd_restore)

    ex = sub.add_parser("export", help="an employee's data as an ActivityPub archive (zip)")
    ex.add_argument("user", help="username of a local account")
    ex.add_argument("--output", help="zip to write (default: ./atrium-export-USER.zip)")
    ex.set_defaults(func=cmd_export)

    migrate_parser = sub.choices.get("migrate")
    if isinstance(migrate_parser, argparse.ArgumentParser) and getattr(migrate_parser, "_subparsers", None) is None:
        tools = migrate_parser.add_subparsers(dest="migrate_command", metavar="{sqlite-to-postgres}")
        _add_copy_arguments(tools.add_parser("sqlite-to-postgres", help="copy an SQLite instance into PostgreSQL"))
    else:
        db = sub.add_parser("db", help="database tools").add_subparsers(dest="db_command", required=True)
        _add_copy_arguments(db.add_parser("sqlite-to-postgres", help="copy an SQLite instance into PostgreSQL"))
