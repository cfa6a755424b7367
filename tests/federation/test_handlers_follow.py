"""Follow, Accept, Reject, Undo(Follow) through process() (SECURITY-CASES 3, 25)."""

from __future__ import annotations

import pytest

from federation.instance import Instance
from storage import follows, notifications
from storage.db import Row, SQLiteDatabase
from storage.pagination import Page
from tests.federation.harness import Harness
from tests.federation.rig import remote_actor

BOB = remote_actor("lyon.example", "bob")
CAROL = remote_actor("lyon.example", "carol", key=3)


@pytest.fixture
def h(db: SQLiteDatabase, paris: Instance) -> Harness:
    return Harness(db, paris)


def follow(actor_uri: str, target: str, n: int = 1) -> dict[str, object]:
    return {"id": f"{actor_uri}#follows/{n}", "type": "Follow", "actor": actor_uri, "object": target}


async def test_a_follow_of_an_unlocked_account_is_accepted_and_answered(h: Harness) -> None:
    alice = await h.local("alice")
    bob = await h.remote(BOB)
    assert await h.process(follow(BOB.uri, alice["uri"])) == "done"
    assert await follows.is_following(h.db, bob["id"], alice["id"])
    (accept,) = await h.outbox()
    assert accept["body"]["type"] == "Accept" and accept["body"]["actor"] == alice["uri"]
    assert accept["body"]["object"]["id"] == f"{BOB.uri}#follows/1"
    assert accept["audience"] == {"accounts": [bob["id"]]}
    types = [n["type"] for n in await notifications.list_for(h.db, alice["id"], Page(limit=10))]
    assert types == ["follow"]


async def test_a_follow_of_a_locked_account_waits_for_approval(h: Harness) -> None:
    alice = await h.local("alice", locked=True)
    bob = await h.remote(BOB)
    assert await h.process(follow(BOB.uri, alice["uri"])) == "done"
    row = await follows.get(h.db, bob["id"], alice["id"])
    assert row is not None and row["state"] == "pending"
    assert await h.outbox() == []
    types = [n["type"] for n in await notifications.list_for(h.db, alice["id"], Page(limit=10))]
    assert types == ["follow_request"]


async def test_a_follow_sent_again_is_confirmed_again_without_a_second_row(h: Harness) -> None:
    alice = await h.local("alice")
    await h.remote(BOB)
    await h.process(follow(BOB.uri, alice["uri"], 1))
    await h.process(follow(BOB.uri, alice["uri"], 2))
    assert await h.count("SELECT COUNT(*) FROM follows") == 1
    assert [a["body"]["type"] for a in await h.outbox()] == ["Accept", "Accept"]
    assert await h.count("SELECT followers_count FROM accounts WHERE id = ?", alice["id"]) == 1


async def test_a_follow_of_someone_not_ours_or_blocked_is_refused(h: Harness) -> None:
    alice = await h.local("alice")
    bob = await h.remote(BOB)
    assert await h.process(follow(BOB.uri, "https://montreal.example/users/x")) == "ignored"
    async with h.db.transaction() as tx:
        await follows.block(tx, alice["id"], bob["id"])
    assert await h.process(follow(BOB.uri, alice["uri"], 3)) == "done"
    assert not await follows.is_following(h.db, bob["id"], alice["id"])
    assert [a["body"]["type"] for a in await h.outbox()] == ["Reject"]


async def _we_follow_bob(h: Harness) -> tuple[Row, Row]:
    alice = await h.local("alice")
    bob = await h.remote(BOB)
    async with h.db.transaction() as tx:
        await follows.request(tx, int(alice["id"]), int(bob["id"]), f"{alice['uri']}#follows/7", accept=False)
    return alice, bob


async def test_an_accept_from_the_followed_account_completes_our_follow(h: Harness) -> None:
    alice, bob = await _we_follow_bob(h)
    accept = {"id": f"{BOB.uri}#accepts/1", "type": "Accept", "actor": BOB.uri,
              "object": {"id": f"{alice['uri']}#follows/7", "type": "Follow", "actor": alice["uri"], "object": BOB.uri}}
    assert await h.process(accept) == "done"
    assert await follows.is_following(h.db, int(alice["id"]), int(bob["id"]))
    # A redelivered Accept changes nothing
    assert await h.process({**accept, "id": f"{BOB.uri}#accepts/2"}) == "done"


async def test_an_accept_from_someone_else_or_of_nothing_grants_nothing(h: Harness) -> None:
    alice, bob = await _we_follow_bob(h)
    await h.remote(CAROL)
    forged = {"id": f"{CAROL.uri}#accepts/1", "type": "Accept", "actor": CAROL.uri, "object": f"{alice['uri']}#follows/7"}
    assert await h.process(forged) == "ignored"
    stray = {"id": f"{BOB.uri}#accepts/9", "type": "Accept", "actor": BOB.uri, "object": f"{alice['uri']}#follows/404"}
    assert await h.process(stray) == "ignored"
    row = await follows.get(h.db, int(alice["id"]), int(bob["id"]))
    assert row is not None and row["state"] == "pending"


async def test_an_accept_matching_by_who_follows_whom(h: Harness) -> None:
    alice, bob = await _we_follow_bob(h)
    accept = {"id": f"{BOB.uri}#accepts/3", "type": "Accept", "actor": BOB.uri,
              "object": {"id": "https://lyon.example/made-up", "type": "Follow", "actor": alice["uri"], "object": BOB.uri}}
    assert await h.process(accept) == "done"
    assert await follows.is_following(h.db, int(alice["id"]), int(bob["id"]))


async def test_a_reject_ends_our_follow(h: Harness) -> None:
    alice, bob = await _we_follow_bob(h)
    reject = {"id": f"{BOB.uri}#rejects/1", "type": "Reject", "actor": BOB.uri, "object": f"{alice['uri']}#follows/7"}
    assert await h.process(reject) == "done"
    assert await follows.get(h.db, int(alice["id"]), int(bob["id"])) is None


async def test_only_the_follower_can_undo_a_follow(h: Harness) -> None:
    alice = await h.local("alice")
    bob = await h.remote(BOB)
    await h.remote(CAROL)
    await h.process(follow(BOB.uri, alice["uri"]))
    forged = {"id": f"{CAROL.uri}#undo/1", "type": "Undo", "actor": CAROL.uri, "object": f"{BOB.uri}#follows/1"}
    assert await h.process(forged) == "ignored"
    embedded = {"id": f"{CAROL.uri}#undo/2", "type": "Undo", "actor": CAROL.uri, "object": follow(BOB.uri, alice["uri"])}
    assert await h.process(embedded) == "ignored"
    assert await follows.is_following(h.db, bob["id"], alice["id"])
    undo = {"id": f"{BOB.uri}#undo/1", "type": "Undo", "actor": BOB.uri, "object": follow(BOB.uri, alice["uri"])}
    assert await h.process(undo) == "done"
    assert not await follows.is_following(h.db, bob["id"], alice["id"])
    assert await h.count("SELECT followers_count FROM accounts WHERE id = ?", alice["id"]) == 0
