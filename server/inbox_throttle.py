"""A rate limit per peer instance on the inboxes: over its budget, an instance is answered 429 with
`Retry-After` (issue 6), which every ActivityPub server's delivery retries honour.

Only deliveries whose signature verified count, against the host of their key: a forger naming a
peer's key cannot use up that peer's budget. Once a host is over, its requests are refused before
the body is read or a signature checked, until its window ends. Counters live in this worker's
memory, like the client API's (server/api/ratelimit.py): with N workers a peer gets at most N
budgets, which is what a safety limit needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from federation.policy import domain_of

from .api.ratelimit import Budget, RateLimiter

# 3,000 deliveries a minute from one instance (50 a second, sustained) is far above what a company's
# instances send each other, and well below what would hurt. ATRIUM_INBOX_PEER_RATE_PER_MINUTE
# changes it (a hub instance relaying for many others, a benchmark).
DEFAULT_BUDGET = Budget(3000, 60)


def per_minute(deliveries: int) -> Budget:
    """The budget of `deliveries` verified inbox deliveries a minute per peer host."""
    return Budget(deliveries, 60)
_KEY_ID = re.compile(r'keyid\s*=\s*"([^"]{1,2048})"', re.IGNORECASE)


class InboxThrottle:
    """Per-host windows of verified deliveries, and the hosts currently over their budget."""

    def __init__(self, budget: Budget = DEFAULT_BUDGET) -> None:
        self.limiter = RateLimiter(budgets={"peer": budget})
        self._over: dict[str, float] = {}

    def retry_after(self, host: str) -> int | None:
        """Seconds until `host` may deliver again, or None when it may now."""
        until = self._over.get(host)
        if until is None:
            return None
        now = self.limiter.clock()
        if until <= now:
            del self._over[host]
            return None
        return max(1, int(until - now + 0.999))

    def count(self, host: str) -> None:
        """One verified delivery from `host`."""
        decision = self.limiter.hit("peer", host)
        if not decision.allowed or decision.remaining == 0:   # the budget is spent: the next one waits
            if len(self._over) > 10_000:
                self._over.clear()
            self._over[host] = decision.reset_at


def claimed_host(headers: Mapping[str, str]) -> str:
    """The host of the key a request says it is signed with (draft-cavage or RFC 9421), or ""."""
    raw = headers.get("signature-input") or headers.get("signature") or headers.get("authorization") or ""
    found = _KEY_ID.search(raw[:8192])
    return domain_of(found.group(1)) if found else ""
