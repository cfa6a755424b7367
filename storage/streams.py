"""Streaming events shared between web workers: one row per thing that happened, read by every worker.

Rows carry ids and what the event is about, never a rendered entity: each worker renders for the
connections it holds (who may see what is decided at delivery time, per viewer). On PostgreSQL an
insert also NOTIFYs `CHANNEL`, so listening workers wake at once instead of at their next poll.
"""

from __future__ import annotations

from collections.abc import Sequence

from .db import Executor, Row
from .ids import new_id, now_ms

CHANNEL = "atrium_stream"
BATCH = 500


async def append(db: Executor, stream: str, event: str, payload: str) -> int:
    event_id = new_id()
    await db.execute(
        "INSERT INTO stream_events (id, stream, event, payload, created_at) VALUES (?, ?, ?, ?, ?)",
        (event_id, stream, event, payload, now_ms()),
    )
    if db.dialect == "postgresql":
        await db.execute("SELECT pg_notify(?, ?)", (CHANNEL, str(event_id)))
    return event_id


async def append_many(db: Executor, stream: str, event: str, payloads: Sequence[str]) -> None:
    """`append` for several events (a round of remote posts): one insert, one NOTIFY per event on PostgreSQL."""
    if not payloads:
        return
    rows = [(new_id(), stream, event, payload, now_ms()) for payload in payloads]
    await db.executemany(
        "INSERT INTO stream_events (id, stream, event, payload, created_at) VALUES (?, ?, ?, ?, ?)", rows
    )
    if db.dialect == "postgresql":
        await db.executemany("SELECT pg_notify(?, ?)", [(CHANNEL, str(row[0])) for row in rows])


async def since(db: Executor, after_id: int, limit: int = BATCH) -> list[Row]:
    return await db.fetchall(
        "SELECT id, stream, event, payload, created_at FROM stream_events WHERE id > ? ORDER BY id LIMIT ?",
        (after_id, limit),
    )


async def purge(db: Executor, *, older_than_ms: int) -> int:
    return await db.execute("DELETE FROM stream_events WHERE created_at < ?", (older_than_ms,))


async def notifications_since(db: Executor, after_id: int, account_ids: Sequence[int], limit: int = BATCH) -> list[Row]:
    """New notifications of the given (connected) accounts, oldest first."""
    if not account_ids:
        return []
    marks = ",".join("?" * len(account_ids))
    return await db.fetchall(
        f"SELECT * FROM notifications WHERE id > ? AND account_id IN ({marks}) ORDER BY id LIMIT ?",
        (after_id, *account_ids, limit),
    )


async def home_recipients(db: Executor, status_id: int, account_ids: Sequence[int]) -> set[int]:
    """Which of these accounts got the status in their home feed."""
    if not account_ids:
        return set()
    marks = ",".join("?" * len(account_ids))
    rows = await db.fetchall(
        f"SELECT account_id FROM home_feed WHERE status_id = ? AND account_id IN ({marks})", (status_id, *account_ids)
    )
    return {int(r["account_id"]) for r in rows}


async def hidden_authors(db: Executor, author_id: int, viewer_ids: Sequence[int]) -> set[int]:
    """Viewers who block or mute the author, or whom the author blocks: they get none of its posts."""
    if not viewer_ids:
        return set()
    marks = ",".join("?" * len(viewer_ids))
    rows = await db.fetchall(
        f"SELECT account_id AS viewer FROM blocks WHERE target_account_id = ? AND account_id IN ({marks})"
        f" UNION SELECT target_account_id AS viewer FROM blocks WHERE account_id = ? AND target_account_id IN ({marks})"
        f" UNION SELECT account_id AS viewer FROM mutes WHERE target_account_id = ? AND account_id IN ({marks})",
        (author_id, *viewer_ids, author_id, *viewer_ids, author_id, *viewer_ids),
    )
    return {int(r["viewer"]) for r in rows}


async def viewer_profiles(
    db: Executor, status_ids: Sequence[int], viewer_ids: Sequence[int], poll_id: int | None
) -> dict[int, tuple[tuple[str, int], ...]]:
    """What differs between viewers of these statuses: their favourites, boosts, bookmarks, pins and
    poll votes on them. Viewers absent from the answer have none (most viewers, for a new post)."""
    if not status_ids or not viewer_ids:
        return {}
    smarks, vmarks = ",".join("?" * len(status_ids)), ",".join("?" * len(viewer_ids))
    found: dict[int, set[tuple[str, int]]] = {}
    for kind, sql in (
        ("favourited", f"SELECT account_id, status_id AS item FROM favourites WHERE status_id IN ({smarks})"
                       f" AND account_id IN ({vmarks})"),
        ("reblogged", f"SELECT account_id, reblog_of_id AS item FROM statuses WHERE reblog_of_id IN ({smarks})"
                      f" AND account_id IN ({vmarks})"),
        ("bookmarked", f"SELECT account_id, status_id AS item FROM bookmarks WHERE status_id IN ({smarks})"
                       f" AND account_id IN ({vmarks})"),
        ("pinned", f"SELECT account_id, status_id AS item FROM pins WHERE status_id IN ({smarks})"
                   f" AND account_id IN ({vmarks})"),
    ):
        for row in await db.fetchall(sql, (*status_ids, *viewer_ids)):
            found.setdefault(int(row["account_id"]), set()).add((kind, int(row["item"])))
    if poll_id is not None:
        for row in await db.fetchall(
            f"SELECT account_id, choice AS item FROM poll_votes WHERE poll_id = ? AND account_id IN ({vmarks})",
            (poll_id, *viewer_ids),
        ):
            found.setdefault(int(row["account_id"]), set()).add(("voted", int(row["item"])))
    return {viewer: tuple(sorted(items)) for viewer, items in found.items()}
