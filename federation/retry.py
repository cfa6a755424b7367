"""When to try a failed delivery (or inbox item) again: a pure function of what happened.

Exponential backoff with jitter, giving up once about two days have passed since the first try;
`Retry-After` is honoured; 410 Gone means the recipient is gone for good; other 4xx answers,
except 401 (a key the peer has not refetched yet), 408 and 429, will not get better by waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

Kind = Literal["done", "retry", "give_up", "gone"]

RETRYABLE_4XX = frozenset({401, 408, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff parameters, in seconds."""

    base: float = 30.0                # first retry after about this long
    factor: float = 2.0
    cap: float = 6 * 3600.0           # no single wait is longer
    jitter: float = 0.25              # each wait is scaled by a random factor in [1 - j, 1 + j]
    max_elapsed: float = 2 * 86400.0  # give up once the next try would be later than this after the first
    max_retry_after: float = 6 * 3600.0


DELIVERY_POLICY = RetryPolicy()
# Inbox items fail on fetches (an unreachable parent post, a peer's hiccup): retry sooner, stop sooner.
INBOX_POLICY = RetryPolicy(base=10.0, cap=3600.0, max_elapsed=86400.0)


@dataclass(frozen=True)
class Decision:
    """What to do after an attempt: `delay` (seconds) is set only for `retry`."""

    kind: Kind
    delay: float | None = None
    reason: str = ""


def classify(status: int | None) -> Kind:
    """The kind of an answer, ignoring time: None means no answer (network error, timeout)."""
    if status is None:
        return "retry"
    if 200 <= status < 300:
        return "done"
    if status == 410:
        return "gone"
    if status >= 500 or status in RETRYABLE_4XX:
        return "retry"
    # Other 4xx, and 1xx/3xx (a signed POST is never redirected): waiting will not help.
    return "give_up"


def backoff(attempt: int, rand: float, policy: RetryPolicy = DELIVERY_POLICY) -> float:
    """The wait after the `attempt`-th failure (1-based); `rand` in [0, 1) picks the jitter."""
    attempt = max(1, attempt)
    # Cap the exponent so huge attempt numbers cannot overflow a float.
    raw = policy.base * policy.factor ** min(attempt - 1, 64)
    scale = 1.0 + policy.jitter * (2.0 * min(max(rand, 0.0), 1.0) - 1.0)
    return max(1.0, min(raw, policy.cap) * scale)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(min(int(value[:12]), 10**9))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


def decide(
    *,
    status: int | None,
    attempt: int,
    elapsed: float,
    retry_after: str | None = None,
    now: datetime | None = None,
    rand: float = 0.5,
    policy: RetryPolicy = DELIVERY_POLICY,
) -> Decision:
    """What to do after the `attempt`-th try, `elapsed` seconds after the first one."""
    kind = classify(status)
    if kind != "retry":
        return Decision(kind, reason=f"HTTP {status}" if status is not None else "")
    delay = backoff(attempt, rand, policy)
    asked = parse_retry_after(retry_after, now or datetime.now(UTC))
    if asked is not None:
        # The peer knows best when it can take more, within reason.
        delay = max(delay if status not in (429, 503) else 1.0, min(asked, policy.max_retry_after))
    if elapsed + delay > policy.max_elapsed:
        return Decision("give_up", reason=f"still failing after {elapsed / 3600:.1f} h")
    return Decision("retry", delay=delay, reason=f"HTTP {status}" if status is not None else "no answer")
