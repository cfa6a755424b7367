"""Reports (local, or received as a Flag) and who must hear about them."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .db import Executor, Row
from .ids import new_id, now_ms


async def create(
    tx: Executor,
    *,
    reporter_id: int,
    target_account_id: int,
    status_ids: Sequence[int] = (),
    comment: str = "",
    category: str = "other",
    forward: bool = False,
    uri: str | None = None,
) -> int | None:
    """Store a report; None when one with this `uri` (the Flag's id) already exists."""
    report_id = new_id()
    changed = await tx.execute(
        "INSERT INTO reports (id, account_id, target_account_id, status_ids, comment, category, forward, uri, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uri) DO NOTHING",
        (
            report_id, reporter_id, target_account_id, json.dumps([int(s) for s in status_ids]), comment,
            category, int(forward), uri, now_ms(),
        ),
    )
    return report_id if changed else None


async def get(db: Executor, report_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM reports WHERE id = ?", (report_id,))


async def get_by_uri(db: Executor, uri: str) -> Row | None:
    return await db.fetchone("SELECT * FROM reports WHERE uri = ?", (uri,))


async def list_open(db: Executor, *, limit: int = 100) -> list[Row]:
    return await db.fetchall(
        "SELECT * FROM reports WHERE action_taken_at IS NULL ORDER BY id DESC LIMIT ?", (limit,)
    )


async def list_for_target(db: Executor, target_account_id: int, *, limit: int = 100) -> list[Row]:
    return await db.fetchall(
        "SELECT * FROM reports WHERE target_account_id = ? ORDER BY id DESC LIMIT ?", (target_account_id, limit)
    )


async def resolve(db: Executor, report_id: int, by_account_id: int | None) -> bool:
    return bool(
        await db.execute(
            "UPDATE reports SET action_taken_at = ?, action_taken_by_id = ? WHERE id = ? AND action_taken_at IS NULL",
            (now_ms(), by_account_id, report_id),
        )
    )


async def moderator_ids(db: Executor) -> list[int]:
    """Local accounts that handle reports: admins and moderators who are not disabled or suspended."""
    rows = await db.fetchall(
        "SELECT a.id FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.role IN ('admin', 'moderator')"
        " AND u.disabled = 0 AND a.suspended_at IS NULL ORDER BY a.id"
    )
    return [int(r["id"]) for r in rows]
