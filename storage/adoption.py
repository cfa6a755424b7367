"""Adoption analytics: per employee and UTC day, how often they posted, read and reacted."""

from __future__ import annotations

import time
from typing import Any

from .db import Executor, Row

KINDS = ("posts", "reads", "reactions")


def day_of(ms: int | None = None) -> int:
    moment = time.gmtime((ms if ms is not None else time.time() * 1000) / 1000)
    return moment.tm_year * 10000 + moment.tm_mon * 100 + moment.tm_mday


async def record(db: Executor, account_id: int, kind: str, *, at_ms: int | None = None) -> None:
    if kind not in KINDS:
        raise ValueError(kind)
    await db.execute(
        f"INSERT INTO activity_days (account_id, day, {kind}) VALUES (?, ?, 1)"
        f" ON CONFLICT (account_id, day) DO UPDATE SET {kind} = activity_days.{kind} + 1",
        (account_id, day_of(at_ms)),
    )


# (account, day) pairs whose read this process already recorded: a page view is a "read" for the
# adoption figures (who read at all that day), and without this every home page GET would write a
# row, taking SQLite's write lock on the hottest read path. Other processes have their own set and
# write at most once more each: `record` is an upsert of the daily row, so the figures stay right.
_reads_recorded: set[tuple[int, int]] = set()
_reads_day = 0


async def record_read(db: Executor, account_id: int, *, at_ms: int | None = None) -> bool:
    """Record that `account_id` read today, at most once per account and day in this process.

    Returns whether a row was written. `reads` then counts the processes (and restarts) that saw
    the person read that day, not page views: the analytics only ask whether it is above zero.
    """
    day = day_of(at_ms)
    key = (account_id, day)
    if key in _reads_recorded:
        return False
    global _reads_day
    if day > _reads_day:
        # A new day: older pairs can go, so the set holds about one day of readers.
        _reads_day = day
        _reads_recorded.difference_update({k for k in _reads_recorded if k[1] < day})
    _reads_recorded.add(key)   # before the await: two concurrent requests write once
    try:
        await record(db, account_id, "reads", at_ms=at_ms)
    except BaseException:
        _reads_recorded.discard(key)   # not recorded: the next read tries again
        raise
    return True


async def summary_by(db: Executor, group: str, first_day: int, last_day: int) -> list[Row]:
    """Active people per department or per manager between two days (inclusive)."""
    column = {"department": "COALESCE(a.department, '')", "manager": "COALESCE(a.manager_id, 0)"}[group]
    return await db.fetchall(
        f"SELECT {column} AS grp, COUNT(DISTINCT a.id) AS people,"
        " COUNT(DISTINCT CASE WHEN d.posts > 0 THEN a.id END) AS posted,"
        " COUNT(DISTINCT CASE WHEN d.reads > 0 THEN a.id END) AS read,"
        " COUNT(DISTINCT CASE WHEN d.reactions > 0 THEN a.id END) AS reacted"
        " FROM accounts a JOIN users u ON u.account_id = a.id"
        " LEFT JOIN activity_days d ON d.account_id = a.id AND d.day BETWEEN ? AND ?"
        f" WHERE a.suspended_at IS NULL GROUP BY {column} ORDER BY 1",
        (first_day, last_day),
    )


async def person(db: Executor, account_id: int, first_day: int, last_day: int) -> dict[str, Any]:
    row = await db.fetchone(
        "SELECT COALESCE(SUM(posts), 0) AS posts, COALESCE(SUM(reads), 0) AS reads,"
        " COALESCE(SUM(reactions), 0) AS reactions FROM activity_days WHERE account_id = ? AND day BETWEEN ? AND ?",
        (account_id, first_day, last_day),
    )
    return dict(row) if row else {"posts": 0, "reads": 0, "reactions": 0}
