"""Sign-in throttling: failed attempts counted per IP and per account in a sliding window.

In memory, per process: enough to make password guessing slow (OWASP's advice is to limit per
account and per source); with several workers each keeps its own count, which only multiplies the
allowance by the number of workers.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class Limiter:
    """At most `limit` events per `window` seconds per key."""

    limit: int
    window: float
    _events: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if not events:
            self._events.pop(key, None)
        if len(self._events) > 100_000:   # bound memory under a flood of distinct keys
            self._events.clear()
        return events

    def retry_after(self, key: str, now: float | None = None) -> int:
        """Seconds to wait before `key` may try again; 0 when it may try now."""
        now = time.monotonic() if now is None else now
        events = self._recent(key, now)
        if len(events) < self.limit:
            return 0
        return max(1, int(events[0] + self.window - now) + 1)

    def hit(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._recent(key, now)
        self._events.setdefault(key, deque()).append(now)

    def reset(self, key: str) -> None:
        self._events.pop(key, None)


@dataclass
class SignInThrottle:
    per_ip: Limiter = field(default_factory=lambda: Limiter(limit=20, window=300))
    per_account: Limiter = field(default_factory=lambda: Limiter(limit=5, window=300))

    def retry_after(self, ip: str, username: str) -> int:
        return max(self.per_ip.retry_after(ip), self.per_account.retry_after(username.lower()))

    def failed(self, ip: str, username: str) -> None:
        self.per_ip.hit(ip)
        self.per_account.hit(username.lower())

    def succeeded(self, username: str) -> None:
        self.per_account.reset(username.lower())
