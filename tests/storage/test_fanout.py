"""Home-feed fan-out after commit (storage.fanout): batches, durability, deletes, interleaving."""

from __future__ import annotations

import asyncio

import pytest

from federation.fanout_worker import fanout_worker
from storage import fanout, follows, statuses
from storage.db import Database
from storage.ids import now_ms
from tests.storage.helpers import local, remote, status


async def _feed_of(db: Database, status_id: int) -> set[int]:
    rows = await db.fetchall("SELECT account_id FROM home_feed WHERE status_id = ?", (status_id,))
    return {int(r["account_id"]) for r in rows}


async def _author_with_followers(db: Database, count: int, *, prefix: str = "f") -> tuple[int, list[int]]:
    async with db.transaction() as tx:
        author = await local(tx, f"{prefix}author")
        followers = [await local(tx, f"{prefix}{n}") for n in range(count)]
        for follower in followers:
            await follows.request(tx, follower, author, None, accept=True)
    return author, followers


async def test_followers_get_the_post_after_the_commit_and_only_local_accepted_ones(db: Database) -> None:
    author, followers = await _author_with_followers(db, 3)
    pending = await local(db, "pending")
    far = await remote(db, "far", "lyon.example")
    async with db.transaction() as tx:
        await follows.request(tx, pending, author, None, accept=False)
        await follows.request(tx, far, author, "https://lyon.example/follows/1", accept=True)

    post = await status(db, author, "https://paris.example/s/1")

    # Committed: the author has it, a durable job holds the followers' share
    assert await _feed_of(db, post) == {author}
    assert await fanout.exists(db, post)
    assert await fanout.run(db, post) is True
    assert await _feed_of(db, post) == {author, *followers}
    assert not await fanout.exists(db, post)
    assert await fanout.run(db, post) is True   # nothing left to do, nothing written twice
    assert await _feed_of(db, post) == {author, *followers}


async def test_an_author_without_local_followers_queues_no_job(db: Database) -> None:
    author = await local(db, "alone")
    post = await status(db, author, "https://paris.example/s/2")
    assert not await fanout.exists(db, post)
    assert await _feed_of(db, post) == {author}


async def test_direct_posts_reach_only_the_mentioned_and_queue_no_job(db: Database) -> None:
    author, _followers = await _author_with_followers(db, 2)
    mentioned = await local(db, "mentioned")
    async with db.transaction() as tx:
        post = await statuses.create(tx, statuses.NewStatus(
            account_id=author, uri="https://paris.example/s/3", visibility="direct", local=True,
            mention_ids=[mentioned]))
    assert not await fanout.exists(db, post)
    assert await _feed_of(db, post) == {author, mentioned}


async def test_a_reply_reaches_only_followers_who_also_follow_whom_it_answers(db: Database) -> None:
    author, (both, only_author) = await _author_with_followers(db, 2)
    other = await local(db, "other")
    async with db.transaction() as tx:
        await follows.request(tx, both, other, None, accept=True)
    parent = await status(db, other, "https://paris.example/s/4")
    await fanout.run(db, parent)
    async with db.transaction() as tx:
        reply = await statuses.create(tx, statuses.NewStatus(
            account_id=author, uri="https://paris.example/s/5", visibility="public", local=True, in_reply_to_id=parent))
    await fanout.run(db, reply)
    assert await _feed_of(db, reply) == {author, both}
    assert only_author not in await _feed_of(db, reply)


async def test_batches_resume_where_the_last_stopped(db: Database) -> None:
    author, followers = await _author_with_followers(db, 7)
    post = await status(db, author, "https://paris.example/s/6")
    assert await fanout.run(db, post, max_rows=3, batch=3) is False
    assert len(await _feed_of(db, post) - {author}) == 3
    job = await db.fetchone("SELECT done_through, locked_until FROM fanout_jobs WHERE id = ?", (post,))
    assert job is not None and int(job["locked_until"]) > now_ms()   # held by this runner
    assert await fanout.claim_due(db, now=now_ms()) == []                # so no worker takes it
    await fanout.release(db, post)
    assert [int(r["id"]) for r in await fanout.claim_due(db, now=now_ms())] == [post]
    assert await fanout.run(db, post, batch=3) is True
    assert await _feed_of(db, post) == {author, *followers}


async def test_a_delete_before_the_fanout_finished_leaves_no_feed_rows(db: Database) -> None:
    author, _followers = await _author_with_followers(db, 5)
    post = await status(db, author, "https://paris.example/s/7")
    assert await fanout.run_batch(db, post, batch=2) is False
    async with db.transaction() as tx:
        await statuses.delete(tx, post)
    assert not await fanout.exists(db, post)
    assert await fanout.run(db, post, batch=2) is True
    assert await _feed_of(db, post) == set()


async def test_a_job_left_by_a_crash_is_finished_by_the_worker(db: Database) -> None:
    # Given a post committed with its job, and a runner that died after one batch (its lock held)
    author, followers = await _author_with_followers(db, 5)
    post = await status(db, author, "https://paris.example/s/8")
    assert await fanout.run_batch(db, post, batch=2, lock_ms=60_000) is False
    worker = fanout_worker(db, lock_ms=60_000)
    # Then the worker leaves it while the lock holds
    assert await worker.drain() == 0
    # And finishes it once the lock has expired
    await db.execute("UPDATE fanout_jobs SET locked_until = ? WHERE id = ?", (now_ms() - 1, post))
    assert await worker.drain() == 1
    assert await _feed_of(db, post) == {author, *followers}
    assert await fanout.pending(db) == 0


async def test_a_remote_post_stored_by_the_inbox_path_is_fanned_out_by_the_worker(db: Database) -> None:
    far = await remote(db, "far", "lyon.example")
    reader = await local(db, "reader")
    async with db.transaction() as tx:
        await follows.request(tx, reader, far, None, accept=True)
        post = await statuses.create(tx, statuses.NewStatus(
            account_id=far, uri="https://lyon.example/s/1", visibility="public", local=False))
    assert await fanout_worker(db).drain() == 1
    assert await _feed_of(db, post) == {reader}


async def test_a_big_fanout_lets_another_post_commit_before_it_ends(db: Database) -> None:
    # Given an author with many followers whose fan-out runs in small batches
    author, followers = await _author_with_followers(db, 60, prefix="big")
    other = await local(db, "other")
    big = await status(db, author, "https://paris.example/s/big")
    running = asyncio.create_task(fanout.run(db, big, batch=3))
    while True:
        row = await db.fetchone("SELECT done_through FROM fanout_jobs WHERE id = ?", (big,))
        assert row is not None, "the fan-out finished before the other post could start"
        if int(row["done_through"]):
            break
        await asyncio.sleep(0)
    # When another post is written meanwhile
    await status(db, other, "https://paris.example/s/small")
    # Then it committed while the big fan-out was still under way (it did not wait for all of it)
    left = await db.fetchone("SELECT done_through FROM fanout_jobs WHERE id = ?", (big,))
    assert left is not None and int(left["done_through"]) < max(followers)
    assert await running is True
    assert await _feed_of(db, big) == {author, *followers}


async def test_an_audience_of_exactly_n_batches_takes_n_transactions(db: Database) -> None:
    author, followers = await _author_with_followers(db, 4)
    post = await status(db, author, "https://paris.example/s/9")
    assert await fanout.run_batch(db, post, batch=2) is False
    assert await fanout.run_batch(db, post, batch=2) is True   # it looked one follower ahead
    assert await _feed_of(db, post) == {author, *followers}


async def test_posts_committed_together_share_their_first_fanout_transaction(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    posts, everyone = [], set()
    for name in ("a", "b", "c"):
        author, followers = await _author_with_followers(db, 3, prefix=name)
        posts.append(await status(db, author, f"https://paris.example/s/shared-{name}"))
        everyone.add(frozenset({author, *followers}))
    calls: list[list[int]] = []
    real = fanout.run_batches

    async def counted(database: Database, job_ids: list[int], **kwargs: object) -> dict[int, bool | None]:
        calls.append(sorted(job_ids))
        return await real(database, job_ids, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fanout, "run_batches", counted)
    assert await asyncio.gather(*(fanout.first_batch(db, post) for post in posts)) == [True, True, True]
    assert calls == [sorted(posts)]   # one transaction for the three
    assert {frozenset(await _feed_of(db, post)) for post in posts} == everyone


async def test_one_shared_transaction_writes_at_most_one_batch_of_rows(db: Database) -> None:
    first_author, first_followers = await _author_with_followers(db, 3, prefix="x")
    second_author, _ = await _author_with_followers(db, 3, prefix="y")
    third_author, _ = await _author_with_followers(db, 3, prefix="z")
    first = await status(db, first_author, "https://paris.example/s/x")
    second = await status(db, second_author, "https://paris.example/s/y")
    third = await status(db, third_author, "https://paris.example/s/z")
    results = await fanout.run_batches(db, [first, second, third], batch=4)
    assert results == {first: True, second: False, third: None}
    assert await _feed_of(db, first) == {first_author, *first_followers}
    assert len(await _feed_of(db, second) - {second_author}) == 1
    assert await _feed_of(db, third) == {third_author}
    assert await fanout.run(db, second) is True and await fanout.run(db, third) is True
    assert await fanout.pending(db) == 0


async def test_the_worker_runs_many_small_jobs_in_few_transactions(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    far = await remote(db, "far", "lyon.example")
    readers = [await local(db, f"reader{n}") for n in range(3)]
    async with db.transaction() as tx:
        for reader in readers:
            await follows.request(tx, reader, far, None, accept=True)
        posts = [await statuses.create(tx, statuses.NewStatus(
            account_id=far, uri=f"https://lyon.example/s/{n}", visibility="public", local=False)) for n in range(10)]
    calls: list[int] = []
    real = fanout.run_batches

    async def counted(database: Database, job_ids: list[int], **kwargs: object) -> dict[int, bool | None]:
        calls.append(len(job_ids))
        return await real(database, job_ids, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fanout, "run_batches", counted)
    monkeypatch.setattr(fanout, "BATCH", 12)   # four posts' rows per transaction
    assert await fanout_worker(db).drain() == 1   # one claimed group
    assert calls == [10, 6, 2]                     # 30 rows in three transactions, not ten
    for post in posts:
        assert await _feed_of(db, post) == set(readers)
    assert await fanout.pending(db) == 0


async def test_a_batch_seeks_the_followers_index_and_never_sorts_the_audience(sqlite_db: Database) -> None:
    sql, params = fanout._followers_batch(
        {"author_id": 1, "done_through": 0, "is_reblog": 0, "in_reply_to_account_id": 2}, 251)
    plan = " / ".join(str(r[3]) for r in await sqlite_db.fetchall("EXPLAIN QUERY PLAN " + sql, params))
    assert "COVERING INDEX follows_target_follower (target_account_id=? AND state=? AND account_id>?)" in plan
    assert "TEMP B-TREE" not in plan
