"""Writes that only federation makes: tombstones of unseen objects, remote votes, remote media reuse."""

from __future__ import annotations

from collections.abc import Sequence

from .accounts import ACCOUNT_COLUMNS
from .db import Executor, Row
from .ids import new_id, now_ms

_CHUNK = 500   # bound parameters per statement


async def add_tombstone(tx: Executor, uri: str, account_id: int | None) -> None:
    """Remember that `uri` was deleted, so a late Create or Update cannot bring it back."""
    await tx.execute(
        "INSERT INTO tombstones (uri, account_id, deleted_at) VALUES (?, ?, ?) ON CONFLICT (uri) DO NOTHING",
        (uri, account_id, now_ms()),
    )


async def tombstone_owner(db: Executor, uri: str) -> Row | None:
    return await db.fetchone("SELECT * FROM tombstones WHERE uri = ?", (uri,))


async def record_vote(tx: Executor, poll: Row, account_id: int, choice: int, uri: str | None) -> bool:
    """Count one remote vote (a remote voter sends one activity per chosen option).

    False when this choice was already counted or the poll does not allow another choice.
    """
    earlier = await tx.fetchall(
        "SELECT choice FROM poll_votes WHERE poll_id = ? AND account_id = ?", (poll["id"], account_id)
    )
    if earlier and not poll["multiple"]:
        return False
    changed = await tx.execute(
        "INSERT INTO poll_votes (id, poll_id, account_id, choice, uri, created_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (poll_id, account_id, choice) DO NOTHING",
        (new_id(), poll["id"], account_id, choice, uri, now_ms()),
    )
    if not changed:
        return False
    await tx.execute(
        "UPDATE polls SET votes_count = votes_count + 1, voters_count = voters_count + ?, updated_at = ? WHERE id = ?",
        (0 if earlier else 1, now_ms(), poll["id"]),
    )
    return True


async def media_of_status(db: Executor, status_id: int) -> list[Row]:
    return await db.fetchall(
        "SELECT id, remote_url FROM media_attachments WHERE status_id = ? ORDER BY position, id", (status_id,)
    )


async def get_block_by_uri(db: Executor, uri: str) -> Row | None:
    return await db.fetchone("SELECT * FROM blocks WHERE uri = ?", (uri,))


async def followed_local_ids(db: Executor, account_id: int) -> list[int]:
    """Local accounts that `account_id` follows or asked to follow (their counters change if it goes)."""
    rows = await db.fetchall(
        "SELECT f.target_account_id FROM follows f JOIN accounts a ON a.id = f.target_account_id"
        " WHERE f.account_id = ? AND a.domain IS NULL",
        (account_id,),
    )
    return [int(r["target_account_id"]) for r in rows]


async def following_local_ids(db: Executor, account_id: int) -> list[int]:
    """Local accounts that follow `account_id`."""
    rows = await db.fetchall(
        "SELECT f.account_id FROM follows f JOIN accounts a ON a.id = f.account_id"
        " WHERE f.target_account_id = ? AND a.domain IS NULL",
        (account_id,),
    )
    return [int(r["account_id"]) for r in rows]


async def post_states(db: Executor, uris: Sequence[str]) -> tuple[set[str], set[str]]:
    """Of the post ids `uris`: those deleted (tombstoned) and those stored, in two queries for all."""
    tombstoned: set[str] = set()
    stored: set[str] = set()
    unique = list(dict.fromkeys(uris))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        tombstoned.update(str(r["uri"]) for r in await db.fetchall(f"SELECT uri FROM tombstones WHERE uri IN ({marks})", chunk))
        stored.update(str(r["uri"]) for r in await db.fetchall(f"SELECT uri FROM statuses WHERE uri IN ({marks})", chunk))
    return tombstoned, stored


async def accounts_by_uri(db: Executor, uris: Sequence[str]) -> dict[str, Row]:
    """The stored accounts among the actor ids `uris`, by id (one query per 500)."""
    found: dict[str, Row] = {}
    unique = list(dict.fromkeys(uris))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        rows = await db.fetchall(
            f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE uri IN ({','.join('?' * len(chunk))})", chunk
        )
        found.update((str(r["uri"]), r) for r in rows)
    return found
