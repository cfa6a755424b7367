"""What an employee's archive (`atrium export USER`) reads: their posts, likes, bookmarks, follows, media.

Everything is paged by id, oldest first, so an archive of years of activity streams through in
bounded memory.
"""

from __future__ import annotations

from .db import Executor, Row


async def status_ids(db: Executor, account_id: int, *, after_id: int = 0, limit: int = 200) -> list[int]:
    """Ids of the account's statuses (posts, replies and boosts), oldest first."""
    rows = await db.fetchall(
        "SELECT id FROM statuses WHERE account_id = ? AND id > ? ORDER BY id LIMIT ?", (account_id, after_id, limit)
    )
    return [int(r["id"]) for r in rows]


async def liked_uris(db: Executor, account_id: int) -> list[str]:
    """ActivityPub ids of the statuses the account liked, oldest like first."""
    rows = await db.fetchall(
        "SELECT s.uri FROM favourites f JOIN statuses s ON s.id = f.status_id WHERE f.account_id = ? ORDER BY f.id",
        (account_id,),
    )
    return [str(r["uri"]) for r in rows]


async def bookmarked_uris(db: Executor, account_id: int) -> list[str]:
    """ActivityPub ids of the statuses the account bookmarked, oldest first."""
    rows = await db.fetchall(
        "SELECT s.uri FROM bookmarks b JOIN statuses s ON s.id = b.status_id WHERE b.account_id = ? ORDER BY b.id",
        (account_id,),
    )
    return [str(r["uri"]) for r in rows]


async def followers(db: Executor, account_id: int) -> list[Row]:
    """Accepted followers (uri, username, domain), oldest follow first."""
    return await db.fetchall(
        "SELECT a.uri, a.username, a.domain FROM follows f JOIN accounts a ON a.id = f.account_id"
        " WHERE f.target_account_id = ? AND f.state = 'accepted' ORDER BY f.id",
        (account_id,),
    )


async def following(db: Executor, account_id: int) -> list[Row]:
    """Accounts followed (uri, username, domain, show_reblogs, notify), oldest follow first."""
    return await db.fetchall(
        "SELECT a.uri, a.username, a.domain, f.show_reblogs, f.notify FROM follows f"
        " JOIN accounts a ON a.id = f.target_account_id"
        " WHERE f.account_id = ? AND f.state = 'accepted' ORDER BY f.id",
        (account_id,),
    )


async def media_paths(db: Executor, account_id: int) -> list[str]:
    """Local files (relative to the media folder) of the account's uploads, thumbnails included."""
    rows = await db.fetchall(
        "SELECT file_path, thumbnail_path FROM media_attachments WHERE account_id = ? ORDER BY id", (account_id,)
    )
    paths = [p for r in rows for p in (r["file_path"], r["thumbnail_path"]) if p]
    return list(dict.fromkeys(str(p) for p in paths))


async def blocked(db: Executor, account_id: int) -> list[Row]:
    """Accounts the account blocks (username, domain), oldest first."""
    return await db.fetchall(
        "SELECT a.username, a.domain FROM blocks b JOIN accounts a ON a.id = b.target_account_id"
        " WHERE b.account_id = ? ORDER BY b.id",
        (account_id,),
    )


async def muted(db: Executor, account_id: int) -> list[Row]:
    """Accounts the account mutes (username, domain, hide_notifications), oldest first."""
    return await db.fetchall(
        "SELECT a.username, a.domain, m.hide_notifications FROM mutes m JOIN accounts a ON a.id = m.target_account_id"
        " WHERE m.account_id = ? ORDER BY m.id",
        (account_id,),
    )
