"""Private notes an account keeps about other accounts (Mastodon's AccountNote, Relationship.note)."""

from __future__ import annotations

from collections.abc import Sequence

from .db import Executor
from .ids import now_ms

MAX_COMMENT = 2000


async def set_note(db: Executor, account_id: int, target_id: int, comment: str) -> None:
    """Keep `comment` as the note about `target_id`; an empty comment removes the note."""
    if not comment:
        await db.execute("DELETE FROM account_notes WHERE account_id = ? AND target_account_id = ?",
                         (account_id, target_id))
        return
    await db.execute(
        "INSERT INTO account_notes (account_id, target_account_id, comment, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (account_id, target_account_id) DO UPDATE SET comment = excluded.comment,"
        " updated_at = excluded.updated_at",
        (account_id, target_id, comment, now_ms()),
    )


async def notes_about(db: Executor, account_id: int, target_ids: Sequence[int]) -> dict[int, str]:
    """The owner's notes about each of `target_ids` that has one."""
    if not target_ids:
        return {}
    marks = ",".join("?" * len(target_ids))
    rows = await db.fetchall(
        f"SELECT target_account_id, comment FROM account_notes WHERE account_id = ? AND target_account_id IN ({marks})",
        (account_id, *target_ids),
    )
    return {int(r["target_account_id"]): str(r["comment"]) for r in rows}
