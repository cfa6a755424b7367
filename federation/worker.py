"""A small generic worker: claim due rows, run up to N handlers at once, stop gracefully.

The rows live in the database (storage.claims): a claim locks them until an expiry, so a worker
that dies loses nothing (its rows become claimable again) and a handler that raises simply
leaves its row to be retried. The same class runs inside `atrium serve` and in `atrium worker`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

log = logging.getLogger("atrium.federation.worker")

Claim = Callable[[int], Awaitable[Sequence[T]]]
Handle = Callable[[T], Awaitable[None]]


class Worker(Generic[T]):
    """Claims up to `concurrency` rows at a time with `claim(n)` and runs `handle(row)` on each."""

    def __init__(
        self,
        name: str,
        claim: Claim[T],
        handle: Handle[T],
        *,
        concurrency: int = 8,
        poll_interval: float = 1.0,
        linger_after: float | None = None,
        max_lingering: int = 0,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.name = name
        self._claim = claim
        self._handle = handle
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        # A handler still running after `linger_after` seconds stops holding one of the
        # `concurrency` slots (up to `max_lingering` such handlers at once): a delivery waiting on
        # a slow peer is only waiting, and must not keep the healthy peers' deliveries queued
        # behind it (head-of-line blocking).
        self.linger_after = linger_after
        self.max_lingering = max_lingering
        self._lingering: set[asyncio.Task[None]] = set()
        self._running: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self.handled = 0
        self.errors = 0

    @property
    def busy(self) -> int:
        """Handlers running now."""
        return len(self._running)

    @property
    def lingering(self) -> int:
        """Handlers running so long that they no longer hold a slot."""
        return len(self._lingering)

    def start(self) -> None:
        """Start the loop in the background (idempotent)."""
        if self._loop_task is None or self._loop_task.done():
            self._stopping = False
            self._loop_task = asyncio.create_task(self._loop(), name=f"worker:{self.name}")

    def wake(self) -> None:
        """New work may be due: look now rather than at the next poll."""
        self._wake.set()

    async def stop(self, grace: float = 10.0) -> None:
        """Stop claiming, let running handlers finish for up to `grace` seconds, cancel the rest.

        A cancelled handler's row is not lost: its lock expires and another worker takes it.
        """
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        if self._running:
            _done, pending = await asyncio.wait(set(self._running), timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    async def run_once(self) -> int:
        """Claim one batch, handle it all, return how many rows were handled (tests, `drain`)."""
        batch = await self._claim(self.concurrency)
        await asyncio.gather(*(self._run(row) for row in batch))
        return len(batch)

    async def drain(self, *, max_batches: int = 10_000) -> int:
        """Handle everything that is due, batch after batch, until nothing is; returns the count."""
        total = 0
        for _ in range(max_batches):
            handled = await self.run_once()
            if not handled:
                break
            total += handled
        return total

    async def _loop(self) -> None:
        failures = 0
        while not self._stopping:
            free = self.concurrency - (len(self._running) - len(self._lingering))
            claimed = 0
            if free > 0:
                try:
                    batch = await self._claim(free)
                    failures = 0
                except Exception:
                    # The database may be briefly unavailable: back off, never die.
                    failures += 1
                    log.exception("%s: claiming work failed", self.name)
                    await self._sleep(min(self.poll_interval * 2**failures, 30.0))
                    continue
                claimed = len(batch)
                for row in batch:
                    task = asyncio.create_task(self._run(row))
                    self._running.add(task)
                    task.add_done_callback(self._finished)
                    if self.linger_after is not None and self.max_lingering > 0:
                        timer = asyncio.get_running_loop().call_later(self.linger_after, self._linger, task)
                        task.add_done_callback(lambda _task, timer=timer: timer.cancel())
            if claimed and claimed == free:
                continue  # there may be more right away
            await self._sleep(self.poll_interval)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    def _linger(self, task: asyncio.Task[None]) -> None:
        if task in self._running and len(self._lingering) < self.max_lingering:
            self._lingering.add(task)
            self._wake.set()  # its slot is free for another row

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._lingering.discard(task)
        self._wake.set()  # a slot is free

    async def _run(self, row: T) -> None:
        try:
            await self._handle(row)
            self.handled += 1
        except asyncio.CancelledError:
            raise
        except Exception:
            self.errors += 1
            log.exception("%s: handler failed; the row will be retried when its lock expires", self.name)
