"""The durable inbox: every accepted activity stored raw before we answer 202, processed later.

Rows move `queued` → `done` | `ignored` | `failed`. `activity_id` is unique, so a redelivered
activity finds its row and does nothing twice. Finishing a row is fenced by the claim's
`locked_until` (see storage.claims) and runs in the transaction that applies its effects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .claims import claim
from .db import Database, Executor, Row
from .ids import new_id, now_ms

STATES = ("queued", "done", "ignored", "failed")
MAX_ERROR_CHARS = 1000


async def insert(
    db: Executor,
    *,
    activity_id: str,
    activity_type: str,
    actor_uri: str,
    key_id: str,
    body: str,
    recipient_account_id: int | None = None,
    now: int | None = None,
) -> int | None:
    """Store an incoming activity; returns its row id, or None when that activity id is already stored."""
    now = now_ms() if now is None else now
    item_id = new_id()
    changed = await db.execute(
        "INSERT INTO inbox_items (id, activity_id, activity_type, actor_uri, key_id, recipient_account_id, body,"
        " state, attempts, next_attempt_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)"
        " ON CONFLICT (activity_id) DO NOTHING",
        (item_id, activity_id, activity_type, actor_uri, key_id, recipient_account_id, body, now, now),
    )
    return item_id if changed else None


@dataclass(frozen=True)
class NewItem:
    """An incoming activity to store."""

    activity_id: str
    activity_type: str
    actor_uri: str
    key_id: str
    body: str
    recipient_account_id: int | None = None


async def insert_many(db: Database, items: Sequence[NewItem], *, now: int | None = None) -> list[int | None]:
    """Store many activities in one transaction (one commit for all: a group commit).

    Returns, for each item in order, its new row id, or None when its activity id was already
    stored (before, or earlier in the same batch).
    """
    if not items:
        return []
    now = now_ms() if now is None else now
    ids = [new_id() for _ in items]
    rows = [
        (ids[i], it.activity_id, it.activity_type, it.actor_uri, it.key_id, it.recipient_account_id, it.body, now, now)
        for i, it in enumerate(items)
    ]
    inserted: set[str] = set()
    async with db.transaction() as tx:
        # Chunks keep each statement under SQLite's limit of bound parameters.
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)"] * len(chunk))
            found = await tx.fetchall(
                "INSERT INTO inbox_items (id, activity_id, activity_type, actor_uri, key_id, recipient_account_id,"
                f" body, state, attempts, next_attempt_at, received_at) VALUES {values}"
                " ON CONFLICT (activity_id) DO NOTHING RETURNING activity_id",
                [value for row in chunk for value in row],
            )
            inserted.update(str(r["activity_id"]) for r in found)
    result: list[int | None] = []
    for item_id, item in zip(ids, items, strict=True):
        if item.activity_id in inserted:
            inserted.discard(item.activity_id)  # a second copy in the same batch is a duplicate
            result.append(item_id)
        else:
            result.append(None)
    return result


_CHUNK = 100


async def get(db: Executor, item_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM inbox_items WHERE id = ?", (item_id,))


async def get_by_activity_id(db: Executor, activity_id: str) -> Row | None:
    return await db.fetchone("SELECT * FROM inbox_items WHERE activity_id = ?", (activity_id,))


# Due, and no older item of the same actor is locked. `locked_until IS NOT NULL` lets that probe use
# the small partial index inbox_items_locked (migration 0011): it looks only at items holding a
# lock, not at the actor's whole backlog (which made a claim quadratic in a one-actor backlog).
# Candidates come in CLAIM_ORDER straight from inbox_items_due, without sorting every due row.
CLAIM_CONDITIONS = (
    "c.state = 'queued' AND c.next_attempt_at <= ? AND NOT EXISTS (SELECT 1 FROM inbox_items o"
    " WHERE o.actor_uri = c.actor_uri AND o.state = 'queued' AND o.locked_until IS NOT NULL"
    " AND o.id < c.id AND o.locked_until >= ?)"
)
CLAIM_ORDER = "c.next_attempt_at, c.id"


async def claim_due(db: Database, *, now: int, lock_ms: int, limit: int) -> list[Row]:
    """Claim queued items that are due, oldest first.

    An actor's items are never split between workers: an item is not claimed while an older
    item of the same actor is claimed by someone, so the claimant that holds an actor's first
    item also gets the ones after it, in order, and applies them one after another (a Create
    before its Update). An item waiting for a retry after a failure blocks nothing.
    """
    return await claim(
        db,
        table="inbox_items",
        conditions=CLAIM_CONDITIONS,
        params=(now, now),
        order_by=CLAIM_ORDER,
        limit=limit,
        now=now,
        lock_until=now + lock_ms,
        count_attempt=True,
    )


async def finish(
    tx: Executor, item_id: int, token: int, state: str, *, error: str | None = None, now: int | None = None
) -> bool:
    """Mark a claimed item `done`, `ignored` or `failed`; False when the claim was lost (do nothing then)."""
    if state not in ("done", "ignored", "failed"):
        raise ValueError(state)
    changed = await tx.execute(
        "UPDATE inbox_items SET state = ?, last_error = ?, processed_at = ?, locked_until = NULL"
        " WHERE id = ? AND state = 'queued' AND locked_until = ?",
        (state, _clip(error), now_ms() if now is None else now, item_id, token),
    )
    return changed == 1


async def finish_many(
    tx: Executor, claims: Sequence[tuple[int, int]], state: str, *, now: int | None = None
) -> set[int]:
    """`finish` for many claimed items at once: `claims` are (item id, claim token) pairs.

    Returns the ids actually finished; an item whose claim was lost is left alone (not in the set).
    """
    if state not in ("done", "ignored", "failed"):
        raise ValueError(state)
    now = now_ms() if now is None else now
    by_token: dict[int, list[int]] = {}
    for item_id, token in claims:
        by_token.setdefault(int(token), []).append(int(item_id))
    finished: set[int] = set()
    # One claim gives all its rows the same token, so this is usually one statement.
    for token, ids in by_token.items():
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            rows = await tx.fetchall(
                "UPDATE inbox_items SET state = ?, last_error = NULL, processed_at = ?, locked_until = NULL"
                f" WHERE id IN ({','.join('?' * len(chunk))}) AND state = 'queued' AND locked_until = ? RETURNING id",
                (state, now, *chunk, token),
            )
            finished.update(int(r["id"]) for r in rows)
    return finished


async def retry_later(db: Executor, item_id: int, token: int, next_attempt_at: int, error: str) -> bool:
    """Release a claimed item to be tried again at `next_attempt_at`."""
    changed = await db.execute(
        "UPDATE inbox_items SET next_attempt_at = ?, last_error = ?, locked_until = NULL"
        " WHERE id = ? AND state = 'queued' AND locked_until = ?",
        (next_attempt_at, _clip(error), item_id, token),
    )
    return changed == 1


async def counts(db: Executor) -> dict[str, int]:
    """Items per state (for health checks and the admin page)."""
    rows = await db.fetchall("SELECT state, COUNT(*) AS n FROM inbox_items GROUP BY state")
    found = {str(r["state"]): int(r["n"]) for r in rows}
    return {state: found.get(state, 0) for state in STATES}


async def purge_finished(db: Executor, *, older_than: int, limit: int = 10_000) -> int:
    """Forget processed items received before `older_than` (ms). Their ids stay deduplicated meanwhile."""
    return await db.execute(
        "DELETE FROM inbox_items WHERE id IN (SELECT id FROM inbox_items WHERE state <> 'queued'"
        " AND received_at < ? ORDER BY id LIMIT ?)",
        (older_than, limit),
    )


def _clip(error: str | None) -> str | None:
    return None if error is None else error[:MAX_ERROR_CHARS]
