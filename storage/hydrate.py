"""Load statuses with everything a view of them needs, in a fixed number of queries.

Timelines return ids; `load_statuses` turns them into `StatusBundle`s (the status row, its author,
the boosted status, media, mentions, tags, poll, and the viewer's own flags), with one query per
kind of thing whatever the number of statuses: no N+1 queries on the hot path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import accounts, interactions, statuses
from .db import Executor, Row


@dataclass
class PollBundle:
    poll: Row
    counts: list[int]
    own_votes: list[int] = field(default_factory=list)


@dataclass
class StatusBundle:
    status: Row
    account: Row
    reblog: StatusBundle | None = None
    media: list[Row] = field(default_factory=list)
    mentions: list[Row] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    poll: PollBundle | None = None
    favourited: bool = False
    reblogged: bool = False
    bookmarked: bool = False
    pinned: bool = False
    in_reply_to_account: Row | None = None

    @property
    def id(self) -> int:
        return int(self.status["id"])


def row_values(row: Row) -> tuple[Any, ...]:
    """Every value of a row, for caches keyed by what a row says: sqlite3.Row iterates over its
    values; asyncpg's Record and plain dicts have values()."""
    values = getattr(row, "values", None)
    return tuple(values()) if callable(values) else tuple(row)


async def load_statuses(db: Executor, status_ids: list[int], viewer_id: int | None = None) -> list[StatusBundle]:
    """Bundles for `status_ids`, in the same order, skipping ids that no longer exist."""
    rows = await statuses.get_many(db, status_ids)
    reblog_ids = [int(r["reblog_of_id"]) for r in rows.values() if r["reblog_of_id"] is not None]
    reblogged_rows = await statuses.get_many(db, reblog_ids)
    all_rows = {**rows, **reblogged_rows}
    ids = list(all_rows)
    account_ids = {int(r["account_id"]) for r in all_rows.values()}
    account_ids |= {int(r["in_reply_to_account_id"]) for r in all_rows.values() if r["in_reply_to_account_id"]}
    media = await _by_status(db, "SELECT * FROM media_attachments WHERE status_id IN ({}) ORDER BY position, id", ids)
    mention_rows = await _by_status(db, "SELECT status_id, account_id FROM mentions WHERE status_id IN ({})", ids)
    account_ids |= {int(m["account_id"]) for ms in mention_rows.values() for m in ms}
    tag_rows = await _by_status(
        db, "SELECT st.status_id, t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id IN ({})", ids
    )
    account_map = await accounts.get_many(db, account_ids)
    poll_ids = [int(r["poll_id"]) for r in all_rows.values() if r["poll_id"]]
    polls = await load_polls(db, poll_ids, viewer_id)
    flags = await viewer_flags(db, viewer_id, ids) if viewer_id else None

    def bundle(row: Row) -> StatusBundle | None:
        author = account_map.get(int(row["account_id"]))
        if author is None:
            return None
        sid = int(row["id"])
        result = StatusBundle(
            status=row,
            account=author,
            media=media.get(sid, []),
            mentions=[
                account_map[int(m["account_id"])] for m in mention_rows.get(sid, []) if int(m["account_id"]) in account_map
            ],
            tags=[t["name"] for t in tag_rows.get(sid, [])],
            poll=polls.get(int(row["poll_id"])) if row["poll_id"] else None,
            in_reply_to_account=account_map.get(int(row["in_reply_to_account_id"])) if row["in_reply_to_account_id"] else None,
        )
        if flags is not None:
            result.favourited = sid in flags["favourited"]
            result.reblogged = sid in flags["reblogged"]
            result.bookmarked = sid in flags["bookmarked"]
            result.pinned = sid in flags["pinned"]
        return result

    out = []
    for status_id in status_ids:
        row = rows.get(int(status_id))
        if row is None:
            continue
        top = bundle(row)
        if top is None:
            continue
        if row["reblog_of_id"] is not None:
            inner_row = reblogged_rows.get(int(row["reblog_of_id"]))
            inner = bundle(inner_row) if inner_row is not None else None
            if inner is None:
                continue
            top.reblog = inner
        out.append(top)
    return out


# The viewer's four flags in one round trip rather than four (each costs a thread hop on SQLite).
_FLAG_NAMES = ("favourited", "reblogged", "bookmarked", "pinned")
_FLAGS_SQL = (
    "SELECT 0 AS kind, status_id AS id FROM favourites WHERE account_id = ? AND status_id IN ({0})"
    " UNION ALL SELECT 1 AS kind, reblog_of_id AS id FROM statuses WHERE account_id = ? AND reblog_of_id IN ({0})"
    " UNION ALL SELECT 2 AS kind, status_id AS id FROM bookmarks WHERE account_id = ? AND status_id IN ({0})"
    " UNION ALL SELECT 3 AS kind, status_id AS id FROM pins WHERE account_id = ? AND status_id IN ({0})"
)
_FLAGS_MAX_IDS = 500   # 4 × ids bound parameters: stay far below both engines' limits


async def viewer_flags(db: Executor, viewer_id: int, status_ids: list[int]) -> dict[str, set[int]]:
    """What storage.interactions.viewer_flags answers (favourited, reblogged, bookmarked, pinned)."""
    if not status_ids or len(status_ids) > _FLAGS_MAX_IDS:
        return await interactions.viewer_flags(db, viewer_id, status_ids)
    flags: dict[str, set[int]] = {name: set() for name in _FLAG_NAMES}
    params = (viewer_id, *status_ids)
    for row in await db.fetchall(_FLAGS_SQL.format(",".join("?" * len(status_ids))), params * 4):
        flags[_FLAG_NAMES[int(row["kind"])]].add(int(row["id"]))
    return flags


async def load_status(db: Executor, status_id: int, viewer_id: int | None = None) -> StatusBundle | None:
    found = await load_statuses(db, [status_id], viewer_id)
    return found[0] if found else None


async def _by_status(db: Executor, sql: str, ids: list[int]) -> dict[int, list[Row]]:
    if not ids:
        return {}
    rows = await db.fetchall(sql.format(",".join("?" * len(ids))), ids)
    grouped: dict[int, list[Row]] = {}
    for row in rows:
        grouped.setdefault(int(row["status_id"]), []).append(row)
    return grouped


async def load_polls(db: Executor, poll_ids: list[int], viewer_id: int | None) -> dict[int, PollBundle]:
    if not poll_ids:
        return {}
    marks = ",".join("?" * len(poll_ids))
    polls = await db.fetchall(f"SELECT * FROM polls WHERE id IN ({marks})", poll_ids)
    counts: dict[int, dict[int, int]] = {}
    for row in await db.fetchall(
        f"SELECT poll_id, choice, COUNT(*) AS n FROM poll_votes WHERE poll_id IN ({marks}) GROUP BY poll_id, choice",
        poll_ids,
    ):
        counts.setdefault(int(row["poll_id"]), {})[int(row["choice"])] = int(row["n"])
    own: dict[int, list[int]] = {}
    if viewer_id:
        for row in await db.fetchall(
            f"SELECT poll_id, choice FROM poll_votes WHERE account_id = ? AND poll_id IN ({marks})",
            (viewer_id, *poll_ids),
        ):
            own.setdefault(int(row["poll_id"]), []).append(int(row["choice"]))
    result = {}
    for poll in polls:
        pid = int(poll["id"])
        options = json.loads(poll["options"])
        cached: list[Any] = json.loads(poll["cached_counts"]) if poll["cached_counts"] else []
        local_counts = counts.get(pid, {})
        merged = [
            max(int(cached[i]) if i < len(cached) and cached[i] is not None else 0, local_counts.get(i, 0))
            for i in range(len(options))
        ]
        result[pid] = PollBundle(poll=poll, counts=merged, own_votes=sorted(own.get(pid, [])))
    return result
