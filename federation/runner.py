"""Federation at run time: the HTTP client, the fetcher and the three workers, started and stopped together.

The server builds one `FederationRuntime` per process:

    runtime = FederationRuntime(db, instance)          # instance: federation.instance.Instance
    await runtime.start(run_workers=settings.run_workers)
    ...  # the inbox route calls runtime.receive(...)
    await runtime.stop()

`atrium worker` runs `run_worker_process(db, instance, stop_event)` instead: the same workers,
no web server. Several processes may run workers on one database: claims never overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime
from typing import Any

from federation.batch import PREPARE_SLOTS, process_items
from federation.breaker import BreakerPolicy, CircuitBreaker
from federation.delivery import Delivery
from federation.fanout_worker import fanout_worker
from federation.fetch import Fetcher
from federation.http import HttpClient
from federation.httpsig_common import HeaderInput
from federation.inbox import InboxWriter, Receipt, receive
from federation.instance import Instance, ensure_instance_actor
from federation.retry import DELIVERY_POLICY, RetryPolicy
from federation.worker import Worker
from storage import deliveries, inbox
from storage.db import Database, Row
from storage.ids import now_ms

log = logging.getLogger("atrium.federation")

LOCK_MS = 120_000              # a claim's lock: longer than any request's deadline
POLICY_RELOAD_SECONDS = 30.0   # how soon `atrium peers add` reaches a running process
INBOX_ITEMS_PER_TASK = 128     # inbox items per task: two rounds of federation.batch, one preparing while one commits
INBOX_MAX_CLAIM = 512          # inbox items claimed at once (their locks run while they wait for a task)
# After a claim that found less than it asked for, the next one waits this many times as long as
# that claim took (at most INBOX_RECLAIM_MAX_S), unless a task finishes first. Items queued behind
# an actor whose earlier items are being applied cannot be claimed, yet each claim still walks past
# them: during a one-actor flood every stored item would wake a claim that holds the write lock
# for a scan of the whole backlog.
INBOX_RECLAIM_FACTOR = 10
INBOX_RECLAIM_MAX_S = 0.5


class FederationRuntime:
    """Everything federation needs in one process, with one lifecycle."""

    def __init__(
        self,
        db: Database,
        instance: Instance,
        *,
        http: HttpClient | None = None,
        concurrency: int = 8,
        delivery_concurrency: int | None = None,
        poll_interval: float = 1.0,
        lock_ms: int = LOCK_MS,
        retry_policy: RetryPolicy = DELIVERY_POLICY,
        breaker_policy: BreakerPolicy | None = None,
    ) -> None:
        self.db = db
        self.instance = instance
        self.http = http or HttpClient(instance.policy, ca_file=instance.ca_file, user_agent=instance.user_agent)
        self.fetcher = Fetcher(db, instance, self.http)
        # A circuit opens for about as long as the first retry waits (settings may shorten both).
        breaker = CircuitBreaker(db, breaker_policy or BreakerPolicy(base_open=min(30.0, retry_policy.base)))
        self.delivery = Delivery(db, instance, self.http, breaker=breaker, retry_policy=retry_policy)
        self.inbox_writer = InboxWriter(db)
        self._prepare_slots = asyncio.Semaphore(PREPARE_SLOTS)   # shared by the inbox worker's tasks
        self._inbox_claim_after = 0.0   # monotonic time before which a new inbox claim would find nothing new
        self.lock_ms = lock_ms
        self.inbox_worker: Worker[list[Row]] = Worker(
            "inbox", self._claim_inbox, self._process, concurrency=concurrency, poll_interval=poll_interval
        )
        self.outbox_worker: Worker[Row] = Worker(
            "outbox", self._claim_outbox, self._expand, concurrency=2, poll_interval=poll_interval
        )
        self.delivery_worker: Worker[Row] = Worker(
            "delivery", self._claim_deliveries, self._deliver,
            concurrency=delivery_concurrency or max(concurrency * 4, 16), poll_interval=poll_interval,
            # A POST unanswered after half a second is waiting on a slow peer: it gives its slot
            # up, up to 256 such at once (each is bounded by the HTTP client's deadline).
            linger_after=0.5, max_lingering=256,
        )
        self.fanout_worker = fanout_worker(db, poll_interval=poll_interval)  # followers' home feeds
        self._reload_task: asyncio.Task[None] | None = None

    @property
    def workers(self) -> tuple[Worker[Any], ...]:
        return (self.inbox_worker, self.outbox_worker, self.delivery_worker, self.fanout_worker)

    async def start(self, *, run_workers: bool = True) -> None:
        """Load the policy and the instance actor; start the workers unless `run_workers` is False."""
        await self.instance.policy.reload(self.db)
        if self.instance.actor is None:
            await ensure_instance_actor(self.db, self.instance)
        self._reload_task = asyncio.create_task(self._reload_policy(), name="federation:policy")
        if run_workers:
            for worker in self.workers:
                worker.start()

    async def stop(self, grace: float = 10.0) -> None:
        """Stop the workers (running deliveries get `grace` seconds) and close the HTTP client."""
        if self._reload_task is not None:
            self._reload_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reload_task
            self._reload_task = None
        await asyncio.gather(*(worker.stop(grace) for worker in self.workers))
        await self.http.aclose()

    def wake_outbox(self) -> None:
        """Call after queueing outgoing activities (storage.outbox.enqueue) so they leave at once."""
        self.outbox_worker.wake()

    async def receive(
        self,
        method: str,
        path: str | bytes,
        query: str | bytes,
        headers: HeaderInput,
        body: bytes,
        recipient_account_id: int | None,
        *,
        now: datetime | None = None,
    ) -> Receipt:
        """The inbox POST handler's one call: see federation.inbox.receive (raises InboxError)."""
        return await receive(
            self.db, self.instance, method, path, query, headers, body, recipient_account_id,
            fetcher=self.fetcher, now=now, on_stored=self.inbox_worker.wake, writer=self.inbox_writer,
        )

    async def drain(self, *, rounds: int = 50) -> int:
        """Run every worker until nothing is due (tests, `make demo`); returns the rows handled."""
        total = 0
        self._inbox_claim_after = 0.0   # asked to look now: a pause after an empty claim does not apply
        for _ in range(rounds):
            handled = 0
            for worker in self.workers:
                handled += await worker.drain()
            total += handled
            if not handled:
                break
        return total

    # --- the workers' claim and handle functions -------------------------------------------------

    async def _claim_inbox(self, limit: int) -> list[list[Row]]:
        """Due items in units of about INBOX_ITEMS_PER_TASK; an actor's items all go to one unit, in order."""
        started = time.monotonic()
        if started < self._inbox_claim_after:
            # Look again once the pause is over (a finishing task ends it sooner).
            asyncio.get_running_loop().call_at(
                asyncio.get_running_loop().time() + self._inbox_claim_after - started, self.inbox_worker.wake
            )
            return []
        wanted = min(limit * INBOX_ITEMS_PER_TASK, INBOX_MAX_CLAIM)
        rows = await inbox.claim_due(self.db, now=now_ms(), lock_ms=self.lock_ms, limit=wanted)
        if len(rows) < wanted:
            took = time.monotonic() - started
            self._inbox_claim_after = started + took + min(took * INBOX_RECLAIM_FACTOR, INBOX_RECLAIM_MAX_S)
        groups: dict[str, list[Row]] = {}
        for row in rows:
            groups.setdefault(str(row["actor_uri"]), []).append(row)
        units: list[list[Row]] = [[]]
        for group in groups.values():
            if len(units[-1]) >= INBOX_ITEMS_PER_TASK:
                units.append([])
            units[-1].extend(group)
        return [unit for unit in units if unit]

    async def _process(self, group: list[Row]) -> None:
        # In rounds of independent items, each committed at once (federation.batch).
        try:
            await process_items(self.db, self.instance, self.fetcher, group, slots=self._prepare_slots)
        finally:
            self._inbox_claim_after = 0.0   # its actors' later items may be claimable now
        self.outbox_worker.wake()  # handlers may have queued an Accept or a Reject
        self.fanout_worker.wake()  # and stored posts whose followers' feeds are still to fill

    async def _claim_outbox(self, limit: int) -> list[Row]:
        return await deliveries.claim_outbox(self.db, now=now_ms(), lock_ms=self.lock_ms, limit=limit)

    async def _expand(self, row: Row) -> None:
        await self.delivery.expand(row)
        self.delivery_worker.wake()

    async def _claim_deliveries(self, limit: int) -> list[Row]:
        return await deliveries.claim_due(self.db, now=now_ms(), lock_ms=self.lock_ms, limit=limit)

    async def _deliver(self, row: Row) -> None:
        await self.delivery.deliver(row)

    async def _reload_policy(self) -> None:
        while True:
            await asyncio.sleep(POLICY_RELOAD_SECONDS)
            try:
                await self.instance.policy.reload(self.db)
            except Exception:
                log.exception("reloading the federation policy failed; keeping the previous one")

    def stats(self) -> dict[str, Any]:
        """Handled and failed counts per worker (for logs and health checks)."""
        return {w.name: {"handled": w.handled, "errors": w.errors, "busy": w.busy} for w in self.workers}


async def run_worker_process(
    db: Database, instance: Instance, stop: asyncio.Event, *, concurrency: int = 8, **options: Any
) -> None:
    """`atrium worker`: run the federation workers until `stop` is set, then stop gracefully.

    `options` are FederationRuntime's (lock_ms, retry_policy, …), as the web process passes them.
    """
    runtime = FederationRuntime(db, instance, concurrency=concurrency, **options)
    await runtime.start(run_workers=True)
    try:
        await stop.wait()
    finally:
        await runtime.stop()
