"""Operations queries: readiness, queue and pool figures for metrics, and the SQLite online backup.

Read-only on purpose: a readiness probe or a metrics scrape runs every few seconds on every
process, so nothing here takes SQLite's write lock (`storage.migrate.pending_migrations` would, as
it creates its table when missing).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .db import Executor, PostgresDatabase, SQLiteDatabase


@dataclass(frozen=True)
class QueueStats:
    """One work queue: rows waiting, rows due now, and since when the oldest due row waits (ms)."""

    depth: int
    due: int
    oldest_due_at: int | None

    def lag_ms(self, now: int) -> int:
        """How long the oldest due row has been waiting; 0 when nothing is due."""
        return max(0, now - self.oldest_due_at) if self.oldest_due_at is not None else 0


async def ping(db: Executor) -> None:
    """Raise unless the database answers a trivial query."""
    await db.fetchval("SELECT 1")


async def applied_versions(db: Executor) -> set[int]:
    """Versions recorded in `schema_migrations` (raises if the table does not exist)."""
    rows = await db.fetchall("SELECT version FROM schema_migrations")
    return {int(r["version"]) for r in rows}


async def queue_stats(db: Executor, now: int) -> dict[str, QueueStats]:
    """Depth and lag of the three federation queues: `deliveries`, `inbox_items`, `outbox_activities`.

    A delivery to a host whose circuit is open is not due: a peer that is down must not make this
    instance look unhealthy (the breaker already tells us, in the `hosts` table).
    """
    delivery = await db.fetchone(
        "SELECT COUNT(*) AS depth,"
        " SUM(CASE WHEN d.next_attempt_at <= ? AND h.domain IS NULL THEN 1 ELSE 0 END) AS due,"
        " MIN(CASE WHEN d.next_attempt_at <= ? AND h.domain IS NULL THEN d.next_attempt_at END) AS oldest"
        " FROM deliveries d LEFT JOIN hosts h ON h.domain = d.host AND h.circuit_open_until > ?"
        " WHERE d.state = 'queued'",
        (now, now, now),
    )
    inbox = await db.fetchone(
        "SELECT COUNT(*) AS depth, SUM(CASE WHEN next_attempt_at <= ? THEN 1 ELSE 0 END) AS due,"
        " MIN(CASE WHEN next_attempt_at <= ? THEN next_attempt_at END) AS oldest"
        " FROM inbox_items WHERE state = 'queued'",
        (now, now),
    )
    outbox = await db.fetchone(
        "SELECT COUNT(*) AS depth, COUNT(*) AS due, MIN(created_at) AS oldest FROM outbox_activities"
        " WHERE state = 'queued'"
    )
    return {
        "deliveries": _queue(delivery),
        "inbox_items": _queue(inbox),
        "outbox_activities": _queue(outbox),
    }


def _queue(row: Any) -> QueueStats:
    if row is None:
        return QueueStats(0, 0, None)
    oldest = row["oldest"]
    return QueueStats(int(row["depth"] or 0), int(row["due"] or 0), int(oldest) if oldest is not None else None)


async def deliveries_by_host(db: Executor) -> list[tuple[str, str, int]]:
    """(host, state, rows) for every delivery still held (finished ones are purged after a while)."""
    rows = await db.fetchall("SELECT host, state, COUNT(*) AS n FROM deliveries GROUP BY host, state ORDER BY host, state")
    return [(str(r["host"]), str(r["state"]), int(r["n"])) for r in rows]


async def inbox_by_state(db: Executor) -> dict[str, int]:
    """Received activities per state (queued, done, failed, ignored)."""
    rows = await db.fetchall("SELECT state, COUNT(*) AS n FROM inbox_items GROUP BY state")
    return {str(r["state"]): int(r["n"]) for r in rows}


def pool_stats(db: Any) -> dict[str, int]:
    """Connections of the database handle: `size`, `idle`, `max` (PostgreSQL pool) or SQLite's fixed set."""
    if isinstance(db, PostgresDatabase) and db.pool is not None:
        pool = db.pool
        return {"size": pool.get_size(), "idle": pool.get_idle_size(), "max": pool.get_max_size()}
    if isinstance(db, SQLiteDatabase):
        # One writer and the readers; the writer is busy while its lock is held.
        size = 1 + len(db._readers)
        busy = 1 if db._write_lock.locked() else 0
        return {"size": size, "idle": size - busy, "max": size}
    return {}


# --- SQLite online backup ------------------------------------------------------------------------

def sqlite_backup(source: Path, destination: Path) -> None:
    """Copy a live SQLite database into `destination` with SQLite's online backup API.

    The copy is one step, so it is a consistent snapshot even while the instance writes (in WAL mode
    readers never block the writer). The result is a single self-contained file (rollback journal,
    no -wal) that passes `PRAGMA quick_check`.
    """
    if not source.is_file():
        raise FileNotFoundError(f"no SQLite database at {source}")
    src = sqlite3.connect(str(source), timeout=30)
    try:
        dst = sqlite3.connect(str(destination))
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
            check = dst.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                raise sqlite3.DatabaseError(f"the backup copy failed its integrity check: {check}")
        finally:
            dst.close()
    finally:
        src.close()


def sqlite_in_use(path: Path) -> bool:
    """Whether another process has the SQLite database at `path` open (a running instance)."""
    if not path.exists():
        return False
    conn = sqlite3.connect(str(path), timeout=0.2)
    try:
        # Exclusive locking mode needs every other connection gone, WAL readers included.
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("ROLLBACK")
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()
    return False


def sqlite_versions(path: Path) -> set[int]:
    """Migration versions recorded in an SQLite file (empty when it has none)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT version FROM schema_migrations").fetchall()
    except sqlite3.OperationalError:
        return set()
    finally:
        conn.close()
    return {int(r[0]) for r in rows}


def sqlite_row_counts(path: Path) -> dict[str, int]:
    """Rows per table of an SQLite file (a backup's manifest records them)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )]
        return {name: int(conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]) for name in names}
    finally:
        conn.close()
