"""Questions about the follow graph that the client API asks: familiar followers, suggestions."""

from __future__ import annotations

from collections.abc import Sequence

from .accounts import ACCOUNT_COLUMNS
from .db import Executor, Row


async def familiar_followers(
    db: Executor, account_id: int, target_ids: Sequence[int], *, per_target: int = 40
) -> dict[int, list[int]]:
    """For each target, accounts `account_id` follows that also follow the target."""
    result: dict[int, list[int]] = {int(t): [] for t in target_ids}
    if not target_ids:
        return result
    marks = ",".join("?" * len(target_ids))
    rows = await db.fetchall(
        "SELECT theirs.target_account_id AS target, theirs.account_id AS follower FROM follows mine"
        " JOIN follows theirs ON theirs.account_id = mine.target_account_id"
        f" WHERE mine.account_id = ? AND mine.state = 'accepted' AND theirs.state = 'accepted'"
        f" AND theirs.target_account_id IN ({marks}) ORDER BY theirs.id DESC",
        (account_id, *target_ids),
    )
    for row in rows:
        followers = result[int(row["target"])]
        if len(followers) < per_target:
            followers.append(int(row["follower"]))
    return result


async def suggestions(db: Executor, account_id: int, *, limit: int = 40) -> list[Row]:
    """Colleagues to follow: same department first, then the most followed, never someone already
    followed, requested, blocked or muted, nor oneself."""
    return await db.fetchall(
        f"SELECT {', '.join('a.' + c.strip() for c in ACCOUNT_COLUMNS.split(','))} FROM accounts a"
        " LEFT JOIN accounts me ON me.id = ?"
        " WHERE a.id <> ? AND a.suspended_at IS NULL AND a.discoverable = 1 AND a.actor_type IN ('Person', 'Service')"
        " AND NOT EXISTS (SELECT 1 FROM follows f WHERE f.account_id = ? AND f.target_account_id = a.id)"
        " AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = ? AND b.target_account_id = a.id)"
        " OR (b.account_id = a.id AND b.target_account_id = ?))"
        " AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = ? AND m.target_account_id = a.id)"
        " ORDER BY CASE WHEN a.department IS NOT NULL AND a.department = me.department THEN 0 ELSE 1 END,"
        " (a.domain IS NULL) DESC, a.followers_count DESC, a.id LIMIT ?",
        (account_id, account_id, account_id, account_id, account_id, account_id, limit),
    )


async def pending_request_count(db: Executor, account_id: int) -> int:
    """How many follow requests wait for the account's answer."""
    return int(await db.fetchval(
        "SELECT COUNT(*) FROM follows WHERE target_account_id = ? AND state = 'pending'", (account_id,)) or 0)
