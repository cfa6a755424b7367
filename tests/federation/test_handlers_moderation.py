"""Block, Undo(Block) and Flag through process()."""

from __future__ import annotations

import json

import pytest

from federation.instance import Instance
from storage import accounts, follows, notifications, reports, statuses
from storage.db import SQLiteDatabase
from storage.pagination import Page
from tests.federation.harness import Harness
from tests.federation.rig import load_fixture, make_instance, remote_actor

BOB = remote_actor("lyon.example", "bob")


@pytest.fixture
def h(db: SQLiteDatabase, paris: Instance) -> Harness:
    return Harness(db, paris)


async def test_a_block_severs_follows_and_an_undo_lifts_it(h: Harness) -> None:
    alice = await h.local("alice")
    bob = await h.remote(BOB)
    async with h.db.transaction() as tx:
        await follows.request(tx, alice["id"], bob["id"], None, accept=True)
        await follows.request(tx, bob["id"], alice["id"], None, accept=True)
    block = {"id": f"{BOB.uri}#blocks/1", "type": "Block", "actor": BOB.uri, "object": alice["uri"]}
    assert await h.process(block) == "done"
    assert not await follows.is_following(h.db, alice["id"], bob["id"])
    assert await follows.is_blocked_either_way(h.db, alice["id"], bob["id"])
    undo = {"id": f"{BOB.uri}#undo/1", "type": "Undo", "actor": BOB.uri, "object": f"{BOB.uri}#blocks/1"}
    assert await h.process(undo) == "done"
    assert not await follows.is_blocked_either_way(h.db, alice["id"], bob["id"])


async def test_a_flag_becomes_a_report_and_reaches_every_moderator(h: Harness) -> None:
    # Given alice and her post, and an admin and a moderator here
    alice = await h.local("alice")
    admin = await h.local("admin")
    moderator = await h.local("mod")
    for account, role in ((admin, "admin"), (moderator, "moderator")):
        await accounts.create_user(h.db, account["id"], password_hash=None, role=role)
    async with h.db.transaction() as tx:
        post_id = await statuses.create(tx, statuses.NewStatus(account_id=alice["id"], uri=f"{alice['uri']}/statuses/1",
                                                                visibility="public", local=True))
    lyon_actor = remote_actor("lyon.example", "actor")
    flag = {"id": "https://lyon.example/flags/1", "type": "Flag", "actor": lyon_actor.uri,
            "content": "Spam\u0000 <b>again</b>", "object": [alice["uri"], f"{alice['uri']}/statuses/1",
                                                              "https://elsewhere.example/posts/1"]}
    # When the Flag is processed (twice)
    assert await h.process(flag) == "done"
    assert await h.process({**flag, "id": "https://lyon.example/flags/1#again"}) == "done"
    # Then there are reports about alice with her post, and each moderator is told once per report
    report = await reports.get_by_uri(h.db, "https://lyon.example/flags/1")
    assert report is not None and report["target_account_id"] == alice["id"]
    assert json.loads(report["status_ids"]) == [post_id] and report["comment"] == "Spam <b>again</b>"
    for account in (admin, moderator):
        types = [n["type"] for n in await notifications.list_for(h.db, account["id"], Page(limit=5))]
        assert types == ["admin.report", "admin.report"]
    assert await notifications.list_for(h.db, alice["id"], Page(limit=5)) == []


async def test_a_flag_about_nothing_of_ours_is_ignored(db: SQLiteDatabase) -> None:
    h = Harness(db, make_instance("paris.example", mode="open"))
    assert await h.process(load_fixture("mastodon/flag_report.json")) == "ignored"
    assert h.last_error is not None and "nothing of ours" in h.last_error
    assert await h.count("SELECT COUNT(*) FROM reports") == 0
