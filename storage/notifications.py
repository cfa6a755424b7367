"""Notifications: one row per (recipient, type, actor, object), only for local recipients."""

from __future__ import annotations

from typing import Any

from .db import Executor, Row
from .ids import new_id, now_ms
from .pagination import Page

TYPES = (
    "mention", "status", "reblog", "follow", "follow_request", "favourite", "poll", "update",
    "admin.sign_up", "admin.report",
)


async def notify(
    tx: Executor,
    recipient_id: int,
    from_account_id: int,
    type_: str,
    status_id: int | None = None,
    *,
    report_id: int | None = None,
    unique_suffix: str = "",
) -> int | None:
    """Notify a local account, unless it is the actor itself, blocks or mutes the actor.

    Returns the new notification's id, or None when nothing was created (not local, self,
    blocked, muted, or a duplicate: redelivered activities never notify twice).
    """
    if recipient_id == from_account_id:
        return None
    allowed = await tx.fetchone(
        "SELECT 1 FROM accounts r WHERE r.id = ? AND r.domain IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = r.id AND b.target_account_id = ?)"
        " AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = r.id AND m.target_account_id = ?"
        " AND m.hide_notifications = 1)",
        (recipient_id, from_account_id, from_account_id),
    )
    if allowed is None:
        return None
    notification_id = new_id()
    key = f"{recipient_id}:{type_}:{from_account_id}:{status_id or report_id or ''}:{unique_suffix}"
    changed = await tx.execute(
        "INSERT INTO notifications (id, account_id, from_account_id, type, status_id, report_id, dedup_key, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING",
        (notification_id, recipient_id, from_account_id, type_, status_id, report_id, key, now_ms()),
    )
    return notification_id if changed else None


async def notify_many(tx: Executor, recipient_ids: list[int], from_account_id: int, type_: str, status_id: int) -> None:
    """`notify` for several recipients of one status (a post's mentions) in one statement."""
    await notify_each(tx, [(r, from_account_id, type_, status_id) for r in dict.fromkeys(recipient_ids)])


async def notify_each(tx: Executor, notices: list[tuple[int, int, str, int]]) -> None:
    """`notify` for many (recipient, actor, type, status id) in one executemany: the same rows (local,
    not the actor, not blocking or muting it, once per dedup key); nothing when there are none."""
    rows = [
        (new_id(), sender, type_, status_id, f"{recipient}:{type_}:{sender}:{status_id}:", now_ms(), recipient,
         sender, sender)
        for recipient, sender, type_, status_id in notices if recipient != sender
    ]
    if not rows:
        return
    await tx.executemany(
        "INSERT INTO notifications (id, account_id, from_account_id, type, status_id, report_id, dedup_key, created_at)"
        " SELECT CAST(? AS BIGINT), r.id, CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT), NULL, CAST(? AS TEXT),"
        " CAST(? AS BIGINT) FROM accounts r WHERE r.id = ? AND r.domain IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = r.id AND b.target_account_id = ?)"
        " AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = r.id AND m.target_account_id = ?"
        " AND m.hide_notifications = 1)"
        " ON CONFLICT (dedup_key) DO NOTHING",
        rows,
    )


async def remove(tx: Executor, recipient_id: int, from_account_id: int, type_: str, status_id: int | None) -> None:
    await tx.execute(
        "DELETE FROM notifications WHERE account_id = ? AND from_account_id = ? AND type = ?"
        " AND COALESCE(status_id, 0) = COALESCE(?, 0)",
        (recipient_id, from_account_id, type_, status_id),
    )


async def list_for(
    db: Executor,
    account_id: int,
    page: Page,
    *,
    types: list[str] | None = None,
    exclude_types: list[str] | None = None,
    from_account_id: int | None = None,
) -> list[Row]:
    conditions = ["account_id = ?"]
    params: list[Any] = [account_id]
    if types:
        conditions.append(f"type IN ({','.join('?' * len(types))})")
        params.extend(types)
    if exclude_types:
        conditions.append(f"type NOT IN ({','.join('?' * len(exclude_types))})")
        params.extend(exclude_types)
    if from_account_id is not None:
        conditions.append("from_account_id = ?")
        params.append(from_account_id)
    cursor, cparams, direction = page.clause("id")
    if cursor:
        conditions.append(cursor)
        params.extend(cparams)
    rows = await db.fetchall(
        f"SELECT * FROM notifications WHERE {' AND '.join(conditions)} ORDER BY id {direction} LIMIT ?",
        (*params, page.limit),
    )
    return page.finish(rows)


async def get(db: Executor, account_id: int, notification_id: int) -> Row | None:
    return await db.fetchone(
        "SELECT * FROM notifications WHERE id = ? AND account_id = ?", (notification_id, account_id)
    )


async def dismiss(db: Executor, account_id: int, notification_id: int) -> bool:
    return bool(
        await db.execute("DELETE FROM notifications WHERE id = ? AND account_id = ?", (notification_id, account_id))
    )


async def clear(db: Executor, account_id: int) -> None:
    await db.execute("DELETE FROM notifications WHERE account_id = ?", (account_id,))


async def unread_count(db: Executor, account_id: int, after_id: int, limit: int = 1000) -> int:
    return int(
        await db.fetchval(
            "SELECT COUNT(*) FROM (SELECT 1 FROM notifications WHERE account_id = ? AND id > ? LIMIT ?) AS n",
            (account_id, after_id, limit),
        )
        or 0
    )
