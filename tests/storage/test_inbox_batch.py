"""storage.inbox for batched processing: finishing many claimed items at once, fenced by their
claims, and a claim that stays cheap (indexed) when one actor has a large backlog."""

from __future__ import annotations

from storage import claims, inbox
from storage.db import Database

LOCK = 60_000
BOB = "https://lyon.example/users/bob"


async def _insert(db: Database, n: int, *, actor: str = BOB, now: int = 1_000) -> int:
    item_id = await inbox.insert(
        db, activity_id=f"{actor}/activities/{n}", activity_type="Create", actor_uri=actor,
        key_id=f"{actor}#main-key", body="{}", now=now,
    )
    assert item_id is not None
    return item_id


async def test_finish_many_finishes_only_the_items_whose_claim_is_still_held(db: Database) -> None:
    # Given three claimed items, one of which was re-claimed by another worker after its lock expired
    ids = [await _insert(db, n) for n in range(3)]
    claimed = await inbox.claim_due(db, now=2_000, lock_ms=LOCK, limit=10)
    assert [r["id"] for r in claimed] == ids
    async with db.transaction() as tx:
        await tx.execute("UPDATE inbox_items SET locked_until = ? WHERE id = ?", (999_999, ids[1]))
    # When the first worker finishes all three together
    async with db.transaction() as tx:
        finished = await inbox.finish_many(tx, [(int(r["id"]), int(r["locked_until"])) for r in claimed], "done")
    # Then only the two it still held are done; the other is left to its new claimant
    assert finished == {ids[0], ids[2]}
    states = {int(r["id"]): r["state"] for r in await db.fetchall("SELECT id, state FROM inbox_items")}
    assert states == {ids[0]: "done", ids[1]: "queued", ids[2]: "done"}
    async with db.transaction() as tx:
        assert await inbox.finish_many(tx, [(ids[0], 2_000 + LOCK)], "done") == set()  # never twice


async def test_finish_many_rolls_back_with_its_transaction(db: Database) -> None:
    ids = [await _insert(db, n) for n in range(2)]
    claimed = await inbox.claim_due(db, now=2_000, lock_ms=LOCK, limit=10)
    try:
        async with db.transaction() as tx:
            await inbox.finish_many(tx, [(int(r["id"]), int(r["locked_until"])) for r in claimed], "done")
            raise RuntimeError("crash half-way")
    except RuntimeError:
        pass
    assert (await inbox.counts(db))["queued"] == len(ids)


async def test_an_actors_later_items_wait_while_its_earlier_ones_are_claimed_among_a_long_backlog(
    db: Database,
) -> None:
    # Given a long backlog from bob and one item from alice after it
    bob_ids = [await _insert(db, n) for n in range(300)]
    alice_id = await _insert(db, 0, actor="https://lyon.example/users/alice")
    # When a worker claims bob's first 100
    first = await inbox.claim_due(db, now=2_000, lock_ms=LOCK, limit=100)
    assert [r["id"] for r in first] == bob_ids[:100]
    # Then another claim gets none of bob's later items, only alice's
    assert [r["id"] for r in await inbox.claim_due(db, now=2_001, lock_ms=LOCK, limit=500)] == [alice_id]
    # And once bob's first 100 are done, his next ones come in order
    async with db.transaction() as tx:
        await inbox.finish_many(tx, [(int(r["id"]), int(r["locked_until"])) for r in first], "done")
    assert [r["id"] for r in await inbox.claim_due(db, now=2_002, lock_ms=LOCK, limit=50)] == bob_ids[100:150]


async def test_the_claim_uses_its_indexes_and_sorts_nothing(sqlite_db: Database) -> None:
    sql = claims.claim_sql("inbox_items", inbox.CLAIM_CONDITIONS, inbox.CLAIM_ORDER, dialect="sqlite",
                           count_attempt=True)
    select = sql[sql.index("SELECT c.id") : sql.index(") AND (locked_until")]
    rows = await sqlite_db.fetchall("EXPLAIN QUERY PLAN " + select, (2_000, 2_000, 2_000, 10))
    detail = " | ".join(str(r["detail"]) for r in rows)
    assert "inbox_items_due" in detail and "inbox_items_locked" in detail, detail
    assert "TEMP B-TREE" not in detail, detail


async def test_post_states_answers_for_a_whole_batch_of_post_ids(db: Database) -> None:
    from storage import remote
    from tests.storage.helpers import local, status

    alice = await local(db, "alice")
    stored = "https://paris.example/users/alice/statuses/1"
    await status(db, alice, stored)
    async with db.transaction() as tx:
        await remote.add_tombstone(tx, "https://lyon.example/notes/gone", None)
    asked = [stored, "https://lyon.example/notes/gone", "https://lyon.example/notes/new", stored]
    asked += [f"https://lyon.example/notes/{n}" for n in range(1200)]   # more than one statement's worth
    tombstoned, found = await remote.post_states(db, asked)
    assert tombstoned == {"https://lyon.example/notes/gone"}
    assert found == {stored}
    assert await remote.post_states(db, []) == (set(), set())


async def test_accounts_by_uri_finds_the_stored_ones_among_many(db: Database) -> None:
    from storage import accounts, remote
    from tests.storage.helpers import local

    alice = await local(db, "alice")
    row = await accounts.get(db, alice)
    assert row is not None
    asked = [str(row["uri"])] + [f"https://lyon.example/users/u{n}" for n in range(600)] + [str(row["uri"])]
    found = await remote.accounts_by_uri(db, asked)
    assert list(found) == [row["uri"]] and found[str(row["uri"])]["id"] == alice
