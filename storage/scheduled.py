"""Scheduled posts: the request's parameters kept until their time, then claimed and published once.

A publisher claims due rows with storage.claims (a lock with an expiry, `FOR UPDATE SKIP LOCKED` on
PostgreSQL), publishes each with the idempotency key `scheduled:<id>` (stored in the post's own
transaction, so a second attempt after a crash finds the post instead of making another), then
deletes the row only while it still holds the claim (`locked_until` is the fencing token).
A row that cannot be published is parked (`locked_until = PARKED`) with its error, until its owner
reschedules or deletes it.
"""

from __future__ import annotations

import json
from typing import Any

from . import claims
from .db import Database, Executor, Row
from .ids import new_id, now_ms
from .pagination import Page, fetch_page

PARKED = 2**62          # never due again by itself
TOTAL_LIMIT = 300       # Mastodon's limits per account
DAILY_LIMIT = 25
DAY_MS = 86_400_000


async def create(db: Executor, account_id: int, scheduled_at: int, params: dict[str, Any], media_ids: list[int]) -> int:
    row_id = new_id()
    await db.execute(
        "INSERT INTO scheduled_statuses (id, account_id, scheduled_at, params, media_ids, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (row_id, account_id, scheduled_at, json.dumps(params, ensure_ascii=False), json.dumps(media_ids), now_ms()),
    )
    return row_id


async def counts(db: Executor, account_id: int, scheduled_at: int) -> tuple[int, int]:
    """(scheduled posts of the account, those due on the same UTC day as `scheduled_at`)."""
    day = scheduled_at - scheduled_at % DAY_MS
    row = await db.fetchone(
        "SELECT COUNT(*) AS total, SUM(CASE WHEN scheduled_at >= ? AND scheduled_at < ? THEN 1 ELSE 0 END) AS day"
        " FROM scheduled_statuses WHERE account_id = ?",
        (day, day + DAY_MS, account_id),
    )
    assert row is not None
    return int(row["total"] or 0), int(row["day"] or 0)


async def with_idempotency_key(db: Executor, account_id: int, key: str) -> int | None:
    """The account's scheduled post made with this Idempotency-Key, if any (at most TOTAL_LIMIT rows to read)."""
    rows = await db.fetchall("SELECT id, params FROM scheduled_statuses WHERE account_id = ? LIMIT ?",
                             (account_id, TOTAL_LIMIT + 1))
    return next((int(r["id"]) for r in rows if json.loads(r["params"]).get("idempotency") == key), None)


async def get(db: Executor, account_id: int, row_id: int) -> Row | None:
    """A scheduled post, only if `account_id` owns it."""
    return await db.fetchone("SELECT * FROM scheduled_statuses WHERE id = ? AND account_id = ?", (row_id, account_id))


async def of_account(db: Executor, account_id: int, page: Page) -> list[Row]:
    return await fetch_page(db, "SELECT * FROM scheduled_statuses", "account_id = ?", (account_id,), page)


# Free, parked, or held by a publisher whose claim expired: nobody is publishing it right now.
_NOT_IN_FLIGHT = "(locked_until IS NULL OR locked_until < ? OR locked_until = ?)"


async def reschedule(db: Executor, account_id: int, row_id: int, scheduled_at: int) -> bool:
    """Move a scheduled post (and give a parked one another chance); False when it is unknown or
    being published at this moment."""
    now = now_ms()
    changed = await db.execute(
        "UPDATE scheduled_statuses SET scheduled_at = ?, locked_until = NULL, attempts = 0, last_error = NULL"
        f" WHERE id = ? AND account_id = ? AND {_NOT_IN_FLIGHT}",
        (scheduled_at, row_id, account_id, now, PARKED),
    )
    return changed > 0


async def delete(db: Executor, account_id: int, row_id: int) -> bool:
    """False when it is unknown or being published at this moment."""
    now = now_ms()
    changed = await db.execute(
        f"DELETE FROM scheduled_statuses WHERE id = ? AND account_id = ? AND {_NOT_IN_FLIGHT}",
        (row_id, account_id, now, PARKED),
    )
    return changed > 0


async def claim_due(db: Database, *, now: int, lock_ms: int, limit: int) -> list[Row]:
    """Lock up to `limit` posts whose time has come."""
    return await claims.claim(
        db, table="scheduled_statuses", conditions="c.scheduled_at <= ?", params=[now],
        order_by="c.scheduled_at, c.id", limit=limit, now=now, lock_until=now + lock_ms, count_attempt=True,
    )


async def finish(db: Executor, row: Row) -> bool:
    """The post is published: remove the row, if this claim still holds it."""
    return await db.execute(
        "DELETE FROM scheduled_statuses WHERE id = ? AND locked_until = ?", (row["id"], row["locked_until"])
    ) > 0


async def retry_later(db: Executor, row: Row, *, at: int, error: str) -> bool:
    """A passing failure: try again at `at` (the claim is released until then)."""
    return await db.execute(
        "UPDATE scheduled_statuses SET locked_until = ?, last_error = ? WHERE id = ? AND locked_until = ?",
        (at, error[:500], row["id"], row["locked_until"]),
    ) > 0


async def park(db: Executor, row: Row, *, error: str) -> bool:
    """It cannot be published as it is: keep it, with the reason, until its owner acts."""
    return await retry_later(db, row, at=PARKED, error=error)


async def media_of(db: Executor, rows: list[Row]) -> dict[int, Row]:
    """The attachments the scheduled posts `rows` will carry, in one query."""
    ids = list(dict.fromkeys(int(m) for r in rows for m in json.loads(r["media_ids"])))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return {int(m["id"]): m for m in await db.fetchall(f"SELECT * FROM media_attachments WHERE id IN ({marks})", ids)}
