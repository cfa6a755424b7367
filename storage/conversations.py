"""Direct conversations: threads of `direct` posts an account wrote or was mentioned in."""

from __future__ import annotations

from .db import Executor, Row
from .pagination import Page


async def latest_per_thread(db: Executor, account_id: int, page: Page) -> list[Row]:
    """(thread id, id of its newest direct post the account is part of), newest thread first.

    The thread id is the root of the thread (the status itself when it starts one); the cursor is
    the newest post's id, as Mastodon pages conversations by their last status.
    """
    cursor, params, direction = page.clause("MAX(s.id)")
    having = f" HAVING {cursor}" if cursor else ""
    rows = await db.fetchall(
        "SELECT COALESCE(s.thread_root_id, s.id) AS thread_id, MAX(s.id) AS last_id FROM statuses s"
        " WHERE s.visibility = 'direct' AND (s.account_id = ?"
        " OR EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = s.id AND m.account_id = ?))"
        f" GROUP BY COALESCE(s.thread_root_id, s.id){having} ORDER BY last_id {direction} LIMIT ?",
        (account_id, account_id, *params, page.limit),
    )
    return page.finish(rows)


async def participants(db: Executor, status_ids: list[int]) -> dict[int, list[int]]:
    """Author and mentioned accounts of each status."""
    if not status_ids:
        return {}
    marks = ",".join("?" * len(status_ids))
    rows = await db.fetchall(
        f"SELECT id AS status_id, account_id FROM statuses WHERE id IN ({marks})"
        f" UNION SELECT status_id, account_id FROM mentions WHERE status_id IN ({marks})",
        (*status_ids, *status_ids),
    )
    result: dict[int, list[int]] = {}
    for row in rows:
        result.setdefault(int(row["status_id"]), []).append(int(row["account_id"]))
    return result
