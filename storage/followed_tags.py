"""Followed hashtags: a local account follows a tag, and posts carrying it reach its home feed.

`fan_out` runs in the post's transaction, right after its tags are linked (storage.statuses.create).
As in Mastodon, only posts every local reader may see go to tag followers (public, and Atrium's
company and local audiences), never boosts, and never to someone who blocks or mutes the author or
whom the author blocks.
"""

from __future__ import annotations

from typing import Any

from .db import Executor, Row
from .ids import new_id, now_ms
from .pagination import Page, fetch_page

# Audiences any local account may see (storage.timelines.visible_sql for a local viewer).
FANNED_OUT = ("public", "company", "local")
MAX_FOLLOWED = 1000


async def ensure_tag(db: Executor, name: str) -> Row:
    """The tag row for a normalised name, created if nobody used it yet (Mastodon does the same)."""
    await db.execute(
        "INSERT INTO tags (id, name, display_name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
        (new_id(), name, name, now_ms()),
    )
    row = await db.fetchone("SELECT * FROM tags WHERE name = ?", (name,))
    assert row is not None
    return row


async def follow(db: Executor, account_id: int, tag_id: int) -> None:
    await db.execute(
        "INSERT INTO tag_follows (id, account_id, tag_id, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (account_id, tag_id) DO NOTHING",
        (new_id(), account_id, tag_id, now_ms()),
    )


async def unfollow(db: Executor, account_id: int, tag_id: int) -> None:
    await db.execute("DELETE FROM tag_follows WHERE account_id = ? AND tag_id = ?", (account_id, tag_id))


async def count(db: Executor, account_id: int) -> int:
    return int(await db.fetchval("SELECT COUNT(*) FROM tag_follows WHERE account_id = ?", (account_id,)) or 0)


async def is_following(db: Executor, account_id: int, tag_id: int) -> bool:
    return await db.fetchone(
        "SELECT 1 FROM tag_follows WHERE account_id = ? AND tag_id = ?", (account_id, tag_id)
    ) is not None


async def following_names(db: Executor, account_id: int, names: list[str]) -> set[str]:
    """Which of the normalised tag `names` the account follows."""
    if not names:
        return set()
    marks = ",".join("?" * len(names))
    rows = await db.fetchall(
        f"SELECT t.name FROM tag_follows tf JOIN tags t ON t.id = tf.tag_id WHERE tf.account_id = ? AND t.name IN ({marks})",
        (account_id, *names),
    )
    return {str(r["name"]) for r in rows}


async def followed(db: Executor, account_id: int, page: Page) -> list[Row]:
    """The tags an account follows, newest follow first (cursor: the follow's id, `follow_id`)."""
    return await fetch_page(
        db, "SELECT tf.id AS follow_id, t.* FROM tag_follows tf JOIN tags t ON t.id = tf.tag_id",
        "tf.account_id = ?", (account_id,), page, column="tf.id",
    )


async def fan_out(tx: Executor, *, status_id: int, author_id: int, visibility: str) -> None:
    """Put a new post in the home feed of the local followers of any of its tags.

    One statement, in the post's transaction; the author's own feed and followers' feeds are filled
    elsewhere (ON CONFLICT DO NOTHING keeps one row per reader either way).
    """
    found = fan_out_select(status_id=status_id, author_id=author_id, visibility=visibility)
    if found is None:
        return
    select, params = found
    await tx.execute(f"INSERT INTO home_feed (account_id, status_id, author_id) {select} ON CONFLICT DO NOTHING", params)


def fan_out_select(*, status_id: int, author_id: int, visibility: str) -> tuple[str, tuple[Any, ...]] | None:
    """The SELECT of `fan_out`'s feed rows (account_id, status_id, author_id), or None when the
    visibility is not fanned out: storage.statuses.create inserts it with the addressees' rows, in
    one statement. Reads `status_tags`, so it runs after the post's tags are linked."""
    if visibility not in FANNED_OUT:
        return None
    return (
        "SELECT DISTINCT tf.account_id, CAST(? AS BIGINT), CAST(? AS BIGINT)"
        " FROM status_tags st JOIN tag_follows tf ON tf.tag_id = st.tag_id"
        " JOIN accounts a ON a.id = tf.account_id"
        " WHERE st.status_id = ? AND a.domain IS NULL AND a.suspended_at IS NULL AND tf.account_id <> ?"
        " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = tf.account_id AND b.target_account_id = ?)"
        " OR (b.account_id = ? AND b.target_account_id = tf.account_id))"
        " AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = tf.account_id AND m.target_account_id = ?"
        " AND (m.expires_at IS NULL OR m.expires_at > ?))",
        (status_id, author_id, status_id, author_id, author_id, author_id, author_id, now_ms()),
    )
