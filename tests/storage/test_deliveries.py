"""storage.deliveries: stage-two rows, per-object order, cancellation by a Delete, fencing."""

from __future__ import annotations

from storage import deliveries, follows, hosts
from storage.db import Database
from tests.storage.helpers import local, queue, remote

LOCK = 60_000
NOTE = "https://paris.example/users/alice/statuses/1"


async def _expand(db: Database, now: int, inboxes: list[tuple[str, str]]) -> None:
    (row,) = await deliveries.claim_outbox(db, now=now, lock_ms=LOCK, limit=1)
    async with db.transaction() as tx:
        assert await deliveries.expand(tx, row, inboxes, now=now) == len(set(inboxes))


async def test_expansion_creates_one_delivery_per_inbox_and_marks_the_activity_expanded(db: Database) -> None:
    alice = await local(db, "alice")
    outbox_id = await queue(db, alice, f"{NOTE}/activity", object_uri=NOTE)
    # When the activity is expanded to two inboxes (one given twice)
    await _expand(db, 1_000, [("https://lyon.example/inbox", "lyon.example"),
                              ("https://lyon.example/inbox", "lyon.example"),
                              ("https://montreal.example/inbox", "montreal.example")])
    # Then there is one delivery per distinct inbox, and nothing left to expand
    rows = await deliveries.list_for_outbox(db, outbox_id)
    assert [r["inbox_url"] for r in rows] == ["https://lyon.example/inbox", "https://montreal.example/inbox"]
    assert all(r["object_uri"] == NOTE and r["state"] == "queued" for r in rows)
    assert await deliveries.claim_outbox(db, now=2_000, lock_ms=LOCK, limit=5) == []


async def test_a_lost_outbox_claim_writes_nothing(db: Database) -> None:
    alice = await local(db, "alice")
    await queue(db, alice, f"{NOTE}/activity", object_uri=NOTE)
    (stale,) = await deliveries.claim_outbox(db, now=1_000, lock_ms=LOCK, limit=1)
    (fresh,) = await deliveries.claim_outbox(db, now=1_000 + LOCK + 1, lock_ms=LOCK, limit=1)
    async with db.transaction() as tx:
        assert await deliveries.expand(tx, stale, [("https://lyon.example/inbox", "lyon.example")]) is None
    async with db.transaction() as tx:
        assert await deliveries.expand(tx, fresh, [("https://lyon.example/inbox", "lyon.example")]) == 1


async def test_deliveries_about_one_object_leave_in_order_per_inbox(db: Database) -> None:
    # Given a Create and an Update of the same note, both for lyon
    alice = await local(db, "alice")
    await queue(db, alice, f"{NOTE}/activity", object_uri=NOTE)
    await queue(db, alice, f"{NOTE}#updates/1", activity_type="Update", object_uri=NOTE)
    for now in (1_000, 1_001):
        await _expand(db, now, [("https://lyon.example/inbox", "lyon.example")])
    # When workers claim what is due
    claimed = await deliveries.claim_due(db, now=5_000, lock_ms=LOCK, limit=10)
    # Then only the Create goes; the Update waits for it
    assert len(claimed) == 1
    create = claimed[0]
    assert await deliveries.claim_due(db, now=5_000, lock_ms=LOCK, limit=10) == []
    assert await deliveries.finish(db, create["id"], create["locked_until"], "done", status=202)
    (update,) = await deliveries.claim_due(db, now=5_001, lock_ms=LOCK, limit=10)
    assert update["outbox_activity_id"] != create["outbox_activity_id"]


async def test_an_open_circuit_keeps_its_hosts_deliveries_unclaimed(db: Database) -> None:
    alice = await local(db, "alice")
    await queue(db, alice, f"{NOTE}/activity", object_uri=NOTE)
    await _expand(db, 1_000, [("https://lyon.example/inbox", "lyon.example"),
                              ("https://montreal.example/inbox", "montreal.example")])
    await hosts.record_failure(db, "lyon.example", now=1_000)
    await hosts.open_circuit(db, "lyon.example", until=30_000)
    claimed = await deliveries.claim_due(db, now=5_000, lock_ms=LOCK, limit=10)
    assert [r["host"] for r in claimed] == ["montreal.example"]
    assert [r["host"] for r in await deliveries.claim_due(db, now=30_001, lock_ms=LOCK, limit=10)] == ["lyon.example"]


async def test_a_delete_cancels_what_is_still_queued_about_its_object(db: Database) -> None:
    # Given a Create delivered nowhere yet and an Update not even expanded
    alice = await local(db, "alice")
    bob = await local(db, "bob")
    create = await queue(db, alice, f"{NOTE}/activity", object_uri=NOTE)
    await _expand(db, 1_000, [("https://lyon.example/inbox", "lyon.example")])
    update = await queue(db, alice, f"{NOTE}#updates/1", activity_type="Update", object_uri=NOTE)
    like = await queue(db, bob, "https://paris.example/users/bob#likes/1", activity_type="Like", object_uri=NOTE)
    delete = await queue(db, alice, f"{NOTE}#delete", activity_type="Delete", object_uri=NOTE)
    # When the Delete is processed
    async with db.transaction() as tx:
        cancelled = await deliveries.cancel_for_object(tx, NOTE, alice, keep_outbox_id=delete)
    # Then alice's queued work about the note is cancelled, the Delete and bob's Like are not
    assert cancelled == 1
    assert [r["state"] for r in await deliveries.list_for_outbox(db, create)] == ["cancelled"]
    states = {r["id"]: r["state"] for r in await db.fetchall("SELECT id, state FROM outbox_activities")}
    assert states[update] == "cancelled" and states[delete] == "queued" and states[like] == "queued"


async def test_defer_gives_back_the_attempt_and_retry_later_keeps_it(db: Database) -> None:
    alice = await local(db, "alice")
    await queue(db, alice, f"{NOTE}/activity", object_uri=NOTE)
    await _expand(db, 1_000, [("https://lyon.example/inbox", "lyon.example")])
    (row,) = await deliveries.claim_due(db, now=2_000, lock_ms=LOCK, limit=1)
    assert await deliveries.defer(db, row["id"], row["locked_until"], 3_000)
    (row,) = await deliveries.claim_due(db, now=3_000, lock_ms=LOCK, limit=1)
    assert row["attempts"] == 1
    assert await deliveries.retry_later(db, row["id"], row["locked_until"], 4_000, status=503, error="busy")
    (row,) = await deliveries.claim_due(db, now=4_000, lock_ms=LOCK, limit=1)
    assert row["attempts"] == 2 and row["last_status"] == 503
    assert not await deliveries.finish(db, row["id"], row["locked_until"] - 1, "done")
    assert await deliveries.finish(db, row["id"], row["locked_until"], "gone", status=410)
    assert (await deliveries.counts(db))["gone"] == 1


async def test_follower_and_account_inboxes_come_from_remote_accounts_only(db: Database) -> None:
    alice = await local(db, "alice")
    carol = await local(db, "carol")
    bob = await remote(db, "bob", "lyon.example")
    dave = await remote(db, "dave", "montreal.example", shared=False)
    async with db.transaction() as tx:
        for follower in (bob, dave, carol):
            await follows.request(tx, follower, alice, None, accept=True)
    rows = await deliveries.follower_inbox_rows(db, alice)
    assert sorted(r["shared_inbox_url"] or r["inbox_url"] for r in rows) == [
        "https://lyon.example/inbox", "https://montreal.example/users/dave/inbox"]
    assert {r["account_id"] for r in await deliveries.remote_inboxes(db, [bob, carol, dave])} == {bob, dave}


async def test_a_post_queued_to_thousands_of_inboxes_is_claimed_through_the_object_and_inbox_index(
        db: Database) -> None:
    # Given one post expanded to 3,000 personal inboxes (fresh rows: PostgreSQL has no statistics yet)
    alice = await local(db, "alice")
    await queue(db, alice, f"{NOTE}/activity", object_uri=NOTE)
    await _expand(db, 1_000, [(f"https://i{n % 50}.example/users/u{n}/inbox", f"i{n % 50}.example")
                              for n in range(3_000)])
    # When the claim statement is planned, its "earlier activity about this object still queued for
    # this inbox?" probe seeks on object AND inbox: a short range, not every queued row of the post
    # (which made one claim cost 5-8 s on PostgreSQL with 10,000 queued).
    from storage.claims import claim_sql
    sql = claim_sql("deliveries", deliveries.DUE_CONDITIONS, "c.next_attempt_at, c.id", dialect=db.dialect,
                    count_attempt=True)
    params = (61_000, 5_000, 5_000, 5_000, 32, 5_000)
    if db.dialect == "sqlite":
        plan = " ".join(str(r[3]) for r in await db.fetchall("EXPLAIN QUERY PLAN " + sql, params))
        assert "deliveries_object_inbox (object_uri=? AND inbox_url=?" in plan, plan
    else:
        plan = "\n".join(str(r[0]) for r in await db.fetchall("EXPLAIN " + sql, params))   # not run
        probe = next((line for line in plan.splitlines() if " on deliveries e " in line), "")
        assert "deliveries_object_inbox" in probe, plan
        assert "inbox_url = c.inbox_url" in plan[plan.index(probe):], plan
    # And the claim takes the oldest 32, one per inbox
    claimed = await deliveries.claim_due(db, now=5_000, lock_ms=LOCK, limit=32)
    assert len({r["inbox_url"] for r in claimed}) == 32
