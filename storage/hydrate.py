"""Load statuses with everything a view of them needs, in a fixed number of queries.

Timelines return ids; `load_statuses` turns them into `StatusBundle`s (the status row, its author,
the boosted status, media, mentions, tags, poll, and the viewer's own flags), with one query per
kind of thing whatever the number of statuses: no N+1 queries on the hot path.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import accounts, statuses
from .db import Executor, Row, row_values


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


async def load_statuses(
    db: Executor, status_ids: list[int], viewer_id: int | None = None, *, known_accounts: Iterable[Row] = (),
    display_only: bool = False,
) -> list[StatusBundle]:
    """Bundles for `status_ids`, in the same order, skipping ids that no longer exist.

    `known_accounts`: account rows the caller holds already (a new post's author and mentions), not
    read again; the query for accounts is skipped when they are all there. `display_only`: the
    bundles are only shown to readers, so authors and mentions are read with
    `accounts.DISPLAY_COLUMNS` (no keys, inboxes or collections: not for federation)."""
    rows, extras = await _statuses_with_extras(db, status_ids, viewer_id)
    reblog_ids = [int(r["reblog_of_id"]) for r in rows.values() if r["reblog_of_id"] is not None]
    reblogged_rows, reblogged_extras = await _statuses_with_extras(db, reblog_ids, viewer_id)
    all_rows = {**rows, **reblogged_rows}
    extras.update(reblogged_extras)
    ids = list(all_rows)
    account_ids = {int(r["account_id"]) for r in all_rows.values()}
    account_ids |= {int(r["in_reply_to_account_id"]) for r in all_rows.values() if r["in_reply_to_account_id"]}
    with_media = [sid for sid in ids if extras[sid].has_media]
    media = await _by_status(
        db, "SELECT * FROM media_attachments WHERE status_id IN ({}) ORDER BY position, id", with_media)
    account_ids |= {a for extra in extras.values() for a in extra.mention_ids}
    known = {int(a["id"]): a for a in known_accounts}
    missing = account_ids - known.keys()
    columns = accounts.DISPLAY_COLUMNS if display_only else accounts.ACCOUNT_COLUMNS
    account_map = {**(await accounts.get_many(db, missing, columns=columns) if missing else {}), **known}
    poll_ids = [int(r["poll_id"]) for r in all_rows.values() if r["poll_id"]]
    polls = await load_polls(db, poll_ids, viewer_id)

    def bundle(row: Row) -> StatusBundle | None:
        author = account_map.get(int(row["account_id"]))
        if author is None:
            return None
        sid = int(row["id"])
        extra = extras[sid]
        return StatusBundle(
            status=row,
            account=author,
            media=media.get(sid, []),
            mentions=[account_map[a] for a in extra.mention_ids if a in account_map],
            tags=extra.tags,
            poll=polls.get(int(row["poll_id"])) if row["poll_id"] else None,
            favourited=extra.favourited, reblogged=extra.reblogged, bookmarked=extra.bookmarked, pinned=extra.pinned,
            in_reply_to_account=account_map.get(int(row["in_reply_to_account_id"])) if row["in_reply_to_account_id"] else None,
        )

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


@dataclass
class _Extras:
    mention_ids: list[int]
    tags: list[str]
    has_media: bool
    favourited: bool = False
    reblogged: bool = False
    bookmarked: bool = False
    pinned: bool = False


# What each status has besides its row (mentioned accounts, hashtags, whether it has media) and the
# viewer's four flags, read with the rows themselves: each query is a thread hop on SQLite and a
# round trip on PostgreSQL, and a page of 40 posts used to take six of them for this.
_TAG_SEPARATOR = "\x1f"   # never in a hashtag (word characters only)
_AGGREGATES = {
    "sqlite": ("group_concat(m.account_id)", "group_concat(t.name, char(31))"),
    "postgresql": ("string_agg(m.account_id::text, ',')", "string_agg(t.name, chr(31))"),
}
_FLAGS = (
    "EXISTS (SELECT 1 FROM favourites f WHERE f.account_id = ? AND f.status_id = s.id) AS favourited",
    "EXISTS (SELECT 1 FROM statuses b WHERE b.account_id = ? AND b.reblog_of_id = s.id) AS reblogged",
    "EXISTS (SELECT 1 FROM bookmarks k WHERE k.account_id = ? AND k.status_id = s.id) AS bookmarked",
    "EXISTS (SELECT 1 FROM pins p WHERE p.account_id = ? AND p.status_id = s.id) AS pinned",
)
_STATUS_NAMES = tuple(statuses.STATUS_COLUMNS.replace(" ", "").split(","))
_WITH_EXTRAS_SQL: dict[tuple[str, int, bool], str] = {}


def status_values(row: Row) -> tuple[Any, ...]:
    """The status columns' values of a bundle's status row (which also carries the extras read with
    it, the viewer's flags among them): for caches of what every reader sees."""
    return row_values(row)[: len(_STATUS_NAMES)]


def _with_extras_sql(dialect: str, count: int, with_flags: bool) -> str:
    key = (dialect, count, with_flags)
    found = _WITH_EXTRAS_SQL.get(key)
    if found is None:
        mentions, tags = _AGGREGATES["postgresql" if dialect == "postgresql" else "sqlite"]
        columns = [
            *(f"s.{name}" for name in _STATUS_NAMES),
            f"(SELECT {mentions} FROM mentions m WHERE m.status_id = s.id) AS mention_ids",
            f"(SELECT {tags} FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id = s.id)"
            " AS tag_names",
            "EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id) AS has_media",
            *(_FLAGS if with_flags else ()),
        ]
        found = f"SELECT {', '.join(columns)} FROM statuses s WHERE s.id IN ({','.join('?' * count)})"
        if count <= 100:   # page sizes: a handful of distinct texts
            _WITH_EXTRAS_SQL[key] = found
    return found


async def _statuses_with_extras(
    db: Executor, status_ids: Iterable[int], viewer_id: int | None
) -> tuple[dict[int, Row], dict[int, _Extras]]:
    """The rows of `status_ids` (STATUS_COLUMNS first, then the extras), and their extras."""
    ids = list({int(i) for i in status_ids if i is not None})
    if not ids:
        return {}, {}
    with_flags = bool(viewer_id)
    params = (*((viewer_id,) * len(_FLAGS) if with_flags else ()), *ids)
    rows: dict[int, Row] = {}
    extras: dict[int, _Extras] = {}
    first = len(_STATUS_NAMES)
    for row in await db.fetchall(_with_extras_sql(db.dialect, len(ids), with_flags), params):
        sid = int(row[0])   # STATUS_COLUMNS starts with id
        rows[sid] = row
        # By position: the extras come last, and sqlite3.Row finds a name by comparing it with every
        # column before it (~1 µs for the 30th), which for seven extras of 40 rows showed in a page.
        mention_ids, tag_names, has_media, *flags = row_values(row)[first:]
        extra = _Extras(
            mention_ids=[int(a) for a in str(mention_ids).split(",")] if mention_ids else [],
            tags=str(tag_names).split(_TAG_SEPARATOR) if tag_names else [],
            has_media=bool(has_media),
        )
        if with_flags:
            extra.favourited, extra.reblogged, extra.bookmarked, extra.pinned = (bool(f) for f in flags)
        extras[sid] = extra
    return rows, extras


async def load_status(
    db: Executor, status_id: int, viewer_id: int | None = None, *, known_accounts: Iterable[Row] = ()
) -> StatusBundle | None:
    found = await load_statuses(db, [status_id], viewer_id, known_accounts=known_accounts)
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
