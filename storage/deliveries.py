"""Stage two of outgoing federation: one delivery row per distinct inbox of an outgoing activity.

Stage one (storage.outbox) stores one row per activity; a worker claims it, works out its inboxes
and, in one transaction, inserts the deliveries and marks the activity `expanded`. Deliveries move
`queued` → `done` | `failed` | `gone` | `cancelled`; finishing one is fenced by its claim's
`locked_until` (storage.claims).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .claims import claim
from .db import Database, Executor, Row
from .ids import new_id, now_ms

STATES = ("queued", "done", "failed", "gone", "cancelled")
MAX_ERROR_CHARS = 1000


# --- stage one: outgoing activities waiting to be expanded -------------------------------------

async def claim_outbox(db: Database, *, now: int, lock_ms: int, limit: int) -> list[Row]:
    """Claim queued outgoing activities, oldest first."""
    return await claim(
        db,
        table="outbox_activities",
        conditions="c.state = 'queued'",
        params=(),
        order_by="c.id",
        limit=limit,
        now=now,
        lock_until=now + lock_ms,
        count_attempt=False,
    )


async def expand(
    tx: Executor, outbox_row: Row, inboxes: Iterable[tuple[str, str]], *, now: int | None = None
) -> int | None:
    """Create one delivery per (inbox URL, host) and mark the activity expanded.

    Returns how many deliveries were created, or None when the claim was lost (nothing written:
    the caller's transaction must be rolled back, which raising does).
    """
    now = now_ms() if now is None else now
    changed = await tx.execute(
        "UPDATE outbox_activities SET state = 'expanded', locked_until = NULL"
        " WHERE id = ? AND state = 'queued' AND locked_until = ?",
        (outbox_row["id"], outbox_row["locked_until"]),
    )
    if changed != 1:
        return None
    rows = [
        (new_id(), outbox_row["id"], inbox, host, outbox_row["object_uri"], now, now)
        for inbox, host in dict.fromkeys(inboxes)
    ]
    if rows:
        await tx.executemany(
            "INSERT INTO deliveries (id, outbox_activity_id, inbox_url, host, object_uri, state, attempts,"
            " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?)"
            " ON CONFLICT (outbox_activity_id, inbox_url) DO NOTHING",
            rows,
        )
    return len(rows)


async def cancel_outbox(tx: Executor, outbox_row: Row) -> bool:
    """Mark a claimed outgoing activity `cancelled` (nothing to deliver, or not allowed to)."""
    changed = await tx.execute(
        "UPDATE outbox_activities SET state = 'cancelled', locked_until = NULL"
        " WHERE id = ? AND state = 'queued' AND locked_until = ?",
        (outbox_row["id"], outbox_row["locked_until"]),
    )
    return changed == 1


async def cancel_for_object(tx: Executor, object_uri: str, account_id: int, *, keep_outbox_id: int | None) -> int:
    """A Delete of `object_uri` by its author: drop what is still queued about it, except the Delete.

    Both stages are cancelled: activities not yet expanded and deliveries not yet made.
    Returns the number of deliveries cancelled.
    """
    keep = keep_outbox_id if keep_outbox_id is not None else 0
    await tx.execute(
        "UPDATE outbox_activities SET state = 'cancelled', locked_until = NULL WHERE object_uri = ?"
        " AND account_id = ? AND state = 'queued' AND id <> ? AND activity_type <> 'Delete'",
        (object_uri, account_id, keep),
    )
    return await tx.execute(
        "UPDATE deliveries SET state = 'cancelled', locked_until = NULL, done_at = ? WHERE object_uri = ?"
        " AND state = 'queued' AND outbox_activity_id <> ? AND outbox_activity_id IN"
        " (SELECT id FROM outbox_activities WHERE object_uri = ? AND account_id = ? AND activity_type <> 'Delete')",
        (now_ms(), object_uri, keep, object_uri, account_id),
    )


async def remote_inboxes(db: Executor, account_ids: Sequence[int]) -> list[Row]:
    """(account_id, inbox_url, shared_inbox_url) of the remote accounts among `account_ids`."""
    ids = list({int(i) for i in account_ids})
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return await db.fetchall(
        f"SELECT id AS account_id, inbox_url, shared_inbox_url FROM accounts WHERE id IN ({marks})"
        " AND domain IS NOT NULL AND inbox_url IS NOT NULL",
        ids,
    )


async def follower_inbox_rows(db: Executor, account_id: int) -> list[Row]:
    """(inbox_url, shared_inbox_url) of each remote accepted follower of `account_id`."""
    return await db.fetchall(
        "SELECT a.inbox_url, a.shared_inbox_url FROM follows f JOIN accounts a ON a.id = f.account_id"
        " WHERE f.target_account_id = ? AND f.state = 'accepted' AND a.domain IS NOT NULL AND a.inbox_url IS NOT NULL",
        (account_id,),
    )


# --- stage two: deliveries ---------------------------------------------------------------------

# Due, its host's circuit closed, and no earlier activity about the same object still queued for the
# same inbox (the probe is served by `deliveries_object_inbox`, migration 0012).
DUE_CONDITIONS = (
    "c.state = 'queued' AND c.next_attempt_at <= ?"
    " AND NOT EXISTS (SELECT 1 FROM hosts h WHERE h.domain = c.host AND h.circuit_open_until > ?)"
    " AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.inbox_url = c.inbox_url"
    " AND e.object_uri = c.object_uri AND e.state = 'queued' AND e.outbox_activity_id < c.outbox_activity_id)"
)


async def claim_due(db: Database, *, now: int, lock_ms: int, limit: int) -> list[Row]:
    """Claim due deliveries, oldest first, skipping hosts whose circuit is open.

    A delivery waits while an earlier activity about the same object is still queued for the
    same inbox, so a peer that was down receives Create, Update and Delete in that order.
    """
    return await claim(
        db,
        table="deliveries",
        conditions=DUE_CONDITIONS,
        params=(now, now),
        order_by="c.next_attempt_at, c.id",
        limit=limit,
        now=now,
        lock_until=now + lock_ms,
        count_attempt=True,
    )


async def get(db: Executor, delivery_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM deliveries WHERE id = ?", (delivery_id,))


async def activity_of(db: Executor, outbox_activity_id: int) -> Row | None:
    """The outgoing activity a delivery carries: body, author, type, creation time."""
    return await db.fetchone(
        "SELECT id, activity_id, activity_type, account_id, object_uri, body, created_at FROM outbox_activities"
        " WHERE id = ?",
        (outbox_activity_id,),
    )


async def finish(
    db: Executor,
    delivery_id: int,
    token: int,
    state: str,
    *,
    status: int | None = None,
    error: str | None = None,
    now: int | None = None,
) -> bool:
    """Mark a claimed delivery `done`, `failed`, `gone` or `cancelled`; False when the claim was lost."""
    if state not in ("done", "failed", "gone", "cancelled"):
        raise ValueError(state)
    changed = await db.execute(
        "UPDATE deliveries SET state = ?, last_status = ?, last_error = ?, done_at = ?, locked_until = NULL"
        " WHERE id = ? AND state = 'queued' AND locked_until = ?",
        (state, status, _clip(error), now_ms() if now is None else now, delivery_id, token),
    )
    return changed == 1


async def retry_later(
    db: Executor, delivery_id: int, token: int, next_attempt_at: int, *, status: int | None, error: str | None
) -> bool:
    """Release a claimed delivery to be tried again at `next_attempt_at`."""
    changed = await db.execute(
        "UPDATE deliveries SET next_attempt_at = ?, last_status = ?, last_error = ?, locked_until = NULL"
        " WHERE id = ? AND state = 'queued' AND locked_until = ?",
        (next_attempt_at, status, _clip(error), delivery_id, token),
    )
    return changed == 1


async def defer(db: Executor, delivery_id: int, token: int, until: int) -> bool:
    """Put a claimed delivery back untried (its host's circuit is open): the claim was not an attempt."""
    changed = await db.execute(
        "UPDATE deliveries SET next_attempt_at = ?, attempts = attempts - 1, locked_until = NULL"
        " WHERE id = ? AND state = 'queued' AND locked_until = ?",
        (until, delivery_id, token),
    )
    return changed == 1


async def wake_host(db: Executor, host: str, now: int) -> int:
    """Make every queued delivery to `host` due now (its circuit just closed after an outage)."""
    return await db.execute(
        "UPDATE deliveries SET next_attempt_at = ? WHERE host = ? AND state = 'queued' AND next_attempt_at > ?",
        (now, host, now),
    )


async def list_for_outbox(db: Executor, outbox_activity_id: int) -> list[Row]:
    return await db.fetchall(
        "SELECT * FROM deliveries WHERE outbox_activity_id = ? ORDER BY id", (outbox_activity_id,)
    )


async def counts(db: Executor) -> dict[str, int]:
    """Deliveries per state (for health checks and the admin page)."""
    rows = await db.fetchall("SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state")
    found = {str(r["state"]): int(r["n"]) for r in rows}
    return {state: found.get(state, 0) for state in STATES}


async def pending_outbox_count(db: Executor) -> int:
    return int(await db.fetchval("SELECT COUNT(*) FROM outbox_activities WHERE state = 'queued'") or 0)


async def purge_finished(db: Executor, *, older_than: int, limit: int = 10_000) -> int:
    """Forget finished deliveries done before `older_than` (ms)."""
    return await db.execute(
        "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE state <> 'queued'"
        " AND done_at < ? ORDER BY id LIMIT ?)",
        (older_than, limit),
    )


def _clip(error: str | None) -> str | None:
    return None if error is None else error[:MAX_ERROR_CHARS]

