"""federation.batch: claimed inbox items applied in rounds (one commit per round) give the same
result as one transaction per item: order kept per object, a failing item poisons nothing, a
crash half-way applies nothing and nothing twice."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from federation import batch
from federation.instance import Instance
from storage import follows, statuses
from storage import inbox as inbox_store
from storage.db import Row, SQLiteDatabase
from storage.ids import now_ms
from tests.federation.harness import Harness
from tests.federation.rig import remote_actor

BOB = remote_actor("lyon.example", "bob")
CAROL = remote_actor("lyon.example", "carol")
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _note(actor: Any, n: int, *, published: str = "2026-11-20T10:00:00Z", reply_to: str | None = None,
          content: str | None = None) -> dict[str, Any]:
    return {"id": f"{actor.uri}/notes/{n}", "type": "Note", "attributedTo": actor.uri, "published": published,
            "content": content or f"note {n}", "to": [PUBLIC], "cc": [f"{actor.uri}/followers"],
            **({"inReplyTo": reply_to} if reply_to else {})}


def _create(actor: Any, note: dict[str, Any], suffix: str = "create") -> dict[str, Any]:
    return {"id": f"{note['id']}/{suffix}", "type": "Create", "actor": actor.uri, "object": note}


async def _queue(db: SQLiteDatabase, activities: list[dict[str, Any]]) -> list[Row]:
    for activity in activities:
        actor = str(activity["actor"])
        assert await inbox_store.insert(
            db, activity_id=str(activity["id"]), activity_type=str(activity["type"]), actor_uri=actor,
            key_id=f"{actor}#main-key", body=json.dumps(activity),
        )
    return await inbox_store.claim_due(db, now=now_ms(), lock_ms=60_000, limit=1000)


async def _harness(db: SQLiteDatabase, paris: Instance) -> Harness:
    h = Harness(db, paris)
    alice = await h.local("alice")
    for actor in (BOB, CAROL):
        row = await h.remote(actor)
        async with db.transaction() as tx:
            await follows.request(tx, int(alice["id"]), int(row["id"]), None, accept=True)
    return h


def test_independent_creates_share_a_round_and_anything_else_is_a_barrier() -> None:
    def row(activity: dict[str, Any]) -> dict[str, Any]:
        return {"activity_type": activity["type"], "body": json.dumps(activity)}

    n1, n2 = _note(BOB, 1), _note(BOB, 2)
    reply = _note(CAROL, 3, reply_to=n1["id"])
    update = {"id": f"{n2['id']}/update", "type": "Update", "actor": BOB.uri, "object": n2}
    items = [row(_create(BOB, n1)), row(_create(BOB, n2)), row(_create(CAROL, reply)), row(update),
             row(_create(BOB, _note(BOB, 4))), row(_create(BOB, n1, "again"))]
    rounds = batch.plan(items)  # type: ignore[arg-type]
    # n1 and n2 together; the reply to n1 waits for n1; the Update runs alone; then n4 and n1 again
    # (n1's first round commits before this one is prepared: the Update is a barrier)
    assert [len(r.items) for r in rounds] == [2, 1, 1, 2]
    assert [r.barrier for r in rounds] == [False, False, True, False]
    assert not batch.independent(rounds[1], rounds[0])
    # the same post twice in a row: never in one round, nor prepared before the first commits
    twice = batch.plan([items[0], items[4], items[5]])  # type: ignore[arg-type]
    assert [len(r.items) for r in twice] == [2, 1] and not batch.independent(twice[1], twice[0])
    assert [len(r.items) for r in batch.plan(items[:2], max_round=1)] == [1, 1]  # type: ignore[arg-type]


async def test_a_backlog_is_applied_exactly_once_in_few_commits(db: SQLiteDatabase, paris: Instance) -> None:
    # Given 150 Creates from two actors, claimed together
    h = await _harness(db, paris)
    items = await _queue(db, [_create(actor, _note(actor, n)) for n in range(75) for actor in (BOB, CAROL)])
    commits = 0
    real = db.transaction

    def counting() -> Any:
        nonlocal commits
        commits += 1
        return real()

    db.transaction = counting  # type: ignore[method-assign]
    # When they are processed
    states = await batch.process_items(db, paris, h.fetcher, items)
    db.transaction = real  # type: ignore[method-assign]
    # Then each is stored once and done, with one commit per round
    assert states == ["done"] * 150
    assert commits == -(-150 // batch.MAX_ROUND)
    assert await h.count("SELECT COUNT(*) FROM statuses") == 150
    assert await h.count("SELECT COUNT(DISTINCT uri) FROM statuses") == 150
    assert (await inbox_store.counts(db))["done"] == 150


async def test_one_failing_item_does_not_poison_its_round(
    db: SQLiteDatabase, paris: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given ten Creates, one of which fails when written
    h = await _harness(db, paris)
    items = await _queue(db, [_create(BOB, _note(BOB, n)) for n in range(10)])
    real_create = statuses.create

    async def failing(tx: Any, new: statuses.NewStatus) -> int:
        if new.uri.endswith("/notes/4"):
            raise RuntimeError("disk hiccup")
        return await real_create(tx, new)

    real_create_many = statuses.create_many

    async def failing_many(tx: Any, news: list[statuses.NewStatus]) -> list[statuses.Created]:
        if any(new.uri.endswith("/notes/4") for new in news):
            raise RuntimeError("disk hiccup")
        return await real_create_many(tx, news)

    monkeypatch.setattr(statuses, "create", failing)
    monkeypatch.setattr(statuses, "create_many", failing_many)   # the round's batched store fails too
    # When the round is processed
    states = await batch.process_items(db, paris, h.fetcher, items)
    # Then the other nine are stored once and done; the failing one waits for a retry
    assert states == ["done"] * 4 + ["queued"] + ["done"] * 5
    assert await h.count("SELECT COUNT(*) FROM statuses") == 9
    row = await inbox_store.get(db, int(items[4]["id"]))
    assert row is not None and row["state"] == "queued" and "disk hiccup" in row["last_error"]


async def test_a_crash_half_way_through_a_round_applies_nothing_and_the_retry_applies_it_once(
    db: SQLiteDatabase, paris: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a round whose commit is interrupted (the worker is cancelled) after some writes
    h = await _harness(db, paris)
    items = await _queue(db, [_create(BOB, _note(BOB, n)) for n in range(10)])
    real_create = statuses.create
    reached = asyncio.Event()

    async def slow(tx: Any, new: statuses.NewStatus) -> int:
        status_id = await real_create(tx, new)
        if new.uri.endswith("/notes/5"):
            reached.set()
            await asyncio.sleep(30)
        return status_id

    real_create_many = statuses.create_many

    async def slow_many(tx: Any, news: list[statuses.NewStatus]) -> list[statuses.Created]:
        created = await real_create_many(tx, news)
        if any(new.uri.endswith("/notes/5") for new in news):
            reached.set()
            await asyncio.sleep(30)
        return created

    monkeypatch.setattr(statuses, "create", slow)
    monkeypatch.setattr(statuses, "create_many", slow_many)   # the round is stored by one create_many
    task = asyncio.create_task(batch.process_items(db, paris, h.fetcher, items))
    await asyncio.wait_for(reached.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Then nothing of the round was committed and every item is still queued
    assert await h.count("SELECT COUNT(*) FROM statuses") == 0
    assert (await inbox_store.counts(db))["queued"] == 10
    # And once the claims expire, another worker applies each exactly once
    monkeypatch.setattr(statuses, "create", real_create)
    monkeypatch.setattr(statuses, "create_many", real_create_many)
    again = await inbox_store.claim_due(db, now=now_ms() + 120_000, lock_ms=60_000, limit=100)
    assert len(again) == 10
    assert await batch.process_items(db, paris, h.fetcher, again) == ["done"] * 10
    assert await h.count("SELECT COUNT(*) FROM statuses") == 10


async def test_create_update_delete_of_one_post_keep_their_order_among_other_posts(
    db: SQLiteDatabase, paris: Instance
) -> None:
    h = await _harness(db, paris)
    first, second = _note(BOB, 1), _note(BOB, 2)
    edited = {**_note(BOB, 2, content="edited"), "updated": "2026-11-21T10:00:00Z"}
    activities = [
        _create(BOB, first),
        _create(BOB, second),
        {"id": f"{second['id']}/update", "type": "Update", "actor": BOB.uri, "object": edited},
        _create(CAROL, _note(CAROL, 3, reply_to=first["id"])),
        _create(BOB, _note(BOB, 4)),
        {"id": f"{first['id']}/delete", "type": "Delete", "actor": BOB.uri, "object": first["id"]},
        _create(BOB, first, "late-create"),   # after its Delete: must not come back
    ]
    states = await batch.process_items(db, paris, h.fetcher, await _queue(db, activities))
    assert states[:6] == ["done"] * 6 and states[6] == "ignored"
    assert await statuses.get_by_uri(db, first["id"]) is None
    assert await statuses.is_tombstoned(db, first["id"])
    reply = await statuses.get_by_uri(db, _note(CAROL, 3)["id"])
    assert reply is not None and reply["in_reply_to_uri"] == first["id"]
    assert h.http.requests == []  # the parent was never fetched: it was applied first
    # the Update came after its Create: an edit with history, not a first version
    updated = await statuses.get_by_uri(db, second["id"])
    assert updated is not None and "edited" in updated["content"]
    assert len(await statuses.history(db, int(updated["id"]))) == 2


async def test_two_remote_posts_published_in_the_same_millisecond_are_both_stored(
    db: SQLiteDatabase, paris: Instance
) -> None:
    # The receiver sorts remote posts by `published` (their id's time part): equal dates must not collide.
    h = await _harness(db, paris)
    same = "2026-11-20T10:00:00Z"
    activities = [_create(actor, _note(actor, n, published=same)) for n in range(40) for actor in (BOB, CAROL)]
    states = await batch.process_items(db, paris, h.fetcher, await _queue(db, activities))
    assert states == ["done"] * 80
    assert await h.count("SELECT COUNT(DISTINCT id) FROM statuses") == 80
    # And one at a time, as before batching
    for n in range(3):
        assert await h.process(_create(BOB, _note(BOB, 100 + n, published=same))) == "done"
    assert await h.count("SELECT COUNT(DISTINCT id) FROM statuses") == 83


async def test_after_a_short_claim_the_inbox_waits_a_little_unless_a_task_finishes(
    db: SQLiteDatabase, paris: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A claim walks past every item queued behind an actor being applied: during a one-actor flood,
    # claiming again on each stored item would hold the write lock for nothing.
    from federation import runner as runner_module
    from federation.runner import FederationRuntime

    h = await _harness(db, paris)
    runtime = FederationRuntime(db, paris, http=h.http)  # type: ignore[arg-type]
    claims = 0
    real_claim = inbox_store.claim_due

    async def slow_claim(*args: Any, **kwargs: Any) -> list[Row]:
        nonlocal claims
        claims += 1
        await asyncio.sleep(0.02)
        return await real_claim(*args, **kwargs)

    monkeypatch.setattr(runner_module.inbox, "claim_due", slow_claim)
    assert await runtime._claim_inbox(8) == [] and claims == 1     # nothing queued yet
    await inbox_store.insert(db, activity_id=f"{BOB.uri}/a/1", activity_type="Create", actor_uri=BOB.uri,
                             key_id=BOB.key_id, body=json.dumps(_create(BOB, _note(BOB, 1))))
    assert await runtime._claim_inbox(8) == [] and claims == 1   # paused: no query
    pause = runtime._inbox_claim_after - time.monotonic()
    assert 0.1 < pause <= runner_module.INBOX_RECLAIM_MAX_S       # about 10 times the 20 ms claim
    await asyncio.sleep(pause + 0.01)
    (unit,) = await runtime._claim_inbox(8)
    assert claims == 2 and len(unit) == 1
    await runtime._process(unit)                                  # a task finished: claim at once
    assert await runtime._claim_inbox(8) == [] and claims == 3
    await runtime.http.aclose()
