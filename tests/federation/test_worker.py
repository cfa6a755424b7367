"""federation.worker: bounded concurrency, graceful stop, crashes survived, no row handled twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

from federation.worker import Worker
from storage import inbox
from storage.db import Row, SQLiteDatabase
from storage.ids import now_ms
from tests.federation.rig import open_db


class Queue:
    """An in-memory stand-in for claimable rows."""

    def __init__(self, n: int) -> None:
        self.items = list(range(n))

    async def claim(self, limit: int) -> list[int]:
        taken, self.items = self.items[:limit], self.items[limit:]
        return taken


async def test_no_more_than_n_handlers_run_at_once_and_all_rows_are_handled() -> None:
    queue = Queue(30)
    running = peak = 0
    seen: list[int] = []

    async def handle(item: int) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.005)
        seen.append(item)
        running -= 1

    worker: Worker[int] = Worker("test", queue.claim, handle, concurrency=4, poll_interval=0.01)
    worker.start()
    for _ in range(200):
        if len(seen) == 30:
            break
        await asyncio.sleep(0.01)
    await worker.stop()
    assert sorted(seen) == list(range(30)) and peak <= 4 and worker.handled == 30


async def test_handlers_stuck_on_slow_peers_give_their_slots_to_the_rest() -> None:
    # Given 4 slots, and the first 4 rows stuck (a slow peer) for far longer than the others take
    queue = Queue(40)
    release = asyncio.Event()
    fast_done: list[int] = []

    async def handle(item: int) -> None:
        if item < 4:
            await release.wait()
        else:
            await asyncio.sleep(0.002)
            fast_done.append(item)

    worker: Worker[int] = Worker("test", queue.claim, handle, concurrency=4, poll_interval=0.01,
                                 linger_after=0.05, max_lingering=8)
    worker.start()
    # When the stuck ones have lingered, the other 36 rows are handled while they still wait
    for _ in range(300):
        if len(fast_done) == 36:
            break
        await asyncio.sleep(0.01)
    assert sorted(fast_done) == list(range(4, 40))
    assert worker.busy == 4 and worker.lingering == 4
    release.set()
    await worker.stop()
    assert worker.handled == 40 and worker.lingering == 0


async def test_lingering_is_bounded_so_slow_handlers_cannot_pile_up() -> None:
    queue = Queue(20)
    release = asyncio.Event()

    async def handle(item: int) -> None:
        await release.wait()   # every row is stuck

    worker: Worker[int] = Worker("test", queue.claim, handle, concurrency=2, poll_interval=0.01,
                                 linger_after=0.02, max_lingering=3)
    worker.start()
    await asyncio.sleep(0.4)
    # At most the 2 slots plus 3 lingering handlers at once, however long they wait
    assert worker.busy == 5 and worker.lingering == 3
    release.set()
    for _ in range(200):
        if worker.handled == 20:
            break
        await asyncio.sleep(0.01)
    await worker.stop()
    assert worker.handled == 20


async def test_a_failing_handler_does_not_stop_the_worker() -> None:
    queue = Queue(5)

    async def handle(item: int) -> None:
        if item % 2:
            raise RuntimeError("boom")

    worker: Worker[int] = Worker("test", queue.claim, handle, concurrency=2)
    assert await worker.drain() == 5
    assert worker.errors == 2 and worker.handled == 3


async def test_stop_lets_running_handlers_finish_and_claims_nothing_more() -> None:
    queue = Queue(2)
    finished: list[int] = []
    started = asyncio.Event()

    async def handle(item: int) -> None:
        started.set()
        await asyncio.sleep(0.05)
        finished.append(item)

    worker: Worker[int] = Worker("test", queue.claim, handle, concurrency=1, poll_interval=0.01)
    worker.start()
    await started.wait()
    await worker.stop(grace=5)
    assert finished == [0] and queue.items == [1]


async def test_stop_cancels_handlers_that_outlive_the_grace_period() -> None:
    queue = Queue(1)
    started = asyncio.Event()

    async def handle(item: int) -> None:
        started.set()
        await asyncio.sleep(30)

    worker: Worker[int] = Worker("test", queue.claim, handle, concurrency=1, poll_interval=0.01)
    worker.start()
    await started.wait()
    await asyncio.wait_for(worker.stop(grace=0.05), timeout=2)
    assert worker.busy == 0 and worker.handled == 0


async def test_a_failing_claim_is_retried_with_backoff() -> None:
    calls = 0

    async def claim(limit: int) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database away")
        return []

    async def handle(item: int) -> None:
        raise AssertionError("nothing to handle")

    worker: Worker[int] = Worker("test", claim, handle, poll_interval=0.01)
    worker.start()
    for _ in range(100):
        if calls >= 2:
            break
        await asyncio.sleep(0.01)
    await worker.stop()
    assert calls >= 2


async def _fill(db: SQLiteDatabase, n: int) -> None:
    for i in range(n):
        await inbox.insert(db, activity_id=f"https://lyon.example/a/{i}", activity_type="Like",
                           actor_uri=f"https://lyon.example/users/u{i}", key_id="k", body="{}")


def _processor(
    db: SQLiteDatabase, lock_ms: int, record: Counter[int], delay: float = 0.001
) -> tuple[Callable[[int], Awaitable[list[Row]]], Callable[[Row], Awaitable[None]]]:
    async def claim(limit: int) -> list[Row]:
        return await inbox.claim_due(db, now=now_ms(), lock_ms=lock_ms, limit=limit)

    async def handle(item: Row) -> None:
        await asyncio.sleep(delay)
        async with db.transaction() as tx:
            if await inbox.finish(tx, item["id"], item["locked_until"], "done"):
                record[int(item["id"])] += 1

    return claim, handle


async def test_two_workers_on_two_connections_never_handle_a_row_twice(tmp_path: Path) -> None:
    # Given 60 queued items and two worker processes (two connections to one database)
    first = await open_db(tmp_path)
    second = await open_db(tmp_path)
    await _fill(first, 60)
    record: Counter[int] = Counter()
    workers = [
        Worker("a", *_processor(first, 60_000, record), concurrency=4, poll_interval=0.01),
        Worker("b", *_processor(second, 60_000, record), concurrency=4, poll_interval=0.01),
    ]
    # When both run until everything is done
    for worker in workers:
        worker.start()
    for _ in range(500):
        if (await inbox.counts(first))["done"] == 60:
            break
        await asyncio.sleep(0.01)
    for worker in workers:
        await worker.stop()
    # Then every item was applied exactly once, and both workers took part
    assert len(record) == 60 and set(record.values()) == {1}
    assert all(worker.handled > 0 for worker in workers)
    await first.close()
    await second.close()


async def test_a_crashed_workers_rows_are_taken_over_after_the_lock_expires(tmp_path: Path) -> None:
    db = await open_db(tmp_path)
    await _fill(db, 3)
    record: Counter[int] = Counter()
    # Given a worker that claims rows and dies before finishing them
    claim, _ = _processor(db, 300, record)
    dead_rows = await claim(10)
    assert len(dead_rows) == 3
    # When another worker runs: nothing is claimable until the locks expire, then everything is
    survivor: Worker[Row] = Worker("b", *_processor(db, 300, record), concurrency=4)
    assert await survivor.drain() == 0
    await asyncio.sleep(0.35)
    assert await survivor.drain() == 3
    # And the dead worker's claims are worthless if it comes back
    async with db.transaction() as tx:
        assert not await inbox.finish(tx, dead_rows[0]["id"], dead_rows[0]["locked_until"], "done")
    assert set(record.values()) == {1} and len(record) == 3
    await db.close()
