"""Home-feed fan-out to followers, after the post's commit, in bounded batches, from a durable job.

The post's transaction stores the status, puts it in the feeds of its author and of the accounts it
addresses (`timelines.fan_out_to_addressees`, a few rows) and writes one `fanout_jobs` row
(`enqueue`). After the commit, `run` inserts the status into the feeds of local followers, `BATCH`
followers per transaction, so other writes interleave: on SQLite a transaction holds the only
write lock, and a 10,000-follower post used to hold it for 0.5-0.8 s (bench/README.md).

- The poster's request runs the job right away (`first_batch`, then `run` with a row budget), so
  followers see the post when the API answers; past the budget it `release`s the job to the workers.
  Posts committed at the same time share their first batch's transaction (`run_batches`).
- The workers (`claim_due`, inside `atrium serve` and `atrium worker`) finish released jobs, jobs of
  remote posts stored by the inbox, and jobs left by a crash once their lock expires; a claimed
  group of jobs shares its transactions too, BATCH rows in each.
- Each batch reads the job's cursor inside its own transaction (and locks the row on PostgreSQL),
  so two runners of one job never redo or skip a batch; inserts are ON CONFLICT DO NOTHING anyway.
- Deleting the status deletes its job (ON DELETE CASCADE): a later batch finds no job and stops,
  and the feed rows already written go with the status.
- Fan-out writes no notifications (those are written with the status), so a retried batch cannot
  notify twice. The status's stream event is written by the last batch, in the transaction that
  deletes the job, so the home stream finds every follower's row (and the event is written once).
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Sequence
from typing import Any

from . import claims, streams
from .db import Database, Executor, Row
from .ids import now_ms

BATCH = 250          # followers per transaction: 15-30 ms of SQLite's write lock (bench/README.md)
LOCK_MS = 30_000     # a runner's hold on a job, renewed by every batch; a crashed runner's job waits this long

_LOCAL_FOLLOWERS = (
    "FROM follows f JOIN accounts a ON a.id = f.account_id"
    " WHERE f.target_account_id = ? AND f.state = 'accepted' AND a.domain IS NULL"
)


async def enqueue(
    tx: Executor, *, status_id: int, author_id: int, in_reply_to_account_id: int | None, is_reblog: bool
) -> bool:
    """In the post's transaction: a job for the status, only if its author has a local follower.

    Returns whether a job was written. The job starts unlocked, so a worker may take it as soon as
    it is committed; the poster's request usually finishes it first (`run`).
    """
    written = await tx.execute(ENQUEUE_SQL, job_params(
        status_id=status_id, author_id=author_id, in_reply_to_account_id=in_reply_to_account_id, is_reblog=is_reblog
    ))
    return written > 0


# `enqueue`'s statement, for an executemany over a round of posts (storage.statuses.create_many).
ENQUEUE_SQL = (
    "INSERT INTO fanout_jobs (id, author_id, in_reply_to_account_id, is_reblog, created_at)"
    " SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS INTEGER), CAST(? AS BIGINT)"
    f" WHERE EXISTS (SELECT 1 {_LOCAL_FOLLOWERS}) ON CONFLICT DO NOTHING"
)


def job_params(
    *, status_id: int, author_id: int, in_reply_to_account_id: int | None, is_reblog: bool
) -> tuple[Any, ...]:
    return (status_id, author_id, in_reply_to_account_id, int(is_reblog), now_ms(), author_id)


def _followers_batch(job: Row, limit: int) -> tuple[str, list[Any]]:
    """The next `limit` local followers who get the post, in account order after the job's cursor."""
    author_id = int(job["author_id"])
    params: list[Any] = [author_id, int(job["done_through"])]
    filters = ""
    if job["is_reblog"]:
        filters += " AND f.show_reblogs = 1"
    replied_to = job["in_reply_to_account_id"]
    if replied_to is not None and int(replied_to) != author_id and not job["is_reblog"]:
        # Mastodon's rule: a reply reaches a follower only when they also follow whom it answers.
        filters += (
            " AND EXISTS (SELECT 1 FROM follows f2 WHERE f2.account_id = f.account_id"
            " AND f2.target_account_id = ? AND f2.state = 'accepted')"
        )
        params.append(int(replied_to))
    params.append(limit)
    sql = f"SELECT f.account_id {_LOCAL_FOLLOWERS} AND f.account_id > ?{filters} ORDER BY f.account_id LIMIT ?"
    return sql, params


async def run_batch(db: Database, job_id: int, *, batch: int | None = None, lock_ms: int = LOCK_MS) -> bool:
    """One transaction: the next `batch` (default BATCH) followers get the status. True when the job
    is finished (or gone: done by another runner, or its status deleted)."""
    return bool((await run_batches(db, [job_id], batch=batch, lock_ms=lock_ms))[job_id])


async def run_batches(
    db: Database, job_ids: Sequence[int], *, batch: int | None = None, lock_ms: int = LOCK_MS
) -> dict[int, bool | None]:
    """One transaction for the next followers of several jobs, `batch` (default BATCH) rows in all.

    Concurrent posts share one transaction this way (`first_batch`): one commit and a few
    statements instead of a transaction each. Returns, per job: True when it is finished (or gone),
    False when it progressed, None when the row budget ran out before it (left as it was).
    """
    batch = batch or BATCH
    ids = sorted(set(job_ids))
    done: dict[int, bool | None] = dict.fromkeys(ids, True)   # not found: finished by someone, or its status deleted
    async with db.transaction() as tx:
        lock = " FOR UPDATE" if tx.dialect == "postgresql" else ""   # in id order: no deadlock between runners
        marks = ",".join("?" * len(ids))
        jobs = await tx.fetchall(f"SELECT * FROM fanout_jobs WHERE id IN ({marks}) ORDER BY id{lock}", ids)
        rows: list[tuple[int, int, int]] = []
        finished: list[int] = []
        progressed: list[tuple[int, int, int]] = []
        budget = batch
        for job in jobs:
            job_id = int(job["id"])
            if budget <= 0:
                done[job_id] = None
                continue
            done[job_id] = False
            # One follower more than the budget: when it is not there, this batch is the job's last
            # (no empty transaction just to learn that an audience of exactly N batches is done).
            sql, params = _followers_batch(job, budget + 1)
            found = [int(r["account_id"]) for r in await tx.fetchall(sql, params)]
            taken = found[:budget]
            budget -= len(taken)
            rows += [(follower, job_id, int(job["author_id"])) for follower in taken]
            if len(found) <= len(taken):
                finished.append(job_id)
                done[job_id] = True
            else:
                progressed.append((taken[-1], now_ms() + lock_ms, job_id))
        if rows:
            await tx.executemany(
                "INSERT INTO home_feed (account_id, status_id, author_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", rows
            )
        if finished:
            await tx.execute(f"DELETE FROM fanout_jobs WHERE id IN ({','.join('?' * len(finished))})", finished)
            for job_id in finished:
                # The status's stream event, held back until now: the home stream asks home_feed
                # which followers got the post, and now all of them have.
                await streams.append(tx, "status", "update", json.dumps({"status_id": job_id}))
        if progressed:
            # Renewing the lock keeps the workers off a job that is being run, and lets them take
            # it once this runner stops renewing (it finished, released it, or died).
            await tx.executemany("UPDATE fanout_jobs SET done_through = ?, locked_until = ? WHERE id = ?", progressed)
    return done


MAX_SHARED = 32   # posts whose first batches one transaction may take (their rows: BATCH in all)
_running: set[asyncio.Task[None]] = set()
_first_batches: weakref.WeakKeyDictionary[Database, _FirstBatches] = weakref.WeakKeyDictionary()


async def first_batch(db: Database, job_id: int) -> bool:
    """The first batch of a just-committed post's job, in a transaction shared with the first
    batches of posts committed meanwhile (one commit for all of them under load; alone, at once).
    True when the job is finished."""
    runner = _first_batches.get(db)
    if runner is None:
        runner = _first_batches[db] = _FirstBatches(db)
    return await runner.run(job_id)


class _FirstBatches:
    """Requests that arrive while a transaction runs wait for the next one and share it."""

    def __init__(self, db: Database) -> None:
        self.db = weakref.ref(db)   # not a strong one: it would keep its own key alive in _first_batches
        self.waiting: dict[int, asyncio.Future[bool]] = {}
        self.draining = False

    async def run(self, job_id: int) -> bool:
        future = self.waiting.get(job_id)
        if future is None:
            future = self.waiting[job_id] = asyncio.get_running_loop().create_future()
        if not self.draining:
            self.draining = True
            task = asyncio.create_task(self._drain(), name="fanout:first-batches")
            _running.add(task)
            task.add_done_callback(_running.discard)
        return await future

    async def _drain(self) -> None:
        try:
            while self.waiting:
                group = list(self.waiting)[:MAX_SHARED]
                try:
                    db = self.db()
                    if db is None:
                        raise RuntimeError("the database was closed")
                    results = await run_batches(db, group)
                except Exception as exc:   # each request sees the failure; the jobs stay for the workers
                    for job_id in group:
                        future = self.waiting.pop(job_id)
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for job_id in group:
                    if results[job_id] is None:
                        continue   # the row budget ran out before it: the next transaction
                    future = self.waiting.pop(job_id)
                    if not future.done():
                        future.set_result(bool(results[job_id]))
        finally:
            self.draining = False


async def run(db: Database, job_id: int, *, max_rows: int | None = None, batch: int | None = None) -> bool:
    """Run a job batch after batch: to the end, or until about `max_rows` followers are done.

    True when the job is finished. A job left unfinished stays locked for LOCK_MS: `release` it so
    the workers take it at once.
    """
    batch = batch or BATCH
    done = 0
    while max_rows is None or done < max_rows:
        if await run_batch(db, job_id, batch=batch):
            return True
        done += batch
    return False


async def release(db: Database, job_id: int) -> None:
    """Hand an unfinished job to the workers now rather than when its lock expires."""
    await db.execute("UPDATE fanout_jobs SET locked_until = NULL WHERE id = ?", (job_id,))


async def exists(db: Executor, job_id: int) -> bool:
    return bool(await db.fetchval("SELECT 1 FROM fanout_jobs WHERE id = ?", (job_id,)))


async def claim_due(db: Database, *, now: int, lock_ms: int = LOCK_MS, limit: int = 1) -> list[Row]:
    """Jobs nobody is running (released, from the inbox, or whose runner died), oldest first."""
    # A read first: the workers poll every second, and an idle poll should not take the write lock.
    if not await db.fetchval(
        "SELECT 1 FROM fanout_jobs WHERE locked_until IS NULL OR locked_until < ? LIMIT 1", (now,)
    ):
        return []
    return await claims.claim(
        db, table="fanout_jobs", conditions="1 = 1", params=(), order_by="c.id", limit=limit,
        now=now, lock_until=now + lock_ms, count_attempt=True,
    )


async def pending(db: Executor) -> int:
    """Jobs not finished yet (for health checks and tests)."""
    return int(await db.fetchval("SELECT COUNT(*) FROM fanout_jobs") or 0)
