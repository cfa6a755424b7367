"""Statuses (posts, replies, boosts): creation with mentions, tags and counters; edits; deletion."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import fanout, followed_tags, notifications, streams, timelines
from .db import Executor, Row
from .ids import new_id, now_ms

VISIBILITIES = ("public", "unlisted", "followers", "direct", "company", "local")
# Audiences whose posts may be boosted: the others are limited to their addressees (SECURITY-CASES 23).
BOOSTABLE = ("public", "unlisted", "company", "local")

STATUS_COLUMNS = (
    "id, uri, url, account_id, local, visibility, in_reply_to_id, in_reply_to_uri, in_reply_to_account_id,"
    " thread_root_id, reblog_of_id, group_id, content, source_text, spoiler_text, sensitive, language, poll_id,"
    " must_read, replies_count, reblogs_count, favourites_count, created_at, edited_at, remote_updated_at"
)


@dataclass
class NewStatus:
    """A status to store; `uri` is its ActivityPub id (local: ours; remote: the origin's)."""

    account_id: int
    uri: str
    visibility: str
    local: bool
    content: str = ""
    url: str | None = None
    source_text: str | None = None
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = None
    in_reply_to_id: int | None = None
    in_reply_to_uri: str | None = None
    reblog_of_id: int | None = None
    group_id: int | None = None
    mention_ids: Sequence[int] = ()
    tag_names: Sequence[str] = ()           # normalised names
    media_ids: Sequence[int] = ()
    must_read: bool = False
    created_at: int | None = None           # ms; remote statuses pass their `published`
    status_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class StatusRefused(Exception):
    """The status cannot be stored (e.g. a boost of a followers-only post, a deleted object)."""


async def get(db: Executor, status_id: int) -> Row | None:
    return await db.fetchone(f"SELECT {STATUS_COLUMNS} FROM statuses WHERE id = ?", (status_id,))


async def get_by_uri(db: Executor, uri: str) -> Row | None:
    return await db.fetchone(f"SELECT {STATUS_COLUMNS} FROM statuses WHERE uri = ?", (uri,))


async def get_many(db: Executor, status_ids: Iterable[int]) -> dict[int, Row]:
    ids = list({int(i) for i in status_ids if i is not None})
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = await db.fetchall(f"SELECT {STATUS_COLUMNS} FROM statuses WHERE id IN ({marks})", ids)
    return {int(r["id"]): r for r in rows}


async def is_tombstoned(db: Executor, uri: str) -> bool:
    return bool(await db.fetchval("SELECT 1 FROM tombstones WHERE uri = ?", (uri,)))


async def find_boost(db: Executor, account_id: int, status_id: int) -> Row | None:
    return await db.fetchone(
        f"SELECT {STATUS_COLUMNS} FROM statuses WHERE account_id = ? AND reblog_of_id = ?", (account_id, status_id)
    )


@dataclass(frozen=True)
class Created:
    """What `store` did: the new status's id, and whether it left a fan-out job for its followers."""

    status_id: int
    fanout_queued: bool


async def create(tx: Executor, new: NewStatus) -> int:
    """Store a status and everything that follows from it, in the caller's transaction (`store`);
    returns its id."""
    return (await store(tx, new)).status_id


async def store(tx: Executor, new: NewStatus) -> Created:
    """Store a status and everything that follows from it, in the caller's transaction.

    Mentions, tags and media are linked; the thread root, counters and `last_status_at` are updated;
    the status enters its author's and addressees' home feeds, and a fan-out job for its followers'
    feeds is queued (the caller runs `storage.fanout.run` after the commit, or the workers do; the
    returned `fanout_queued` says whether there is one, so the caller need not ask);
    mentioned, replied-to and boosted local accounts are notified.

    Each statement is a thread hop on SQLite and a round trip on PostgreSQL, so statements with no
    work are skipped and related ones merged: a simple post with a hashtag makes 7, a remote one 8
    (tests/storage/test_status_statements.py pins the counts).
    """
    if new.visibility not in VISIBILITIES:
        raise StatusRefused(f"unknown visibility {new.visibility!r}")
    created_at = new.created_at or now_ms()
    # A local post given a fresh id by its service has a URI no one can have deleted yet: one
    # statement fewer on the hottest write path. Remote objects (and callers without an id) are
    # checked, together with whether the id drawn for them is free (one query for both).
    if new.status_id is not None and new.local:
        status_id = new.status_id
    else:
        status_id = await _check_uri_and_draw_id(tx, new, created_at)

    parent = None
    if new.in_reply_to_id is not None:
        parent = await get(tx, new.in_reply_to_id)
    reblogged = None
    if new.reblog_of_id is not None:
        reblogged = await get(tx, new.reblog_of_id)
        if reblogged is None:
            raise StatusRefused("boosted status not found")
        if reblogged["reblog_of_id"] is not None:
            reblogged = await get(tx, reblogged["reblog_of_id"])
            assert reblogged is not None
        if reblogged["visibility"] not in BOOSTABLE:
            raise StatusRefused("followers-only and direct posts cannot be boosted")
    thread_root_id = (parent["thread_root_id"] or parent["id"]) if parent else None

    await tx.execute(
        f"INSERT INTO statuses ({STATUS_COLUMNS}) VALUES ({','.join('?' * 25)})",
        (
            status_id, new.uri, new.url, new.account_id, int(new.local), new.visibility,
            parent["id"] if parent else None, new.in_reply_to_uri or (parent["uri"] if parent else None),
            parent["account_id"] if parent else None, thread_root_id,
            reblogged["id"] if reblogged else None, new.group_id, new.content, new.source_text,
            new.spoiler_text, int(new.sensitive), new.language, None, int(new.must_read), 0, 0, 0,
            created_at, None, None,
        ),
    )
    mention_ids = list(dict.fromkeys(new.mention_ids))
    if mention_ids:
        await tx.executemany(
            "INSERT INTO mentions (status_id, account_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(status_id, m) for m in mention_ids],
        )
    if new.tag_names:
        await link_tags(tx, status_id, new.tag_names, created_at)
    if new.media_ids:
        await tx.executemany(
            "UPDATE media_attachments SET status_id = ?, position = ? WHERE id = ? AND account_id = ?"
            " AND status_id IS NULL",
            [(status_id, pos, media_id, new.account_id) for pos, media_id in enumerate(new.media_ids)],
        )

    if reblogged is None:
        await tx.execute(
            "UPDATE accounts SET statuses_count = statuses_count + 1, last_status_at = ? WHERE id = ?",
            (created_at, new.account_id),
        )
    if parent is not None:
        await tx.execute("UPDATE statuses SET replies_count = replies_count + 1 WHERE id = ?", (parent["id"],))
    if reblogged is not None:
        await tx.execute("UPDATE statuses SET reblogs_count = reblogs_count + 1 WHERE id = ?", (reblogged["id"],))

    visibility = reblogged["visibility"] if reblogged else new.visibility
    # The author's and addressees' feeds (timelines.fan_out_to_addressees) and, for a post with
    # hashtags, their local followers' (followed_tags.fan_out, which reads the tags linked above):
    # one INSERT of both SELECTs.
    select, params = timelines.addressees_select(
        status_id=status_id, author_id=new.account_id, visibility=visibility, mention_ids=mention_ids
    )
    by_tag = None
    if reblogged is None and new.tag_names:
        by_tag = followed_tags.fan_out_select(status_id=status_id, author_id=new.account_id, visibility=visibility)
    if by_tag is not None:
        select, params = f"{select} UNION {by_tag[0]}", (*params, *by_tag[1])
    await tx.execute(f"INSERT INTO home_feed (account_id, status_id, author_id) {select} ON CONFLICT DO NOTHING", params)
    # Followers' feeds are filled after the commit, in batches (storage.fanout, run by the poster's
    # request or the workers): the job is durable with the status.
    queued = visibility != "direct" and await fanout.enqueue(
        tx, status_id=status_id, author_id=new.account_id,
        in_reply_to_account_id=parent["account_id"] if parent else None, is_reblog=reblogged is not None,
    )

    if reblogged is not None:
        await notifications.notify(tx, reblogged["account_id"], new.account_id, "reblog", reblogged["id"])
    elif mention_ids:
        await notifications.notify_many(tx, mention_ids, new.account_id, "mention", status_id)
    # Streaming clients of every web worker learn of it, whether it was posted here or arrived by
    # federation. The home stream asks home_feed who got it, so with a fan-out job the event is
    # written by the job's last batch (storage.fanout); otherwise here, with the status.
    if not queued:
        await streams.append(tx, "status", "update", json.dumps({"status_id": status_id}))
    return Created(status_id, queued)


def batchable(new: NewStatus) -> bool:
    """Whether `create_many` stores `new` as `store` would: a remote post, not a boost, no media."""
    return not new.local and new.status_id is None and new.reblog_of_id is None and not new.media_ids


async def create_many(tx: Executor, news: Sequence[NewStatus]) -> list[Created]:
    """`store` for a round of independent remote posts (federation.batch), in the caller's
    transaction, with one statement per kind of row for all of them instead of ~8 per post.

    The rows written are `store`'s, in the same order: each post's tombstone is checked and its id
    drawn at its `published` (redrawn on a collision); a post whose `in_reply_to_id` is None but
    which has an `in_reply_to_uri` is attached to that parent when it is stored (as
    federation.handlers_note does in its transaction). Every post must be `batchable` and none may
    depend on another (the same object, or a reply to one of them). Raises StatusRefused when one is
    refused: the caller then stores them one by one, so the others are not lost.
    """
    if not news:
        return []
    for new in news:
        if not batchable(new) or new.visibility not in VISIBILITIES:
            raise StatusRefused("not a post create_many can store")
    created_ats = [new.created_at or now_ms() for new in news]
    candidates = [new_id(at) for at in created_ats]
    uris = [new.uri for new in news]
    parent_uris = list(dict.fromkeys(n.in_reply_to_uri for n in news if n.in_reply_to_id is None and n.in_reply_to_uri))
    # Deleted URIs, taken ids and (for replies) their parents: one query.
    marks = ",".join
    sql = (
        "SELECT 't' AS kind, uri, CAST(NULL AS BIGINT) AS id, CAST(NULL AS BIGINT) AS account_id,"
        f" CAST(NULL AS BIGINT) AS thread_root_id FROM tombstones WHERE uri IN ({marks('?' * len(uris))})"
        " UNION ALL SELECT 's', CAST(NULL AS TEXT), id, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT) FROM statuses"
        f" WHERE id IN ({marks('?' * len(candidates))})"
    )
    params: list[Any] = [*uris, *candidates]
    if parent_uris:
        sql += (f" UNION ALL SELECT 'p', uri, id, account_id, thread_root_id FROM statuses"
                f" WHERE uri IN ({marks('?' * len(parent_uris))})")
        params += parent_uris
    tombstoned: set[str] = set()
    taken: set[int] = set()
    parents: dict[str, Row] = {}
    for row in await tx.fetchall(sql, params):
        if row["kind"] == "t":
            tombstoned.add(str(row["uri"]))
        elif row["kind"] == "s":
            taken.add(int(row["id"]))
        else:
            parents[str(row["uri"])] = row
    if tombstoned:
        raise StatusRefused("this object was deleted")
    ids: list[int] = []
    for candidate, at in zip(candidates, created_ats, strict=True):
        if candidate in taken or candidate in ids:   # the rare collision, with a stored post or a sibling
            candidate = await _free_id_at(tx, at)
            while candidate in ids:
                candidate = await _free_id_at(tx, at)
        ids.append(candidate)

    status_rows = []
    parent_of: list[Row | None] = []
    for new, status_id, at in zip(news, ids, created_ats, strict=True):
        parent = parents.get(new.in_reply_to_uri or "") if new.in_reply_to_id is None else None
        if new.in_reply_to_id is not None:
            parent = await get(tx, new.in_reply_to_id)
        parent_of.append(parent)
        status_rows.append((
            status_id, new.uri, new.url, new.account_id, 0, new.visibility,
            parent["id"] if parent else None, new.in_reply_to_uri or (parent["uri"] if parent else None),
            parent["account_id"] if parent else None,
            (parent["thread_root_id"] or parent["id"]) if parent else None,
            None, new.group_id, new.content, new.source_text, new.spoiler_text, int(new.sensitive), new.language,
            None, int(new.must_read), 0, 0, 0, at, None, None,
        ))
    await tx.executemany(f"INSERT INTO statuses ({STATUS_COLUMNS}) VALUES ({','.join('?' * 25)})", status_rows)
    mentions = [[*dict.fromkeys(new.mention_ids)] for new in news]
    mention_rows = [(sid, m) for sid, ms in zip(ids, mentions, strict=True) for m in ms]
    if mention_rows:
        await tx.executemany("INSERT INTO mentions (status_id, account_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                             mention_rows)
    tags = [list(dict.fromkeys(n for n in new.tag_names if n))[:30] for new in news]
    if any(tags):
        await tx.executemany(
            "INSERT INTO tags (id, name, display_name, created_at, last_status_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET last_status_at = excluded.last_status_at",
            [(new_id(), name, name, at, at) for names, at in zip(tags, created_ats, strict=True) for name in names],
        )
        await tx.executemany(
            "INSERT INTO status_tags (status_id, tag_id) SELECT CAST(? AS BIGINT), id FROM tags WHERE name = ?"
            " ON CONFLICT DO NOTHING",
            [(sid, name) for sid, names in zip(ids, tags, strict=True) for name in names],
        )
    await tx.executemany(
        "UPDATE accounts SET statuses_count = statuses_count + 1, last_status_at = ? WHERE id = ?",
        [(at, new.account_id) for new, at in zip(news, created_ats, strict=True)],
    )
    replied = [(int(p["id"]),) for p in parent_of if p is not None]
    if replied:
        await tx.executemany("UPDATE statuses SET replies_count = replies_count + 1 WHERE id = ?", replied)
    # Feed rows of addressees and tag followers: one executemany per shape of statement (usually one).
    feeds: dict[str, list[tuple[Any, ...]]] = {}
    for new, status_id, ms, names in zip(news, ids, mentions, tags, strict=True):
        select, params_ = timelines.addressees_select(
            status_id=status_id, author_id=new.account_id, visibility=new.visibility, mention_ids=ms
        )
        by_tag = followed_tags.fan_out_select(status_id=status_id, author_id=new.account_id,
                                              visibility=new.visibility) if names else None
        if by_tag is not None:
            select, params_ = f"{select} UNION {by_tag[0]}", (*params_, *by_tag[1])
        feeds.setdefault(select, []).append(params_)
    for select, rows in feeds.items():
        await tx.executemany(f"INSERT INTO home_feed (account_id, status_id, author_id) {select} ON CONFLICT DO NOTHING",
                             rows)
    jobs = [
        fanout.job_params(status_id=sid, author_id=new.account_id,
                          in_reply_to_account_id=parent["account_id"] if parent else None, is_reblog=False)
        for new, sid, parent in zip(news, ids, parent_of, strict=True) if new.visibility != "direct"
    ]
    queued: set[int] = set()
    if jobs:
        await tx.executemany(fanout.ENQUEUE_SQL, jobs)
        queued = {int(r["id"]) for r in await tx.fetchall(
            f"SELECT id FROM fanout_jobs WHERE id IN ({marks('?' * len(jobs))})", [j[0] for j in jobs])}
    await notifications.notify_each(tx, [
        (m, new.account_id, "mention", sid) for new, sid, ms in zip(news, ids, mentions, strict=True) for m in ms
    ])
    await streams.append_many(tx, "status", "update",
                              [json.dumps({"status_id": sid}) for sid in ids if sid not in queued])
    return [Created(sid, sid in queued) for sid in ids]


async def _check_uri_and_draw_id(tx: Executor, new: NewStatus, created_at: int) -> int:
    """Refuses a deleted object's URI, and returns an unused id: the caller's, or (remote posts sort by
    their `published`, and many can share one millisecond) one whose time part is `created_at`, its
    random low bits drawn again on the rare collision. One query for the first try."""
    candidate = new.status_id or (new_id() if new.local else new_id(created_at))
    row = await tx.fetchone(
        "SELECT EXISTS (SELECT 1 FROM tombstones WHERE uri = ?) AS tombstoned,"
        " EXISTS (SELECT 1 FROM statuses WHERE id = ?) AS taken",
        (new.uri, candidate),
    )
    assert row is not None
    if row["tombstoned"]:
        raise StatusRefused("this object was deleted")
    if new.status_id is not None or new.local or not row["taken"]:
        return candidate
    return await _free_id_at(tx, created_at)


async def _free_id_at(tx: Executor, at_ms: int) -> int:
    """An unused id whose time part is `at_ms`, drawn again on a collision (see `_check_uri_and_draw_id`)."""
    for _ in range(8):
        candidate = new_id(at_ms)
        if not await tx.fetchval("SELECT 1 FROM statuses WHERE id = ?", (candidate,)):
            return candidate
    return new_id()


async def link_tags(tx: Executor, status_id: int, names: Iterable[str], at: int) -> None:
    names = list(dict.fromkeys(n for n in names if n))[:30]
    if not names:
        return
    await tx.executemany(
        "INSERT INTO tags (id, name, display_name, created_at, last_status_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET last_status_at = excluded.last_status_at",
        [(new_id(), name, name, at, at) for name in names],
    )
    marks = ",".join("?" * len(names))
    await tx.execute(
        f"INSERT INTO status_tags (status_id, tag_id) SELECT ?, id FROM tags WHERE name IN ({marks})"
        " ON CONFLICT DO NOTHING",
        (status_id, *names),
    )


async def edit(
    tx: Executor,
    status_id: int,
    *,
    content: str,
    source_text: str | None,
    spoiler_text: str,
    sensitive: bool,
    language: str | None,
    tag_names: Sequence[str] = (),
    mention_ids: Sequence[int] | None = None,
    media_ids: Sequence[int] | None = None,
    remote_updated_at: int | None = None,
) -> bool:
    """Apply an edit, keeping the previous version in the history. False if the status is gone.

    For remote statuses `remote_updated_at` is the Update's `updated`: an older Update never
    overwrites a newer one (SECURITY-CASES 30).
    """
    current = await get(tx, status_id)
    if current is None:
        return False
    if remote_updated_at is not None and (current["remote_updated_at"] or 0) >= remote_updated_at:
        return False
    now = now_ms()
    has_history = await tx.fetchval("SELECT 1 FROM status_edits WHERE status_id = ?", (status_id,))
    if not has_history:
        # The original version becomes the first entry, as Mastodon's history shows it.
        await tx.execute(
            "INSERT INTO status_edits (id, status_id, account_id, content, spoiler_text, sensitive, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (new_id(), status_id, current["account_id"], current["content"], current["spoiler_text"],
             current["sensitive"], current["created_at"]),
        )
    await tx.execute(
        "UPDATE statuses SET content = ?, source_text = ?, spoiler_text = ?, sensitive = ?, language = ?,"
        " edited_at = ?, remote_updated_at = ? WHERE id = ?",
        (content, source_text, spoiler_text, int(sensitive), language, now, remote_updated_at, status_id),
    )
    await tx.execute(
        "INSERT INTO status_edits (id, status_id, account_id, content, spoiler_text, sensitive, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (new_id(), status_id, current["account_id"], content, spoiler_text, int(sensitive), now),
    )
    await tx.execute("DELETE FROM status_tags WHERE status_id = ?", (status_id,))
    await link_tags(tx, status_id, tag_names, now)
    if mention_ids is not None:
        old = {r["account_id"] for r in await tx.fetchall("SELECT account_id FROM mentions WHERE status_id = ?", (status_id,))}
        added = [m for m in dict.fromkeys(mention_ids) if m not in old]
        if added:
            await tx.executemany(
                "INSERT INTO mentions (status_id, account_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(status_id, m) for m in added],
            )
            for mentioned in added:
                await notifications.notify(tx, mentioned, current["account_id"], "mention", status_id)
    if media_ids is not None:
        await tx.execute(
            "UPDATE media_attachments SET status_id = NULL WHERE status_id = ? AND id NOT IN"
            f" ({','.join('?' * len(media_ids)) or 'NULL'})",
            (status_id, *media_ids),
        )
        await tx.executemany(
            "UPDATE media_attachments SET status_id = ?, position = ? WHERE id = ? AND account_id = ?",
            [(status_id, pos, m, current["account_id"]) for pos, m in enumerate(media_ids)],
        )
    # Everyone who interacted with it is told it changed (Mastodon's `update` notification).
    boosters = await tx.fetchall(
        "SELECT account_id FROM statuses WHERE reblog_of_id = ?", (status_id,)
    )
    for row in boosters:
        await notifications.notify(tx, row["account_id"], current["account_id"], "update", status_id, unique_suffix=str(now))
    await streams.append(tx, "status", "status.update", json.dumps({"status_id": status_id}))
    return True


async def history(db: Executor, status_id: int) -> list[Row]:
    return await db.fetchall(
        "SELECT * FROM status_edits WHERE status_id = ? ORDER BY id", (status_id,)
    )


async def delete(tx: Executor, status_id: int) -> Row | None:
    """Delete a status (and its boosts), leave a tombstone, fix counters. Returns the deleted row."""
    current = await get(tx, status_id)
    if current is None:
        return None
    now = now_ms()
    if current["reblog_of_id"] is None:
        await tx.execute(
            "INSERT INTO tombstones (uri, account_id, deleted_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (current["uri"], current["account_id"], now),
        )
        await tx.execute(
            "UPDATE accounts SET statuses_count = statuses_count - 1 WHERE id = ? AND statuses_count > 0",
            (current["account_id"],),
        )
    else:
        await tx.execute(
            "UPDATE statuses SET reblogs_count = reblogs_count - 1 WHERE id = ? AND reblogs_count > 0",
            (current["reblog_of_id"],),
        )
    if current["in_reply_to_id"] is not None:
        await tx.execute(
            "UPDATE statuses SET replies_count = replies_count - 1 WHERE id = ? AND replies_count > 0",
            (current["in_reply_to_id"],),
        )
    if current["poll_id"] is not None:
        await tx.execute("DELETE FROM polls WHERE id = ?", (current["poll_id"],))
    await tx.execute("DELETE FROM statuses WHERE id = ?", (status_id,))
    await streams.append(tx, "status", "delete", json.dumps({
        "status_id": status_id, "account_id": int(current["account_id"]), "visibility": current["visibility"],
    }))
    return current


async def set_poll(tx: Executor, status_id: int, poll_id: int) -> None:
    await tx.execute("UPDATE statuses SET poll_id = ? WHERE id = ?", (poll_id, status_id))


async def mentioned_account_ids(db: Executor, status_id: int) -> list[int]:
    rows = await db.fetchall("SELECT account_id FROM mentions WHERE status_id = ?", (status_id,))
    return [int(r["account_id"]) for r in rows]


async def count_local(db: Executor) -> int:
    return int(await db.fetchval("SELECT COUNT(*) FROM statuses WHERE local = 1 AND reblog_of_id IS NULL") or 0)


def encode_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
