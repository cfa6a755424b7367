"""A simple fixed-window rate limiter, per web worker, with Mastodon's default budgets.

Mastodon allows 300 API calls per 5 minutes per account and 7,500 per IP, 30 media uploads per
30 minutes, and answers 429 with `X-RateLimit-*` headers (and we add `Retry-After`). Counters live in
the worker's memory: with N workers a client gets at most N times the budget, which is what a
safety limit needs; exact global quotas would cost a database write per request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Budget:
    limit: int
    period: int   # seconds


DEFAULT_BUDGETS: dict[str, Budget] = {
    "token": Budget(300, 300),
    "ip": Budget(7500, 300),
    "media": Budget(30, 1800),
    "statuses": Budget(300, 10800),
    "sign_in": Budget(25, 300),
    "apps": Budget(30, 300),
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float        # epoch seconds when the window ends

    def retry_after(self, now: float) -> int:
        return max(1, int(self.reset_at - now + 0.999))

    def headers(self) -> dict[str, str]:
        reset = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(self.reset_at))
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Reset": reset}


@dataclass
class RateLimiter:
    budgets: dict[str, Budget] = field(default_factory=lambda: dict(DEFAULT_BUDGETS))
    clock: Callable[[], float] = time.time
    _windows: dict[tuple[str, str], tuple[float, int]] = field(default_factory=dict)
    _max_keys: int = 100_000

    def hit(self, kind: str, key: str) -> Decision:
        """Count one request of `kind` by `key` and say whether it is allowed."""
        budget = self.budgets[kind]
        now = self.clock()
        start = now - now % budget.period
        window_start, count = self._windows.get((kind, key), (start, 0))
        if window_start != start:
            count = 0
        count += 1
        if len(self._windows) >= self._max_keys:
            self._evict(now)
        self._windows[(kind, key)] = (start, count)
        remaining = max(0, budget.limit - count)
        return Decision(count <= budget.limit, budget.limit, remaining, start + budget.period)

    def _evict(self, now: float) -> None:
        """Forget windows that have ended (bounded memory under a flood of distinct keys)."""
        for (kind, key), (start, _) in list(self._windows.items()):
            if start + self.budgets[kind].period <= now:
                del self._windows[(kind, key)]
        if len(self._windows) >= self._max_keys:
            self._windows.clear()
