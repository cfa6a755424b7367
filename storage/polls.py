"""Polls (Mastodon's Question), also the base of surveys: options, votes, expiry."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .db import Executor, Row
from .ids import new_id, now_ms

MAX_OPTIONS = 20


class VoteRefused(Exception):
    """The vote cannot be counted; the message says why (shown to the user)."""


async def create(
    tx: Executor,
    *,
    account_id: int,
    status_id: int,
    options: Sequence[str],
    expires_at: int | None,
    multiple: bool,
    hide_totals: bool = False,
    cached_counts: Sequence[int] | None = None,
    voters_count: int = 0,
) -> int:
    poll_id = new_id()
    now = now_ms()
    await tx.execute(
        "INSERT INTO polls (id, status_id, account_id, options, cached_counts, multiple, hide_totals, expires_at,"
        " voters_count, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            poll_id, status_id, account_id, json.dumps(list(options)[:MAX_OPTIONS], ensure_ascii=False),
            json.dumps(list(cached_counts)) if cached_counts is not None else None, int(multiple),
            int(hide_totals), expires_at, voters_count, now, now,
        ),
    )
    await tx.execute("UPDATE statuses SET poll_id = ? WHERE id = ?", (poll_id, status_id))
    return poll_id


async def get(db: Executor, poll_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM polls WHERE id = ?", (poll_id,))


async def vote(tx: Executor, poll: Row, account_id: int, choices: Sequence[int], uri: str | None = None) -> None:
    options = json.loads(poll["options"])
    if poll["expires_at"] is not None and poll["expires_at"] <= now_ms():
        raise VoteRefused("The poll has already ended")
    if not choices:
        raise VoteRefused("Choose at least one option")
    if any(not 0 <= c < len(options) for c in choices):
        raise VoteRefused("That option does not exist")
    if not poll["multiple"] and len(set(choices)) > 1:
        raise VoteRefused("This poll allows only one choice")
    if poll["account_id"] == account_id:
        raise VoteRefused("You cannot vote in your own poll")
    already = await tx.fetchval("SELECT 1 FROM poll_votes WHERE poll_id = ? AND account_id = ?", (poll["id"], account_id))
    if already and not poll["multiple"]:
        raise VoteRefused("You have already voted in this poll")
    if already:
        raise VoteRefused("You have already voted in this poll")
    await tx.executemany(
        "INSERT INTO poll_votes (id, poll_id, account_id, choice, uri, created_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        [(new_id(), poll["id"], account_id, c, uri, now_ms()) for c in sorted(set(choices))],
    )
    await tx.execute(
        "UPDATE polls SET voters_count = voters_count + 1, votes_count = votes_count + ?, updated_at = ? WHERE id = ?",
        (len(set(choices)), now_ms(), poll["id"]),
    )


async def update_remote_counts(db: Executor, poll_id: int, counts: Sequence[int], voters_count: int | None) -> None:
    await db.execute(
        "UPDATE polls SET cached_counts = ?, voters_count = COALESCE(?, voters_count), updated_at = ? WHERE id = ?",
        (json.dumps(list(counts)), voters_count, now_ms(), poll_id),
    )


async def voter_ids(db: Executor, poll_id: int) -> list[int]:
    rows = await db.fetchall("SELECT DISTINCT account_id FROM poll_votes WHERE poll_id = ?", (poll_id,))
    return [int(r["account_id"]) for r in rows]
