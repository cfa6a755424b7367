"""Announcements (must-read notes from the company) as employees see them, and who read them."""

from __future__ import annotations

from .db import Executor, Row
from .ids import now_ms


async def current(db: Executor, account_id: int, *, include_read: bool = True) -> list[tuple[Row, bool]]:
    """Announcements running now, newest first, each with whether `account_id` has read it."""
    now = now_ms()
    rows = await db.fetchall(
        "SELECT a.*, CASE WHEN r.account_id IS NULL THEN 0 ELSE 1 END AS is_read FROM announcements a"
        " LEFT JOIN announcement_reads r ON r.announcement_id = a.id AND r.account_id = ?"
        " WHERE (a.starts_at IS NULL OR a.starts_at <= ?) AND (a.ends_at IS NULL OR a.ends_at > ?)"
        " ORDER BY a.published_at DESC, a.id DESC LIMIT 100",
        (account_id, now, now),
    )
    return [(r, bool(r["is_read"])) for r in rows if include_read or not r["is_read"]]


async def mark_read(db: Executor, announcement_id: int, account_id: int) -> bool:
    """Dismiss an announcement for one reader; False when it does not exist."""
    if not await db.fetchval("SELECT 1 FROM announcements WHERE id = ?", (announcement_id,)):
        return False
    await db.execute(
        "INSERT INTO announcement_reads (announcement_id, account_id, read_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        (announcement_id, account_id, now_ms()),
    )
    return True
