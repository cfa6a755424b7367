"""A per-host circuit breaker, kept in the `hosts` table so every worker process shares it.

Closed: requests flow. After `threshold` consecutive failures (no answer, 5xx) the circuit opens
for a while, growing with further failures; deliveries to that host wait instead of hammering it.
When the wait is over, one request goes through as a probe: success closes the circuit, failure
opens it again for longer.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage import hosts
from storage.db import Executor


@dataclass(frozen=True)
class BreakerPolicy:
    """Thresholds and waits (seconds)."""

    threshold: int = 5
    base_open: float = 30.0
    max_open: float = 3600.0
    probe_timeout: float = 120.0   # how long a probe may take before another one is allowed

    def open_for(self, failures: int) -> float:
        """How long the circuit stays open after `failures` consecutive failures (0 below threshold)."""
        if failures < self.threshold:
            return 0.0
        return min(self.base_open * 2.0 ** min(failures - self.threshold, 32), self.max_open)


class CircuitBreaker:
    """The breaker of every host, backed by the database."""

    def __init__(self, db: Executor, policy: BreakerPolicy | None = None) -> None:
        self.db = db
        self.policy = policy or BreakerPolicy()
        # Hosts that answered this process within the last second: their circuit is closed, and
        # the row already says so (record_success writes at most once a second anyway). Asking the
        # database again before every delivery cost a read and a write per delivery in a fan-out.
        # A failure seen here forgets the host at once; one seen by another process is heard
        # within the second.
        self._answered_until: dict[str, int] = {}

    async def allow(self, host: str, now_ms: int) -> str | None:
        """May a request to `host` go out now? "closed" (yes), "probe" (yes, as the probe), None (wait)."""
        if self._answered_until.get(host, 0) > now_ms:
            return "closed"
        return await hosts.try_probe(
            self.db,
            host,
            now=now_ms,
            threshold=self.policy.threshold,
            probe_until=now_ms + int(self.policy.probe_timeout * 1000),
        )

    async def retry_at(self, host: str, now_ms: int) -> int:
        """When a request refused by `allow` should be tried again (ms)."""
        row = await hosts.get(self.db, host)
        until = int(row["circuit_open_until"] or 0) if row is not None else 0
        return max(until, now_ms + 1000)

    async def record_success(self, host: str, now_ms: int) -> None:
        if self._answered_until.get(host, 0) > now_ms:
            return   # recorded less than a second ago, and no failure since
        await hosts.record_success(self.db, host, now=now_ms)
        if len(self._answered_until) > 10_000:
            self._answered_until.clear()
        self._answered_until[host] = now_ms + 1000

    async def record_failure(self, host: str, now_ms: int, *, probe: bool = False) -> int | None:
        """Count a failure; returns when the circuit reopens to a probe (ms) if this failure opened it."""
        self._answered_until.pop(host, None)
        failures = await hosts.record_failure(self.db, host, now=now_ms, probe=probe)
        wait = self.policy.open_for(failures or 0)
        if wait <= 0:
            return None
        until = now_ms + int(wait * 1000)
        await hosts.open_circuit(self.db, host, until=until)
        return until
