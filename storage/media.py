"""Media attachment rows (the files themselves are written by the server's media module)."""

from __future__ import annotations

from .db import Executor, Row
from .ids import new_id, now_ms


async def create(
    db: Executor,
    *,
    account_id: int | None,
    type_: str,
    file_path: str | None,
    mime_type: str | None,
    file_size: int | None,
    width: int | None = None,
    height: int | None = None,
    thumbnail_path: str | None = None,
    remote_url: str | None = None,
    description: str | None = None,
    blurhash: str | None = None,
    focus: tuple[float, float] | None = None,
    status_id: int | None = None,
    position: int = 0,
) -> int:
    media_id = new_id()
    await db.execute(
        "INSERT INTO media_attachments (id, account_id, status_id, type, file_path, thumbnail_path, remote_url,"
        " mime_type, file_size, width, height, blurhash, description, focus_x, focus_y, position, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            media_id, account_id, status_id, type_, file_path, thumbnail_path, remote_url, mime_type, file_size,
            width, height, blurhash, description, focus[0] if focus else None, focus[1] if focus else None,
            position, now_ms(),
        ),
    )
    return media_id


async def get(db: Executor, media_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM media_attachments WHERE id = ?", (media_id,))


async def get_by_path(db: Executor, file_path: str) -> Row | None:
    return await db.fetchone(
        "SELECT * FROM media_attachments WHERE file_path = ? OR thumbnail_path = ?", (file_path, file_path)
    )


async def update(db: Executor, media_id: int, *, description: str | None, focus: tuple[float, float] | None) -> None:
    if description is not None:
        await db.execute("UPDATE media_attachments SET description = ? WHERE id = ?", (description, media_id))
    if focus is not None:
        await db.execute(
            "UPDATE media_attachments SET focus_x = ?, focus_y = ? WHERE id = ?", (focus[0], focus[1], media_id)
        )


async def owned_unattached(db: Executor, account_id: int, media_ids: list[int]) -> list[int]:
    """The subset of `media_ids` that belongs to the account and is not attached yet (in order)."""
    if not media_ids:
        return []
    marks = ",".join("?" * len(media_ids))
    rows = await db.fetchall(
        f"SELECT id FROM media_attachments WHERE account_id = ? AND id IN ({marks})", (account_id, *media_ids)
    )
    found = {int(r["id"]) for r in rows}
    return [m for m in media_ids if m in found]
