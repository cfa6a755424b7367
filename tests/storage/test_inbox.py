"""storage.inbox: durable, deduplicated inbox items, claimed under a lock that expires."""

from __future__ import annotations

from storage import inbox
from storage.db import Database

LOCK = 60_000


async def _insert(db: Database, activity_id: str, *, actor: str = "https://lyon.example/users/bob",
                  now: int = 1_000) -> int | None:
    return await inbox.insert(
        db, activity_id=activity_id, activity_type="Create", actor_uri=actor,
        key_id=f"{actor}#main-key", body="{}", now=now,
    )


async def test_an_activity_id_is_stored_once(db: Database) -> None:
    # Given an activity stored once
    first = await _insert(db, "https://lyon.example/activities/1")
    # When the same id arrives again
    second = await _insert(db, "https://lyon.example/activities/1")
    # Then there is one row, and the second insert says it was a duplicate
    assert first is not None and second is None
    assert (await inbox.counts(db))["queued"] == 1


async def test_a_claim_locks_the_row_until_it_expires(db: Database) -> None:
    # Given a queued item
    item_id = await _insert(db, "https://lyon.example/activities/1")
    # When a worker claims it
    claimed = await inbox.claim_due(db, now=2_000, lock_ms=LOCK, limit=10)
    # Then it is locked: nobody else gets it before the lock expires
    assert [r["id"] for r in claimed] == [item_id]
    assert claimed[0]["locked_until"] == 2_000 + LOCK and claimed[0]["attempts"] == 1
    assert await inbox.claim_due(db, now=2_000 + LOCK - 1, lock_ms=LOCK, limit=10) == []


async def test_a_crashed_workers_claim_is_taken_again_after_expiry_and_its_token_is_dead(db: Database) -> None:
    # Given an item claimed by a worker that then died
    await _insert(db, "https://lyon.example/activities/1")
    dead = (await inbox.claim_due(db, now=2_000, lock_ms=LOCK, limit=10))[0]
    # When the lock expires and another worker claims it
    retaken = await inbox.claim_due(db, now=2_000 + LOCK + 1, lock_ms=LOCK, limit=10)
    # Then the second worker has it, and the first one can no longer finish it
    assert len(retaken) == 1 and retaken[0]["attempts"] == 2
    async with db.transaction() as tx:
        assert not await inbox.finish(tx, dead["id"], dead["locked_until"], "done")
    async with db.transaction() as tx:
        assert await inbox.finish(tx, retaken[0]["id"], retaken[0]["locked_until"], "done")
    assert (await inbox.counts(db))["done"] == 1


async def test_an_item_retried_later_is_not_due_before_its_time(db: Database) -> None:
    await _insert(db, "https://lyon.example/activities/1")
    claimed = (await inbox.claim_due(db, now=2_000, lock_ms=LOCK, limit=10))[0]
    assert await inbox.retry_later(db, claimed["id"], claimed["locked_until"], 50_000, "peer down")
    assert await inbox.claim_due(db, now=49_999, lock_ms=LOCK, limit=10) == []
    again = await inbox.claim_due(db, now=50_000, lock_ms=LOCK, limit=10)
    assert len(again) == 1 and again[0]["last_error"] == "peer down"


async def test_one_actors_items_go_to_one_claimant_in_arrival_order(db: Database) -> None:
    # Given a Create then an Update from bob, and an item from carol
    create = await _insert(db, "https://lyon.example/activities/create")
    update = await _insert(db, "https://lyon.example/activities/update")
    other = await _insert(db, "https://montreal.example/activities/1", actor="https://montreal.example/users/carol")
    # When one worker claims only bob's first item
    (first,) = await inbox.claim_due(db, now=2_000, lock_ms=LOCK, limit=1)
    assert first["id"] == create
    # Then another worker cannot take bob's Update while his Create is held; carol's item is free
    assert [r["id"] for r in await inbox.claim_due(db, now=2_000, lock_ms=LOCK, limit=10)] == [other]
    async with db.transaction() as tx:
        await inbox.finish(tx, first["id"], first["locked_until"], "done")
    assert [r["id"] for r in await inbox.claim_due(db, now=2_001, lock_ms=LOCK, limit=10)] == [update]


async def test_a_claim_takes_an_actors_items_together_in_order(db: Database) -> None:
    ids = [await _insert(db, f"https://lyon.example/activities/{n}") for n in range(5)]
    claimed = await inbox.claim_due(db, now=2_000, lock_ms=LOCK, limit=10)
    assert [r["id"] for r in claimed] == ids


async def test_an_item_waiting_for_a_retry_does_not_block_the_actors_next_items(db: Database) -> None:
    await _insert(db, "https://lyon.example/activities/1")
    later = await _insert(db, "https://lyon.example/activities/2")
    first = (await inbox.claim_due(db, now=2_000, lock_ms=LOCK, limit=1))[0]
    await inbox.retry_later(db, first["id"], first["locked_until"], 900_000, "parent unreachable")
    assert [r["id"] for r in await inbox.claim_due(db, now=2_001, lock_ms=LOCK, limit=10)] == [later]


async def test_finished_items_can_be_purged_but_queued_ones_stay(db: Database) -> None:
    await _insert(db, "https://lyon.example/activities/1", now=1_000)
    await _insert(db, "https://montreal.example/activities/2", actor="https://montreal.example/users/c", now=1_000)
    claimed = await inbox.claim_due(db, now=2_000, lock_ms=LOCK, limit=1)
    async with db.transaction() as tx:
        await inbox.finish(tx, claimed[0]["id"], claimed[0]["locked_until"], "ignored", error="x" * 5000)
    row = await inbox.get(db, claimed[0]["id"])
    assert row is not None and len(row["last_error"]) == inbox.MAX_ERROR_CHARS
    assert await inbox.purge_finished(db, older_than=10_000) == 1
    assert (await inbox.counts(db))["queued"] == 1


async def test_many_items_commit_together_and_duplicates_are_told_apart(db: Database) -> None:
    def item(n: int) -> inbox.NewItem:
        return inbox.NewItem(f"https://lyon.example/activities/{n}", "Like", "https://lyon.example/users/bob", "k", "{}")

    await _insert(db, "https://lyon.example/activities/0")
    # A batch holding an already stored id, two new ones, and one of them twice
    ids = await inbox.insert_many(db, [item(0), item(1), item(2), item(1), *(item(n) for n in range(3, 250))])
    assert ids[0] is None and ids[1] is not None and ids[2] is not None and ids[3] is None
    assert all(i is not None for i in ids[4:])
    assert (await inbox.counts(db))["queued"] == 250
    assert await inbox.insert_many(db, []) == []
