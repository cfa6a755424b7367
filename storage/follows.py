"""Follows (with pending requests for locked accounts), blocks and mutes."""

from __future__ import annotations

from . import notifications, timelines
from .db import Executor, Row
from .ids import new_id, now_ms
from .pagination import Page, fetch_page


async def get(db: Executor, follower_id: int, target_id: int) -> Row | None:
    return await db.fetchone(
        "SELECT * FROM follows WHERE account_id = ? AND target_account_id = ?", (follower_id, target_id)
    )


async def get_by_uri(db: Executor, uri: str) -> Row | None:
    return await db.fetchone("SELECT * FROM follows WHERE uri = ?", (uri,))


async def request(tx: Executor, follower_id: int, target_id: int, uri: str | None, *, accept: bool) -> tuple[Row, bool]:
    """Record a follow (accepted at once, or pending approval). Returns (row, created)."""
    existing = await get(tx, follower_id, target_id)
    if existing is not None:
        return existing, False
    follow_id = new_id()
    await tx.execute(
        "INSERT INTO follows (id, account_id, target_account_id, uri, state, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (follow_id, follower_id, target_id, uri, "pending", now_ms()),
    )
    if accept:
        await accept_follow(tx, follow_id)
    else:
        await notifications.notify(tx, target_id, follower_id, "follow_request")
    row = await tx.fetchone("SELECT * FROM follows WHERE id = ?", (follow_id,))
    assert row is not None
    return row, True


async def accept_follow(tx: Executor, follow_id: int) -> Row | None:
    """Turn a pending follow into an accepted one: counters, home-feed backfill, notification."""
    row = await tx.fetchone("SELECT * FROM follows WHERE id = ?", (follow_id,))
    if row is None or row["state"] == "accepted":
        return row
    await tx.execute("UPDATE follows SET state = 'accepted' WHERE id = ?", (follow_id,))
    await tx.execute("UPDATE accounts SET following_count = following_count + 1 WHERE id = ?", (row["account_id"],))
    await tx.execute(
        "UPDATE accounts SET followers_count = followers_count + 1 WHERE id = ?", (row["target_account_id"],)
    )
    await notifications.remove(tx, row["target_account_id"], row["account_id"], "follow_request", None)
    await notifications.notify(tx, row["target_account_id"], row["account_id"], "follow")
    await timelines.backfill_home(tx, row["account_id"], row["target_account_id"])
    return await tx.fetchone("SELECT * FROM follows WHERE id = ?", (follow_id,))


async def remove(tx: Executor, follower_id: int, target_id: int) -> Row | None:
    """Unfollow, or reject / withdraw a request. Returns the removed row."""
    row = await get(tx, follower_id, target_id)
    if row is None:
        return None
    await tx.execute("DELETE FROM follows WHERE id = ?", (row["id"],))
    if row["state"] == "accepted":
        await tx.execute(
            "UPDATE accounts SET following_count = following_count - 1 WHERE id = ? AND following_count > 0",
            (follower_id,),
        )
        await tx.execute(
            "UPDATE accounts SET followers_count = followers_count - 1 WHERE id = ? AND followers_count > 0",
            (target_id,),
        )
    else:
        await notifications.remove(tx, target_id, follower_id, "follow_request", None)
    await timelines.remove_author_from_home(tx, follower_id, target_id)
    return row


async def set_options(db: Executor, follow_id: int, *, show_reblogs: bool | None, notify: bool | None) -> None:
    if show_reblogs is not None:
        await db.execute("UPDATE follows SET show_reblogs = ? WHERE id = ?", (int(show_reblogs), follow_id))
    if notify is not None:
        await db.execute("UPDATE follows SET notify = ? WHERE id = ?", (int(notify), follow_id))


async def followers(db: Executor, account_id: int, page: Page) -> list[Row]:
    """Accepted followers, newest follow first (cursor: the follow row id)."""
    return await fetch_page(db, "SELECT f.id AS follow_id, f.account_id FROM follows f",
                            "f.target_account_id = ? AND f.state = 'accepted'", (account_id,), page, "f.id")


async def following(db: Executor, account_id: int, page: Page) -> list[Row]:
    return await fetch_page(db, "SELECT f.id AS follow_id, f.target_account_id AS account_id FROM follows f",
                            "f.account_id = ? AND f.state = 'accepted'", (account_id,), page, "f.id")


async def pending_requests(db: Executor, account_id: int, page: Page) -> list[Row]:
    return await fetch_page(db, "SELECT f.id AS follow_id, f.account_id, f.uri FROM follows f",
                            "f.target_account_id = ? AND f.state = 'pending'", (account_id,), page, "f.id")


async def follower_inboxes(db: Executor, account_id: int) -> list[str]:
    """Distinct inboxes of remote followers (shared inbox when they have one)."""
    rows = await db.fetchall(
        "SELECT DISTINCT COALESCE(a.shared_inbox_url, a.inbox_url) AS inbox FROM follows f"
        " JOIN accounts a ON a.id = f.account_id WHERE f.target_account_id = ? AND f.state = 'accepted'"
        " AND a.domain IS NOT NULL AND COALESCE(a.shared_inbox_url, a.inbox_url) IS NOT NULL",
        (account_id,),
    )
    return [r["inbox"] for r in rows]


async def follower_ids(db: Executor, account_id: int, *, local_only: bool = False) -> list[int]:
    local = " AND a.domain IS NULL" if local_only else ""
    rows = await db.fetchall(
        "SELECT f.account_id FROM follows f JOIN accounts a ON a.id = f.account_id"
        f" WHERE f.target_account_id = ? AND f.state = 'accepted'{local}",
        (account_id,),
    )
    return [int(r["account_id"]) for r in rows]


async def is_following(db: Executor, follower_id: int, target_id: int) -> bool:
    return bool(
        await db.fetchval(
            "SELECT 1 FROM follows WHERE account_id = ? AND target_account_id = ? AND state = 'accepted'",
            (follower_id, target_id),
        )
    )


async def relationships(db: Executor, account_id: int, target_ids: list[int]) -> dict[int, dict[str, object]]:
    """Everything a Relationship entity needs, for many targets in a handful of queries."""
    result: dict[int, dict[str, object]] = {
        t: {
            "following": False, "requested": False, "followed_by": False, "requested_by": False,
            "blocking": False, "blocked_by": False, "muting": False, "muting_notifications": False,
            "showing_reblogs": False, "notifying": False,
        }
        for t in target_ids
    }
    if not target_ids:
        return result
    marks = ",".join("?" * len(target_ids))
    for row in await db.fetchall(
        f"SELECT target_account_id, state, show_reblogs, notify FROM follows WHERE account_id = ?"
        f" AND target_account_id IN ({marks})",
        (account_id, *target_ids),
    ):
        entry = result[int(row["target_account_id"])]
        entry["following"] = row["state"] == "accepted"
        entry["requested"] = row["state"] == "pending"
        entry["showing_reblogs"] = row["state"] == "accepted" and bool(row["show_reblogs"])
        entry["notifying"] = bool(row["notify"])
    for row in await db.fetchall(
        f"SELECT account_id, state FROM follows WHERE target_account_id = ? AND account_id IN ({marks})",
        (account_id, *target_ids),
    ):
        entry = result[int(row["account_id"])]
        entry["followed_by"] = row["state"] == "accepted"
        entry["requested_by"] = row["state"] == "pending"
    for row in await db.fetchall(
        f"SELECT target_account_id FROM blocks WHERE account_id = ? AND target_account_id IN ({marks})",
        (account_id, *target_ids),
    ):
        result[int(row["target_account_id"])]["blocking"] = True
    for row in await db.fetchall(
        f"SELECT account_id FROM blocks WHERE target_account_id = ? AND account_id IN ({marks})",
        (account_id, *target_ids),
    ):
        result[int(row["account_id"])]["blocked_by"] = True
    for row in await db.fetchall(
        f"SELECT target_account_id, hide_notifications FROM mutes WHERE account_id = ? AND target_account_id IN ({marks})",
        (account_id, *target_ids),
    ):
        entry = result[int(row["target_account_id"])]
        entry["muting"] = True
        entry["muting_notifications"] = bool(row["hide_notifications"])
    return result


# --- blocks and mutes ---------------------------------------------------------------------------

async def block(tx: Executor, account_id: int, target_id: int, uri: str | None = None) -> bool:
    changed = await tx.execute(
        "INSERT INTO blocks (id, account_id, target_account_id, uri, created_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (account_id, target_account_id) DO NOTHING",
        (new_id(), account_id, target_id, uri, now_ms()),
    )
    # A block severs follows both ways, as in Mastodon.
    await remove(tx, account_id, target_id)
    await remove(tx, target_id, account_id)
    return bool(changed)


async def unblock(tx: Executor, account_id: int, target_id: int) -> bool:
    return bool(
        await tx.execute("DELETE FROM blocks WHERE account_id = ? AND target_account_id = ?", (account_id, target_id))
    )


async def is_blocked_either_way(db: Executor, a: int, b: int) -> bool:
    return bool(
        await db.fetchval(
            "SELECT 1 FROM blocks WHERE (account_id = ? AND target_account_id = ?) OR (account_id = ? AND target_account_id = ?)",
            (a, b, b, a),
        )
    )


async def mute(tx: Executor, account_id: int, target_id: int, *, notifications_too: bool, expires_at: int | None) -> None:
    await tx.execute(
        "INSERT INTO mutes (id, account_id, target_account_id, hide_notifications, expires_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, target_account_id)"
        " DO UPDATE SET hide_notifications = excluded.hide_notifications, expires_at = excluded.expires_at",
        (new_id(), account_id, target_id, int(notifications_too), expires_at, now_ms()),
    )
    await timelines.remove_author_from_home(tx, account_id, target_id)


async def unmute(tx: Executor, account_id: int, target_id: int) -> bool:
    return bool(
        await tx.execute("DELETE FROM mutes WHERE account_id = ? AND target_account_id = ?", (account_id, target_id))
    )


async def blocked_ids(db: Executor, account_id: int, page: Page) -> list[Row]:
    return await fetch_page(db, "SELECT id, target_account_id AS account_id FROM blocks", "account_id = ?",
                            (account_id,), page)


async def muted_ids(db: Executor, account_id: int, page: Page) -> list[Row]:
    return await fetch_page(db, "SELECT id, target_account_id AS account_id FROM mutes", "account_id = ?",
                            (account_id,), page)
