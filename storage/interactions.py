"""Favourites, bookmarks and pins."""

from __future__ import annotations

from . import notifications
from .db import Executor, Row
from .ids import new_id, now_ms
from .pagination import Page, fetch_page


async def favourite(tx: Executor, account_id: int, status: Row, uri: str | None = None) -> bool:
    """Like a status; False when it was already liked (a redelivered Like changes nothing)."""
    changed = await tx.execute(
        "INSERT INTO favourites (id, account_id, status_id, uri, created_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (new_id(), account_id, status["id"], uri, now_ms()),
    )
    if not changed:
        return False
    await tx.execute("UPDATE statuses SET favourites_count = favourites_count + 1 WHERE id = ?", (status["id"],))
    await notifications.notify(tx, status["account_id"], account_id, "favourite", status["id"])
    return True


async def unfavourite(tx: Executor, account_id: int, status_id: int) -> bool:
    changed = await tx.execute(
        "DELETE FROM favourites WHERE account_id = ? AND status_id = ?", (account_id, status_id)
    )
    if changed:
        await tx.execute(
            "UPDATE statuses SET favourites_count = favourites_count - 1 WHERE id = ? AND favourites_count > 0",
            (status_id,),
        )
    return bool(changed)


async def get_favourite_by_uri(db: Executor, uri: str) -> Row | None:
    return await db.fetchone("SELECT * FROM favourites WHERE uri = ?", (uri,))


async def favourited_by(db: Executor, status_id: int, page: Page) -> list[Row]:
    return await fetch_page(db, "SELECT id, account_id FROM favourites", "status_id = ?", (status_id,), page)


async def reblogged_by(db: Executor, status_id: int, page: Page) -> list[Row]:
    return await fetch_page(db, "SELECT id, account_id FROM statuses", "reblog_of_id = ?", (status_id,), page)


async def favourites_of(db: Executor, account_id: int, page: Page) -> list[Row]:
    return await fetch_page(db, "SELECT id, status_id FROM favourites", "account_id = ?", (account_id,), page)


async def bookmark(db: Executor, account_id: int, status_id: int) -> bool:
    return bool(
        await db.execute(
            "INSERT INTO bookmarks (id, account_id, status_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (new_id(), account_id, status_id, now_ms()),
        )
    )


async def unbookmark(db: Executor, account_id: int, status_id: int) -> bool:
    return bool(
        await db.execute("DELETE FROM bookmarks WHERE account_id = ? AND status_id = ?", (account_id, status_id))
    )


async def bookmarks_of(db: Executor, account_id: int, page: Page) -> list[Row]:
    return await fetch_page(db, "SELECT id, status_id FROM bookmarks", "account_id = ?", (account_id,), page)


async def pin(db: Executor, account_id: int, status_id: int) -> bool:
    return bool(
        await db.execute(
            "INSERT INTO pins (id, account_id, status_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (new_id(), account_id, status_id, now_ms()),
        )
    )


async def unpin(db: Executor, account_id: int, status_id: int) -> bool:
    return bool(await db.execute("DELETE FROM pins WHERE account_id = ? AND status_id = ?", (account_id, status_id)))


async def pinned_ids(db: Executor, account_id: int) -> list[int]:
    rows = await db.fetchall("SELECT status_id FROM pins WHERE account_id = ? ORDER BY id DESC", (account_id,))
    return [int(r["status_id"]) for r in rows]


async def viewer_flags(db: Executor, account_id: int, status_ids: list[int]) -> dict[str, set[int]]:
    """Which of these statuses the viewer favourited, boosted, bookmarked, pinned, muted."""
    flags: dict[str, set[int]] = {"favourited": set(), "reblogged": set(), "bookmarked": set(), "pinned": set()}
    if not status_ids:
        return flags
    marks = ",".join("?" * len(status_ids))
    for name, sql in (
        ("favourited", f"SELECT status_id AS id FROM favourites WHERE account_id = ? AND status_id IN ({marks})"),
        ("reblogged", f"SELECT reblog_of_id AS id FROM statuses WHERE account_id = ? AND reblog_of_id IN ({marks})"),
        ("bookmarked", f"SELECT status_id AS id FROM bookmarks WHERE account_id = ? AND status_id IN ({marks})"),
        ("pinned", f"SELECT status_id AS id FROM pins WHERE account_id = ? AND status_id IN ({marks})"),
    ):
        flags[name] = {int(r["id"]) for r in await db.fetchall(sql, (account_id, *status_ids))}
    return flags
