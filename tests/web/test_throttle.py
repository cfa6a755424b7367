"""Sign-in throttling windows."""

from __future__ import annotations

from server.web.throttle import Limiter, SignInThrottle


def test_limiter_allows_up_to_the_limit_then_waits_for_the_window() -> None:
    limiter = Limiter(limit=3, window=60)
    for t in (0.0, 1.0, 2.0):
        assert limiter.retry_after("k", t) == 0
        limiter.hit("k", t)
    assert limiter.retry_after("k", 3.0) == 58
    assert limiter.retry_after("k", 60.5) == 0   # the first hit left the window


def test_success_resets_the_account_but_not_the_address() -> None:
    throttle = SignInThrottle(per_ip=Limiter(limit=3, window=60), per_account=Limiter(limit=2, window=60))
    throttle.failed("10.0.0.1", "Alice")
    throttle.failed("10.0.0.1", "alice")
    assert throttle.retry_after("10.0.0.9", "ALICE") > 0     # per account, whatever the case or address
    throttle.succeeded("alice")
    assert throttle.retry_after("10.0.0.9", "alice") == 0
    throttle.failed("10.0.0.1", "bob")
    assert throttle.retry_after("10.0.0.1", "carol") > 0      # the address made three failures
