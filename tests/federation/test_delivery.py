"""federation.delivery: who gets what (SECURITY-CASES 23, 27, 28), and signed POSTs to a real receiver
with retries, Retry-After, 410 Gone and the circuit breaker (SECURITY-CASES 31)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from federation.breaker import BreakerPolicy, CircuitBreaker
from federation.delivery import Delivery
from federation.http import HttpClient
from federation.instance import Instance
from storage import deliveries, follows, hosts, outbox, statuses
from storage.db import Row, SQLiteDatabase
from storage.ids import now_ms
from tests.federation.receiver import Answer, Receiver
from tests.federation.rig import FakeHttp, local_account, make_instance, remote_actor, store_remote

LOCK = 60_000


async def _post(db: SQLiteDatabase, author: Row, visibility: str, n: int = 1) -> str:
    uri = f"{author['uri']}/statuses/{n}"
    async with db.transaction() as tx:
        await statuses.create(tx, statuses.NewStatus(account_id=author["id"], uri=uri, visibility=visibility, local=True))
    return uri


async def _queue(db: SQLiteDatabase, author: Row, activity_type: str, object_uri: str | None,
                 audience: dict[str, Any], *, body: dict[str, Any] | None = None, n: int = 1) -> int:
    activity_id = f"{object_uri or author['uri']}#{activity_type}/{n}"
    async with db.transaction() as tx:
        row_id = await outbox.enqueue(
            tx, activity_id=activity_id, activity_type=activity_type, account_id=author["id"],
            body=body or {"id": activity_id, "type": activity_type, "actor": author["uri"]},
            audience=audience, object_uri=object_uri,
        )
    assert row_id is not None
    return row_id


async def _expand_all(db: SQLiteDatabase, delivery: Delivery) -> None:
    for row in await deliveries.claim_outbox(db, now=now_ms(), lock_ms=LOCK, limit=100):
        await delivery.expand(row)


async def _inboxes(db: SQLiteDatabase, outbox_id: int) -> list[str]:
    return sorted(r["inbox_url"] for r in await deliveries.list_for_outbox(db, outbox_id))


class World:
    """paris (ours) with followers on lyon and montreal (peers) and on elsewhere (not a peer)."""

    def __init__(self, db: SQLiteDatabase, instance: Instance) -> None:
        self.db = db
        self.instance = instance
        self.delivery = Delivery(db, instance, FakeHttp(instance.policy))  # type: ignore[arg-type]

    async def setup(self) -> None:
        self.alice = await local_account(self.db, self.instance, "alice")
        self.bob = await store_remote(self.db, remote_actor("lyon.example", "bob"))
        self.ben = await store_remote(self.db, remote_actor("lyon.example", "ben"))
        self.carol = await store_remote(self.db, remote_actor("montreal.example", "carol", shared=False))
        self.eve = await store_remote(self.db, remote_actor("elsewhere.example", "eve"))
        self.dan = await store_remote(self.db, remote_actor("montreal.example", "dan", shared=False))
        async with self.db.transaction() as tx:
            for follower in (self.bob, self.ben, self.carol, self.eve):
                await follows.request(tx, follower["id"], self.alice["id"], None, accept=True)


@pytest.fixture
async def closed_world(db: SQLiteDatabase) -> World:
    world = World(db, make_instance("paris.example", peers=("lyon.example", "montreal.example")))
    await world.setup()
    return world


@pytest.fixture
async def open_world(db: SQLiteDatabase) -> World:
    world = World(db, make_instance("paris.example", peers=("lyon.example", "montreal.example"), mode="open"))
    await world.setup()
    return world


async def test_a_public_post_goes_once_to_each_shared_inbox_and_never_outside_the_allowlist(closed_world: World) -> None:
    w = closed_world
    uri = await _post(w.db, w.alice, "public")
    row_id = await _queue(w.db, w.alice, "Create", uri, {"followers": True, "accounts": [w.eve["id"]]})
    await _expand_all(w.db, w.delivery)
    assert await _inboxes(w.db, row_id) == ["https://lyon.example/inbox", "https://montreal.example/users/carol/inbox"]


async def test_in_open_mode_a_public_post_reaches_every_follower_host(open_world: World) -> None:
    w = open_world
    uri = await _post(w.db, w.alice, "public")
    row_id = await _queue(w.db, w.alice, "Create", uri, {"followers": True})
    await _expand_all(w.db, w.delivery)
    assert "https://elsewhere.example/inbox" in await _inboxes(w.db, row_id)


async def test_a_followers_only_post_goes_to_followers_and_mentions_only(closed_world: World) -> None:
    w = closed_world
    # dan (montreal) does not follow alice but is mentioned; no one on a host without followers gets it
    uri = await _post(w.db, w.alice, "followers")
    row_id = await _queue(w.db, w.alice, "Create", uri, {"followers": True, "accounts": [w.dan["id"]]})
    await _expand_all(w.db, w.delivery)
    assert await _inboxes(w.db, row_id) == [
        "https://lyon.example/inbox", "https://montreal.example/users/carol/inbox",
        "https://montreal.example/users/dan/inbox"]


async def test_a_direct_post_goes_to_its_addressees_only(closed_world: World) -> None:
    w = closed_world
    uri = await _post(w.db, w.alice, "direct")
    row_id = await _queue(w.db, w.alice, "Create", uri, {"accounts": [w.dan["id"]]})
    await _expand_all(w.db, w.delivery)
    assert await _inboxes(w.db, row_id) == ["https://montreal.example/users/dan/inbox"]


async def test_a_company_post_goes_to_every_peer_and_to_no_one_else_even_when_addressed(open_world: World) -> None:
    w = open_world
    uri = await _post(w.db, w.alice, "company")
    # eve (elsewhere, a follower) is even mentioned and given an explicit inbox: still nothing for her
    row_id = await _queue(w.db, w.alice, "Create", uri, {
        "company": True, "followers": True, "accounts": [w.eve["id"]], "inboxes": ["https://elsewhere.example/inbox"]})
    await _expand_all(w.db, w.delivery)
    assert await _inboxes(w.db, row_id) == [
        "https://lyon.example/inbox", "https://montreal.example/inbox", "https://montreal.example/users/carol/inbox"]


async def test_anything_about_a_company_post_stays_in_the_company(open_world: World) -> None:
    w = open_world
    uri = await _post(w.db, w.alice, "company")
    like_id = await _queue(w.db, w.alice, "Like", uri, {"accounts": [w.eve["id"], w.bob["id"]]})
    body = {"id": "x", "type": "Announce", "to": [w.instance.company_audience]}
    announce_id = await _queue(w.db, w.alice, "Announce", None, {"followers": True}, body=body)
    await _expand_all(w.db, w.delivery)
    assert await _inboxes(w.db, like_id) == ["https://lyon.example/inbox"]
    assert "https://elsewhere.example/inbox" not in await _inboxes(w.db, announce_id)


@pytest.mark.parametrize(("visibility", "kind"), [("local", "Create"), ("followers", "Announce"), ("direct", "Announce")])
async def test_local_posts_and_boosts_of_limited_posts_are_never_delivered(
    closed_world: World, visibility: str, kind: str
) -> None:
    w = closed_world
    uri = await _post(w.db, w.alice, visibility)
    row_id = await _queue(w.db, w.alice, kind, uri, {"followers": True, "company": True})
    await _expand_all(w.db, w.delivery)
    assert await deliveries.list_for_outbox(w.db, row_id) == []
    assert (await outbox.get(w.db, row_id))["state"] == "cancelled"  # type: ignore[index]


async def test_a_delete_cancels_the_queued_create_and_update_of_its_post(closed_world: World) -> None:
    w = closed_world
    uri = await _post(w.db, w.alice, "public")
    create = await _queue(w.db, w.alice, "Create", uri, {"followers": True})
    await _expand_all(w.db, w.delivery)
    update = await _queue(w.db, w.alice, "Update", uri, {"followers": True})
    delete = await _queue(w.db, w.alice, "Delete", uri, {"followers": True})
    await _expand_all(w.db, w.delivery)
    assert {r["state"] for r in await deliveries.list_for_outbox(w.db, create)} == {"cancelled"}
    # The Update was expanded just before the Delete: its deliveries are cancelled all the same
    assert {r["state"] for r in await deliveries.list_for_outbox(w.db, update)} == {"cancelled"}
    assert {r["state"] for r in await deliveries.list_for_outbox(w.db, delete)} == {"queued"}


# --- real HTTP ---------------------------------------------------------------------------------

class Wire:
    """paris delivering to a real receiver on loopback that plays `lyon`."""

    def __init__(self, db: SQLiteDatabase, peer: Receiver, breaker: BreakerPolicy | None = None) -> None:
        self.db = db
        self.peer = peer
        self.instance = make_instance("paris.example", peers=(peer.domain,))
        self.http = HttpClient(self.instance.policy, deadline=5)
        self.delivery = Delivery(db, self.instance, self.http, breaker=CircuitBreaker(db, breaker), rand=lambda: 0.5)

    async def setup(self) -> None:
        self.alice = await local_account(self.db, self.instance, "alice")
        self.peer.keys[self.alice["public_key_id"]] = self.alice["public_key_pem"]
        follower = remote_actor(self.peer.domain, "bob", scheme="http")
        self.bob = await store_remote(self.db, follower)
        async with self.db.transaction() as tx:
            await follows.request(tx, self.bob["id"], self.alice["id"], None, accept=True)

    async def send(self, n: int = 1) -> Row:
        uri = await _post(self.db, self.alice, "public", n)
        body = {"id": f"{uri}/activity", "type": "Create", "actor": self.alice["uri"], "object": {"id": uri}}
        await _queue(self.db, self.alice, "Create", uri, {"followers": True}, body=body, n=n)
        await _expand_all(self.db, self.delivery)
        (row,) = await deliveries.claim_due(self.db, now=now_ms(), lock_ms=LOCK, limit=10)
        return row

    async def attempt(self, row: Row) -> tuple[str, Row]:
        state = await self.delivery.deliver(row)
        after = await deliveries.get(self.db, int(row["id"]))
        assert after is not None
        return state, after


@pytest.fixture
async def wire(db: SQLiteDatabase) -> Any:
    async with Receiver() as peer:
        world = Wire(db, peer)
        await world.setup()
        yield world
        await world.http.aclose()


async def test_a_delivery_is_a_signed_post_of_the_exact_stored_bytes(wire: Wire) -> None:
    row = await wire.send()
    state, after = await wire.attempt(row)
    assert state == "done" and after["last_status"] == 202 and after["done_at"] is not None
    (received,) = wire.peer.posts("/inbox")
    assert received.signed_by == wire.alice["public_key_id"] and received.signature_error is None
    stored = await outbox.get(wire.db, int(row["outbox_activity_id"]))
    assert stored is not None and received.body == stored["body"].encode()
    assert json.loads(received.body)["type"] == "Create"
    assert received.headers["content-type"] == "application/activity+json"


@pytest.mark.parametrize(("status", "state"), [(500, "queued"), (503, "queued"), (401, "queued"), (408, "queued"),
                                                (404, "failed"), (403, "failed"), (422, "failed"), (410, "gone")])
async def test_answers_decide_between_retry_give_up_and_gone(wire: Wire, status: int, state: str) -> None:
    wire.peer.answers["/inbox"] = Answer(status)
    row = await wire.send()
    result, after = await wire.attempt(row)
    assert result == state and after["last_status"] == status
    if state == "queued":
        assert after["next_attempt_at"] > now_ms() + 10_000 and after["attempts"] == 1


async def test_retry_after_is_honoured(wire: Wire) -> None:
    wire.peer.answers["/inbox"] = Answer(429, headers={"retry-after": "3600"})
    row = await wire.send()
    _, after = await wire.attempt(row)
    assert 3_590_000 < after["next_attempt_at"] - now_ms() <= 3_600_000


async def test_a_dead_peer_trips_the_breaker_and_its_deliveries_wait(db: SQLiteDatabase) -> None:
    async with Receiver() as peer:
        port = peer.port
        world = Wire(db, peer, BreakerPolicy(threshold=2, base_open=60))
        await world.setup()
    # The receiver is gone: connections are refused
    for n in (1, 2):
        row = await world.send(n)
        state, after = await world.attempt(row)
        assert state == "queued" and after["last_error"]
    host = await hosts.get(db, f"127.0.0.1:{port}")
    assert host is not None and host["consecutive_failures"] == 2 and host["circuit_open_until"] > now_ms()
    # A delivery claimed meanwhile is deferred, not attempted
    await db.execute("UPDATE deliveries SET next_attempt_at = 0")
    await db.execute("UPDATE hosts SET circuit_open_until = ?", (now_ms() + 60_000,))
    uri = await _post(db, world.alice, "public", 3)
    await _queue(db, world.alice, "Create", uri, {"followers": True}, n=3)
    await _expand_all(db, world.delivery)
    assert await deliveries.claim_due(db, now=now_ms(), lock_ms=LOCK, limit=10) == []
    await world.http.aclose()


async def test_a_host_removed_from_the_allowlist_gets_nothing(wire: Wire) -> None:
    row = await wire.send()
    wire.instance.policy.replace([{"domain": wire.peer.domain, "suspended_at": 1}], [])
    state, after = await wire.attempt(row)
    assert state == "failed" and "no longer allowed" in after["last_error"]
    assert wire.peer.requests == []


async def test_when_a_dead_peer_answers_the_probe_everything_waiting_for_it_goes_at_once(db: SQLiteDatabase) -> None:
    async with Receiver() as peer:
        world = Wire(db, peer, BreakerPolicy(threshold=1, base_open=0.2, probe_timeout=60))
        await world.setup()
        # Given a peer that failed once (circuit open) and two deliveries waiting on it
        peer.answers["/inbox"] = Answer(503)
        first = await world.send(1)
        state, _ = await world.attempt(first)
        assert state == "queued"
        uri = await _post(db, world.alice, "public", 2)
        await _queue(db, world.alice, "Create", uri, {"followers": True}, n=2)
        await _expand_all(db, world.delivery)
        # When, after the open period, one delivery probes and the peer is back
        peer.answers["/inbox"] = Answer(202)
        await asyncio.sleep(0.25)
        (probe,) = await deliveries.claim_due(db, now=now_ms(), lock_ms=LOCK, limit=10)
        assert await world.delivery.deliver(probe) == "done"
        # Then the other one, backing off until much later, is due right away
        waiting = await deliveries.claim_due(db, now=now_ms(), lock_ms=LOCK, limit=10)
        assert [r["id"] for r in waiting] == [first["id"]]
        await world.http.aclose()
