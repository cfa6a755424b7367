"""`atrium backup` and `atrium restore`: the database and the media folder in one .tar.gz.

An archive holds `manifest.json` (what, when, which instance and migrations, rows per table), the
database (`atrium.db`, an SQLite online-backup snapshot, or `database.dump`, pg_dump's custom
format), `media/` and the instance's `secret_key`. It holds password hashes and private keys:
keep it as secret as the server itself (it is written with mode 0600).

On PostgreSQL the dump is pg_dump's job: `--pg-dump` runs it (it must be installed and of the
server's major version or newer); without it the command to run is printed, and the archive holds
the media folder only. The password never appears on a command line: it goes in PGPASSWORD.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

from storage import maintenance
from storage.db import sqlite_path_from_url
from storage.migrate import available_migrations

from .config import Settings

FORMAT = 1
Say = Callable[[str], None]


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why and what to do."""


def is_sqlite(settings: Settings) -> bool:
    return settings.database_url.startswith("sqlite:")


def stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime())


# --- PostgreSQL tools: the password goes in the environment, never on a command line -------------

@dataclass(frozen=True)
class PgCommand:
    argv: list[str]
    env: dict[str, str]

    def display(self) -> str:
        hint = "PGPASSWORD=… " if "PGPASSWORD" in self.env else ""
        return hint + " ".join(self.argv)


def _split_password(url: str) -> tuple[str, dict[str, str]]:
    parsed = urlparse(url)
    if not parsed.password:
        return url, {}
    credentials, host = parsed.netloc.rsplit("@", 1)
    user = credentials.split(":", 1)[0]     # still percent-encoded, as the URL needs it
    return urlunparse(parsed._replace(netloc=f"{user}@{host}")), {"PGPASSWORD": parsed.password}


def pg_dump_command(url: str, output: Path) -> PgCommand:
    clean, env = _split_password(url)
    return PgCommand(["pg_dump", "--format=custom", "--no-owner", f"--file={output}", f"--dbname={clean}"], env)


def pg_restore_command(url: str, dump: Path) -> PgCommand:
    clean, env = _split_password(url)
    return PgCommand(["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error",
                      f"--dbname={clean}", str(dump)], env)


def _run(command: PgCommand) -> None:
    if shutil.which(command.argv[0]) is None:
        raise BackupError(f"{command.argv[0]} is not installed here; run this instead, where it is:\n  {command.display()}")
    done = subprocess.run(command.argv, env={**os.environ, **command.env}, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command.argv[0]} failed: {done.stderr.strip() or done.returncode}")


# --- backup ----------------------------------------------------------------------------------------

def default_output(settings: Settings) -> Path:
    return settings.data_dir / "backups" / f"atrium-{settings.host}-{stamp()}.tar.gz"


def backup(settings: Settings, output: Path, *, run_pg_dump: bool = False, say: Say = print) -> Path:
    """Write a backup archive to `output`; returns its path."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".atrium-backup-") as work:
        staging = Path(work)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "base_url": settings.base_url,
            "engine": "sqlite" if is_sqlite(settings) else "postgresql",
        }
        database: Path | None = None
        if is_sqlite(settings):
            database = staging / "atrium.db"
            source = Path(sqlite_path_from_url(settings.database_url))
            maintenance.sqlite_backup(source, database)
            manifest["migrations"] = sorted(maintenance.sqlite_versions(database))
            manifest["tables"] = maintenance.sqlite_row_counts(database)
        else:
            command = pg_dump_command(settings.database_url, staging / "database.dump")
            if run_pg_dump:
                _run(command)
                database = staging / "database.dump"
            else:
                say("PostgreSQL: dump the database with pg_dump (or run `atrium backup --pg-dump`):\n  "
                    + pg_dump_command(settings.database_url, Path(f"atrium-{stamp()}.dump")).display())
        media = settings.media_dir
        manifest["media_files"] = sum(1 for p in media.rglob("*") if p.is_file()) if media.is_dir() else 0
        manifest["database"] = database.name if database else None
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2))

        partial = staging / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(staging / "manifest.json", "manifest.json")
            if database is not None:
                archive.add(database, database.name)
            if media.is_dir():
                archive.add(media, "media")
            secret = settings.data_dir / "secret_key"
            if secret.is_file():
                archive.add(secret, "secret_key")
        os.chmod(partial, 0o600)
        partial.replace(output)
    return output


# --- restore ---------------------------------------------------------------------------------------

_TOP_LEVEL = ("manifest.json", "atrium.db", "database.dump", "secret_key", "media")


def _safe_members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for member in archive.getmembers():
        name = member.name
        parts = Path(name).parts
        if name.startswith("/") or ".." in parts or not parts or parts[0] not in _TOP_LEVEL:
            raise BackupError(f"not an Atrium backup: unexpected entry {name!r}")
        if not (member.isfile() or member.isdir()):
            raise BackupError(f"not an Atrium backup: {name!r} is not a plain file")
        members.append(member)
    return members


def read_manifest(archive_path: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            handle = archive.extractfile("manifest.json")
            if handle is None:
                raise KeyError("manifest.json")
            manifest: dict[str, Any] = json.loads(handle.read())
    except (OSError, KeyError, ValueError, tarfile.TarError) as exc:
        raise BackupError(f"{archive_path} is not an Atrium backup ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive_path}: unsupported backup format {manifest.get('format')!r}")
    return manifest


def _move_aside(path: Path, suffix: str, say: Say) -> None:
    if path.exists():
        aside = path.with_name(f"{path.name}.before-restore-{suffix}")
        path.replace(aside)
        say(f"kept the previous {path.name} as {aside}")


def restore(settings: Settings, archive_path: Path, *, force: bool = False, run_pg_restore: bool = False,
            say: Say = print) -> None:
    """Put a backup archive back in place of this instance's database and media (atrium stopped)."""
    manifest = read_manifest(archive_path)
    if manifest.get("base_url") != settings.base_url:
        raise BackupError(
            f"this backup is of {manifest.get('base_url')}, not {settings.base_url}: set ATRIUM_DOMAIN and"
            " ATRIUM_SCHEME to the backed-up instance's (actor ids embed the domain)"
        )
    unknown = set(manifest.get("migrations") or []) - {m.version for m in available_migrations()}
    if unknown:
        raise BackupError(f"this backup was made by a newer Atrium (migrations {sorted(unknown)}): upgrade first")
    engine = "sqlite" if is_sqlite(settings) else "postgresql"
    if manifest.get("engine") != engine:
        raise BackupError(
            f"this is a {manifest.get('engine')} backup and ATRIUM_DATABASE_URL is {engine}: restore it on the same"
            " engine (then `atrium migrate sqlite-to-postgres` to move it to PostgreSQL)"
        )
    target = Path(sqlite_path_from_url(settings.database_url)) if engine == "sqlite" else None
    if target is not None:
        if maintenance.sqlite_in_use(target):
            raise BackupError(f"{target} is in use: stop atrium (every process) before restoring")
        if target.exists() and not force:
            raise BackupError(f"{target} exists: pass --force to replace it (it is kept aside, not deleted)")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    suffix = stamp()
    with tempfile.TemporaryDirectory(dir=settings.data_dir, prefix=".atrium-restore-") as work:
        staging = Path(work)
        with tarfile.open(archive_path, "r:gz") as archive:
            archive.extractall(staging, members=_safe_members(archive), filter="data")
        if target is not None:
            restored = staging / "atrium.db"
            if not restored.is_file():
                raise BackupError("this backup holds no SQLite database")
            _move_aside(target, suffix, say)
            for extra in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
                # A leftover write-ahead log would be replayed into the restored file: never keep it.
                extra.unlink(missing_ok=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(restored), str(target))
            say(f"restored the database to {target}")
        elif (staging / "database.dump").is_file():
            command = pg_restore_command(settings.database_url, staging / "database.dump")
            if run_pg_restore:
                _run(command)
                say("restored the PostgreSQL database with pg_restore")
            else:
                kept = settings.data_dir / f"database-{suffix}.dump"
                shutil.move(str(staging / "database.dump"), str(kept))
                say("PostgreSQL: restore the database with (or run `atrium restore --pg-restore`):\n  "
                    + pg_restore_command(settings.database_url, kept).display())
        if (staging / "media").is_dir():
            _move_aside(settings.media_dir, suffix, say)
            shutil.move(str(staging / "media"), str(settings.media_dir))
            say(f"restored {manifest.get('media_files', 0)} media file(s) to {settings.media_dir}")
        secret = staging / "secret_key"
        current = settings.data_dir / "secret_key"
        if secret.is_file() and (not current.exists() or secret.read_bytes() != current.read_bytes()):
            _move_aside(current, suffix, say)
            shutil.move(str(secret), str(current))
            os.chmod(current, 0o600)
