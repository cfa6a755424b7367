"""Read positions in timelines (Mastodon's markers): where an employee stopped reading, per timeline."""

from __future__ import annotations

from collections.abc import Sequence

from .db import Executor, Row
from .ids import now_ms

TIMELINES = ("home", "notifications")


async def get(db: Executor, account_id: int, timelines: Sequence[str]) -> dict[str, Row]:
    names = [t for t in dict.fromkeys(timelines) if t in TIMELINES]
    if not names:
        return {}
    marks = ",".join("?" * len(names))
    rows = await db.fetchall(
        f"SELECT timeline, last_read_id, version, updated_at FROM markers WHERE account_id = ? AND timeline IN ({marks})",
        (account_id, *names),
    )
    return {r["timeline"]: r for r in rows}


async def save(tx: Executor, account_id: int, timeline: str, last_read_id: int) -> None:
    """Move a marker (its version counts the moves, so clients can tell theirs from another's)."""
    if timeline not in TIMELINES:
        raise ValueError(timeline)
    await tx.execute(
        "INSERT INTO markers (account_id, timeline, last_read_id, version, updated_at) VALUES (?, ?, ?, 0, ?)"
        " ON CONFLICT (account_id, timeline) DO UPDATE SET last_read_id = excluded.last_read_id,"
        " version = markers.version + 1, updated_at = excluded.updated_at",
        (account_id, timeline, last_read_id, now_ms()),
    )
