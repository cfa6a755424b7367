"""Update / Delete of actors and Move through process() (SECURITY-CASES 3, 14)."""

from __future__ import annotations

import json

import pytest

from federation.instance import Instance
from storage import accounts, follows
from storage.db import SQLiteDatabase
from tests.federation.harness import Harness
from tests.federation.rig import keypair, remote_actor

BOB = remote_actor("lyon.example", "bob")
CAROL = remote_actor("lyon.example", "carol", key=3)


@pytest.fixture
def h(db: SQLiteDatabase, paris: Instance) -> Harness:
    return Harness(db, paris)


def update_person(actor_uri: str, doc: dict[str, object], n: int = 1) -> dict[str, object]:
    return {"id": f"{actor_uri}#updates/{n}", "type": "Update", "actor": actor_uri, "object": doc}


async def test_an_actor_update_is_refetched_from_the_origin(h: Harness) -> None:
    await h.remote(BOB)
    _private, rotated = keypair(3)
    origin = BOB.document(name="Robert", publicKey={"id": BOB.key_id, "owner": BOB.uri, "publicKeyPem": rotated})
    h.http.serve(BOB.uri, origin)
    pushed = BOB.document(name="Pushed name")
    assert await h.process(update_person(BOB.uri, pushed)) == "done"
    row = await accounts.get_by_uri(h.db, BOB.uri)
    assert row is not None and row["display_name"] == "Robert" and row["public_key_pem"] == rotated


async def test_a_pushed_key_is_never_trusted_when_the_origin_is_away(h: Harness) -> None:
    await h.remote(BOB)
    _private, other = keypair(3)
    pushed = BOB.document(name="Bobby", publicKey={"id": BOB.key_id, "owner": BOB.uri, "publicKeyPem": other})
    assert await h.process(update_person(BOB.uri, pushed)) == "done"
    row = await accounts.get_by_uri(h.db, BOB.uri)
    assert row is not None and row["display_name"] == "Bobby" and row["public_key_pem"] == BOB.public_key_pem


async def test_an_actor_cannot_update_or_delete_another(h: Harness) -> None:
    await h.remote(BOB)
    await h.remote(CAROL)
    assert await h.process(update_person(CAROL.uri, BOB.document(name="Hijacked"))) == "ignored"
    delete = {"id": f"{CAROL.uri}#delete", "type": "Delete", "actor": CAROL.uri, "object": BOB.uri}
    assert await h.process(delete) == "ignored"
    row = await accounts.get_by_uri(h.db, BOB.uri)
    assert row is not None and row["display_name"] == "Bob"


async def test_a_deleted_actor_disappears_with_its_follows_and_counters_are_right(h: Harness) -> None:
    alice = await h.local("alice")
    bob = await h.remote(BOB)
    async with h.db.transaction() as tx:
        await follows.request(tx, bob["id"], alice["id"], None, accept=True)
        await follows.request(tx, alice["id"], bob["id"], None, accept=True)
    delete = {"id": f"{BOB.uri}#delete", "type": "Delete", "actor": BOB.uri, "object": BOB.uri}
    assert await h.process(delete) == "done"
    assert await accounts.get_by_uri(h.db, BOB.uri) is None
    refreshed = await accounts.get(h.db, alice["id"])
    assert refreshed is not None and refreshed["followers_count"] == 0 and refreshed["following_count"] == 0


async def test_a_move_makes_our_followers_follow_the_new_account(h: Harness) -> None:
    alice = await h.local("alice")
    bob = await h.remote(BOB)
    new_bob = remote_actor("lyon.example", "bob2", key=3)
    h.http.serve(new_bob.uri, new_bob.document(alsoKnownAs=[BOB.uri]))
    async with h.db.transaction() as tx:
        await follows.request(tx, alice["id"], bob["id"], None, accept=True)
    move = {"id": f"{BOB.uri}#moves/1", "type": "Move", "actor": BOB.uri, "object": BOB.uri, "target": new_bob.uri}
    assert await h.process(move) == "done"
    moved = await accounts.get_by_uri(h.db, new_bob.uri)
    assert moved is not None
    assert (await accounts.get(h.db, bob["id"]))["moved_to_id"] == moved["id"]  # type: ignore[index]
    pending = await follows.get(h.db, alice["id"], moved["id"])
    assert pending is not None and pending["state"] == "pending"
    (sent,) = await h.outbox()
    assert sent["body"]["type"] == "Follow" and sent["body"]["object"] == new_bob.uri


async def test_a_move_to_an_account_that_does_not_name_the_mover_is_refused(h: Harness) -> None:
    await h.remote(BOB)
    impostor = remote_actor("lyon.example", "impostor", key=3)
    h.http.serve(impostor.uri, impostor.document())
    move = {"id": f"{BOB.uri}#moves/2", "type": "Move", "actor": BOB.uri, "object": BOB.uri, "target": impostor.uri}
    assert await h.process(move) == "ignored"
    row = await accounts.get_by_uri(h.db, BOB.uri)
    assert row is not None and row["moved_to_id"] is None
    assert json.loads(row["also_known_as"]) == []
