"""The append-only audit log of administrative actions (nothing here updates or deletes a row)."""

from __future__ import annotations

import json
from typing import Any

from .db import Executor, Row
from .ids import new_id, now_ms


async def record(
    db: Executor, *, actor_id: int | None, action: str, target_type: str, target_id: str, data: dict[str, Any] | None = None
) -> int:
    entry_id = new_id()
    await db.execute(
        "INSERT INTO audit_log (id, account_id, action, target_type, target_id, data, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (entry_id, actor_id, action, target_type, str(target_id), json.dumps(data or {}, ensure_ascii=False), now_ms()),
    )
    return entry_id


async def recent(db: Executor, *, limit: int = 100, before_id: int | None = None) -> list[Row]:
    cursor = " WHERE id < ?" if before_id else ""
    params: tuple[Any, ...] = (before_id, limit) if before_id else (limit,)
    return await db.fetchall(f"SELECT * FROM audit_log{cursor} ORDER BY id DESC LIMIT ?", params)
