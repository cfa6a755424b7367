"""Stage one of outgoing federation: one row per activity, written in the same transaction as the
local change it announces (so a crash can lose neither without the other)."""

from __future__ import annotations

import json
from typing import Any

from .db import Executor, Row
from .ids import new_id, now_ms


async def enqueue(
    tx: Executor,
    *,
    activity_id: str,
    activity_type: str,
    account_id: int,
    body: dict[str, Any],
    audience: dict[str, Any],
    object_uri: str | None = None,
) -> int | None:
    """Queue an activity for delivery. `audience` says whom to deliver to:
    {"followers": true, "accounts": [account ids], "inboxes": [urls], "company": true}.
    Returns the row id, or None if this activity id was already queued."""
    row_id = new_id()
    changed = await tx.execute(
        "INSERT INTO outbox_activities (id, activity_id, activity_type, account_id, object_uri, body, audience, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (activity_id) DO NOTHING",
        (
            row_id, activity_id, activity_type, account_id, object_uri,
            json.dumps(body, ensure_ascii=False, separators=(",", ":")),
            json.dumps(audience, separators=(",", ":")), now_ms(),
        ),
    )
    return row_id if changed else None


async def get(db: Executor, row_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM outbox_activities WHERE id = ?", (row_id,))


async def list_for_account(db: Executor, account_id: int, *, before_id: int | None, limit: int) -> list[Row]:
    """The account's public outgoing activities, newest first (for the outbox collection)."""
    cursor = " AND id < ?" if before_id else ""
    params: list[Any] = [account_id] + ([before_id] if before_id else [])
    return await db.fetchall(
        "SELECT id, activity_id, activity_type, body, created_at FROM outbox_activities"
        f" WHERE account_id = ? AND activity_type IN ('Create', 'Announce'){cursor} ORDER BY id DESC LIMIT ?",
        (*params, limit),
    )
