"""Versioned schema migrations: numbered .sql files applied in order, each in its own transaction.

A migration and its row in `schema_migrations` commit together, so running `migrate` twice does
nothing the second time, and a migration interrupted half-way leaves no trace and is applied again
next time. The same files serve SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from importlib import resources

from .db import Database

# NNNN_name.sql runs on both engines; NNNN_name.sqlite.sql / NNNN_name.postgresql.sql on one only
# (the same version number, so the history of both engines lines up).
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)(?:\.(sqlite|postgresql))?\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations(dialect: str = "sqlite") -> list[Migration]:
    """Every migration shipped with Atrium for this engine, lowest version first."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match and match.group(3) in (None, dialect):
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a version: {versions}")
    return found


def split_statements(sql: str) -> list[str]:
    """Split a migration into statements (our migrations keep `--` and `;` out of string literals)."""
    lines = [line.split("--", 1)[0].rstrip() for line in sql.splitlines()]
    return [chunk.strip() for chunk in "\n".join(lines).split(";") if chunk.strip()]


async def _ensure_table(db: Database) -> None:
    await db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
    )


async def applied_versions(db: Database) -> set[int]:
    await _ensure_table(db)
    rows = await db.fetchall("SELECT version FROM schema_migrations")
    return {int(r["version"]) for r in rows}


async def pending_migrations(db: Database) -> list[Migration]:
    done = await applied_versions(db)
    return [m for m in available_migrations(db.dialect) if m.version not in done]


async def migrate(db: Database) -> list[Migration]:
    """Apply every pending migration; returns those applied now."""
    applied = []
    for migration in await pending_migrations(db):
        async with db.transaction() as tx:
            # Another process may have applied it while we waited for the write lock.
            if await tx.fetchval("SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)):
                continue
            for statement in split_statements(migration.sql):
                await tx.execute(statement)
            await tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, int(time.time() * 1000)),
            )
        applied.append(migration)
    return applied
