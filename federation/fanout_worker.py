"""The background half of home-feed fan-out (storage.fanout): finishes the jobs no request is running.

Those are the jobs of big audiences that a poster's request handed over after its budget, the jobs
of remote posts stored by the inbox worker, and jobs whose runner died (their lock expires). It is
one more `Worker` of the federation runtime, so it runs wherever the other workers do: inside
`atrium serve` and in `atrium worker` processes; claims never overlap across processes.
"""

from __future__ import annotations

from federation.worker import Worker
from storage import fanout
from storage.db import Database, Row
from storage.ids import now_ms

CONCURRENCY = 2   # jobs run at once per process: their batches interleave with each other and with posts


def fanout_worker(db: Database, *, poll_interval: float = 1.0, lock_ms: int = fanout.LOCK_MS) -> Worker[Row]:
    """A worker that claims unfinished fan-out jobs and runs each to the end, batch after batch."""

    async def claim(limit: int) -> list[Row]:
        return await fanout.claim_due(db, now=now_ms(), lock_ms=lock_ms, limit=limit)

    async def handle(job: Row) -> None:
        await fanout.run(db, int(job["id"]))

    return Worker("fanout", claim, handle, concurrency=CONCURRENCY, poll_interval=poll_interval)
