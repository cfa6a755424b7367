"""Claiming due work rows (inbox items, outgoing activities, deliveries) under a lock with an expiry.

A claim sets `locked_until` in the future; other workers skip the row until then, and if the
claimant dies the row becomes claimable again once that moment passes. Because a new claim is
only possible after the previous lock expired, `locked_until` grows with every claim of a row: it
doubles as a fencing token, so a worker that outlived its lock cannot finish the row after
another worker re-claimed it (`... WHERE id = ? AND locked_until = ?` matches nothing).

One statement on both engines: `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING *`. On
PostgreSQL the inner select adds `FOR UPDATE SKIP LOCKED`, so concurrent claimers never wait on
or take each other's rows; SQLite serialises write transactions, which gives the same guarantee.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .db import Database, Row


async def claim(
    db: Database,
    *,
    table: str,
    conditions: str,
    params: Sequence[Any],
    order_by: str,
    limit: int,
    now: int,
    lock_until: int,
    count_attempt: bool,
) -> list[Row]:
    """Lock up to `limit` rows of `table` (aliased `c` in `conditions`) whose lock is free or expired.

    `conditions` and `order_by` are trusted SQL fragments from this package; `params` fill the
    `?` of `conditions`. Returns the claimed rows in `order_by` order.
    """
    if limit <= 0:
        return []
    sql = claim_sql(table, conditions, order_by, dialect=db.dialect, count_attempt=count_attempt)
    async with db.transaction() as tx:
        rows = await tx.fetchall(sql, (lock_until, now, *params, limit, now))
    order = {int(r["id"]): r for r in rows}
    # RETURNING gives no order; callers want the queue's.
    return [order[i] for i in sorted(order, key=lambda i: _sort_key(order[i]))]


def claim_sql(table: str, conditions: str, order_by: str, *, dialect: str, count_attempt: bool) -> str:
    """The claim statement; its parameters are (lock_until, now, *conditions' params, limit, now)."""
    skip_locked = " FOR UPDATE OF c SKIP LOCKED" if dialect == "postgresql" else ""
    attempts = ", attempts = attempts + 1" if count_attempt else ""
    return (
        f"UPDATE {table} SET locked_until = ?{attempts} WHERE id IN ("
        f"SELECT c.id FROM {table} c WHERE (c.locked_until IS NULL OR c.locked_until < ?) AND {conditions}"
        f" ORDER BY {order_by} LIMIT ?{skip_locked})"
        " AND (locked_until IS NULL OR locked_until < ?) RETURNING *"
    )


def _sort_key(row: Row) -> tuple[int, int]:
    due = row["next_attempt_at"] if "next_attempt_at" in row.keys() else 0
    return int(due or 0), int(row["id"])
