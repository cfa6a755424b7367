"""The background half of home-feed fan-out (storage.fanout): finishes the jobs no request is running.

Those are the jobs of big audiences that a poster's request handed over after its budget, the jobs
of remote posts stored by the inbox worker, and jobs whose runner died (their lock expires). It is
one more `Worker` of the federation runtime, so it runs wherever the other workers do: inside
`atrium serve` and in `atrium worker` processes; claims never overlap across processes.

Jobs are claimed in groups and a group shares its transactions (`storage.fanout.run_batches`, at
most BATCH rows each): a stream of remote posts with a few local followers each costs a few
transactions, not two per post.
"""

from __future__ import annotations

from federation.worker import Worker
from storage import fanout
from storage.db import Database, Row
from storage.ids import now_ms

CONCURRENCY = 2   # groups run at once per process: their batches interleave with each other and with posts
GROUP = 64        # jobs claimed together and run in shared transactions


def fanout_worker(db: Database, *, poll_interval: float = 1.0, lock_ms: int = fanout.LOCK_MS) -> Worker[list[Row]]:
    """A worker that claims unfinished fan-out jobs and runs each group to the end, batch after batch."""

    async def claim(limit: int) -> list[list[Row]]:
        jobs = await fanout.claim_due(db, now=now_ms(), lock_ms=lock_ms, limit=limit * GROUP)
        return [jobs[i : i + GROUP] for i in range(0, len(jobs), GROUP)]

    async def handle(group: list[Row]) -> None:
        pending = [int(job["id"]) for job in group]
        while pending:
            results = await fanout.run_batches(db, pending, lock_ms=lock_ms)
            pending = [job_id for job_id in pending if results[job_id] is not True]

    return Worker("fanout", claim, handle, concurrency=CONCURRENCY, poll_interval=poll_interval)
