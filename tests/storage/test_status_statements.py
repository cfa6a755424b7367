"""Statements per stored status (each is a thread hop on SQLite, a round trip on PostgreSQL), and
`create_many` (a round of remote posts) storing exactly the rows `store` stores one by one."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from storage import followed_tags, statuses
from storage.db import Database
from storage.ids import new_id, now_ms
from tests.counting import Counting

from .helpers import local, remote


def _notify(db: Database) -> int:
    """PostgreSQL NOTIFYs listeners of a stream event, in one more statement (storage.streams)."""
    return int(db.dialect == "postgresql")


async def _follow(db: Database, follower: int, target: int) -> None:
    await db.execute(
        "INSERT INTO follows (id, account_id, target_account_id, state, created_at) VALUES (?, ?, ?, 'accepted', ?)",
        (new_id(), follower, target, now_ms()),
    )


async def test_a_local_post_with_a_hashtag_makes_six_statements(db: Database) -> None:
    alice, bob = await local(db, "alice"), await local(db, "bob")
    await _follow(db, bob, alice)
    sent: list[str] = []
    async with db.transaction() as tx:
        created = await statuses.store(Counting(tx, sent), statuses.NewStatus(
            account_id=alice, uri="https://paris.example/users/alice/statuses/1", visibility="public", local=True,
            status_id=new_id(), content="hi #ops", tag_names=["ops"],
        ))
    # The status, the tag, its link, the author's counters, the feeds of addressees and tag
    # followers (one INSERT), the fan-out job; no stream event (the job's last batch writes it).
    assert created.fanout_queued
    assert len(sent) == 6, sent
    sent.clear()
    async with db.transaction() as tx:   # no follower, no tag, no mention: its stream event instead
        created = await statuses.store(Counting(tx, sent), statuses.NewStatus(
            account_id=bob, uri="https://paris.example/users/bob/statuses/2", visibility="public", local=True,
            status_id=new_id(), content="hi",
        ))
    assert not created.fanout_queued
    assert len(sent) == 5 + _notify(db), sent


async def test_a_remote_post_checks_its_tombstone_and_id_in_one_query(db: Database) -> None:
    bob = await remote(db, "bob", "lyon.example")
    sent: list[str] = []
    async with db.transaction() as tx:
        await statuses.store(Counting(tx, sent), statuses.NewStatus(
            account_id=bob, uri="https://lyon.example/notes/1", visibility="public", local=False, content="hi",
        ))
    assert sent[0] == "SELECT EXISTS (SELECT" and len(sent) == 6 + _notify(db), sent
    await db.execute("INSERT INTO tombstones (uri, account_id, deleted_at) VALUES (?, ?, ?)",
                     ("https://lyon.example/notes/2", bob, now_ms()))
    with pytest.raises(statuses.StatusRefused):
        async with db.transaction() as tx:
            await statuses.store(tx, statuses.NewStatus(account_id=bob, uri="https://lyon.example/notes/2",
                                                        visibility="public", local=False))


async def _snapshot(db: Database, uris: list[str]) -> list[tuple[Any, ...]]:
    """Everything stored for each post, with its own id and URI left out (they differ by design)."""
    out = []
    for uri in uris:
        row = await statuses.get_by_uri(db, uri)
        assert row is not None, uri
        sid = int(row["id"])
        values = {k: row[k] for k in row.keys() if k not in ("id", "uri")}

        async def ids(sql: str, sid: int = sid) -> list[Any]:
            return sorted(tuple(r) for r in await db.fetchall(sql, (sid,)))

        out.append((
            sorted(values.items()),
            await ids("SELECT account_id FROM mentions WHERE status_id = ?"),
            await ids("SELECT t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id = ?"),
            await ids("SELECT account_id, author_id FROM home_feed WHERE status_id = ?"),
            await ids("SELECT author_id, in_reply_to_account_id, is_reblog FROM fanout_jobs WHERE id = ?"),
            await ids("SELECT account_id, from_account_id, type FROM notifications WHERE status_id = ?"),
            len([r for r in await db.fetchall("SELECT payload FROM stream_events") if f'"status_id": {sid}}}' in r[0]]),
        ))
    return out


async def test_create_many_stores_what_store_stores_one_by_one(db: Database) -> None:
    # Given local alice (following remote bob), carol (following #ops) and dave (muting erin)
    alice, carol, dave = await local(db, "alice"), await local(db, "carol"), await local(db, "dave")
    bob, erin = await remote(db, "bob", "lyon.example"), await remote(db, "erin", "rome.example")
    await _follow(db, alice, bob)
    tag = await followed_tags.ensure_tag(db, "ops")
    await followed_tags.follow(db, carol, int(tag["id"]))
    await db.execute("INSERT INTO mutes (id, account_id, target_account_id, hide_notifications, created_at)"
                     " VALUES (?, ?, ?, 1, ?)", (new_id(), dave, erin, now_ms()))
    async with db.transaction() as tx:
        parent = await statuses.create(tx, statuses.NewStatus(
            account_id=alice, uri="https://paris.example/users/alice/statuses/9", visibility="public", local=True))
    at = now_ms() - 60_000
    posts = [
        statuses.NewStatus(account_id=bob, uri="https://lyon.example/n/1", visibility="public", local=False,
                           content="<p>#ops #q3</p>", tag_names=["ops", "q3"], mention_ids=[alice], created_at=at),
        statuses.NewStatus(account_id=erin, uri="https://rome.example/n/2", visibility="public", local=False,
                           in_reply_to_uri="https://paris.example/users/alice/statuses/9",
                           mention_ids=[alice, dave, erin], created_at=at, language="it", sensitive=True,
                           spoiler_text="cw"),
        statuses.NewStatus(account_id=bob, uri="https://lyon.example/n/3", visibility="direct", local=False,
                           mention_ids=[carol], created_at=at + 1),
        statuses.NewStatus(account_id=erin, uri="https://rome.example/n/4", visibility="followers", local=False,
                           tag_names=["ops"], url="https://rome.example/@erin/4", created_at=at + 2),
        statuses.NewStatus(account_id=bob, uri="https://lyon.example/n/5", visibility="public", local=False,
                           in_reply_to_uri="https://lyon.example/unknown", created_at=at + 3),
    ]
    counts = "SELECT statuses_count FROM accounts WHERE id IN (?, ?) ORDER BY id"
    before = [r[0] for r in await db.fetchall(counts, (bob, erin))]
    # When they are stored one by one (as handlers_note's apply does: the parent found by its URI)...
    for post in posts:
        async with db.transaction() as tx:
            found = await statuses.get_by_uri(tx, post.in_reply_to_uri) if post.in_reply_to_uri else None
            await statuses.store(tx, replace(post, uri=post.uri + "/a",
                                             in_reply_to_id=int(found["id"]) if found else None))
    middle = [r[0] for r in await db.fetchall(counts, (bob, erin))]
    # ...and again, as one round, by create_many
    sent: list[str] = []
    async with db.transaction() as tx:
        created = await statuses.create_many(Counting(tx, sent), [replace(p, uri=p.uri + "/b") for p in posts])
    after = [r[0] for r in await db.fetchall(counts, (bob, erin))]
    # Then both stored the same rows, counters and events
    assert await _snapshot(db, [p.uri + "/a" for p in posts]) == await _snapshot(db, [p.uri + "/b" for p in posts])
    assert [m - b for m, b in zip(middle, before, strict=True)] == [a - m for a, m in zip(after, middle, strict=True)]
    assert await db.fetchval("SELECT replies_count FROM statuses WHERE id = ?", (parent,)) == 2
    assert [c.fanout_queued for c in created] == [True, False, False, False, True]
    # With one statement per kind of row for the whole round (feeds: one per statement shape)
    assert len(sent) <= 14 + _notify(db), sent


async def test_create_many_refuses_a_round_with_a_deleted_post(db: Database) -> None:
    bob = await remote(db, "bob", "lyon.example")
    await db.execute("INSERT INTO tombstones (uri, account_id, deleted_at) VALUES (?, ?, ?)",
                     ("https://lyon.example/n/2", bob, now_ms()))
    posts = [statuses.NewStatus(account_id=bob, uri=f"https://lyon.example/n/{n}", visibility="public", local=False)
             for n in (1, 2)]
    with pytest.raises(statuses.StatusRefused):
        async with db.transaction() as tx:
            await statuses.create_many(tx, posts)
    assert await statuses.get_by_uri(db, "https://lyon.example/n/1") is None
