"""The rate limiter: a budget per window, then refusals saying when to come back."""

from __future__ import annotations

from server.api.ratelimit import Budget, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_budget_is_spent_then_refused_until_the_window_ends() -> None:
    clock = Clock()
    limiter = RateLimiter(budgets={"token": Budget(3, 60)}, clock=clock)
    decisions = [limiter.hit("token", "t1") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[-1].retry_after(clock.now) == 20   # the window started at 999960, ends at 1000020
    assert limiter.hit("token", "t2").allowed   # other keys are not affected
    clock.now += 60
    assert limiter.hit("token", "t1").allowed


def test_headers_say_the_limit_the_rest_and_when_it_resets() -> None:
    limiter = RateLimiter(budgets={"ip": Budget(10, 300)}, clock=lambda: 1_700_000_100.0)
    headers = limiter.hit("ip", "10.0.0.1").headers()
    assert headers["X-RateLimit-Limit"] == "10" and headers["X-RateLimit-Remaining"] == "9"
    assert headers["X-RateLimit-Reset"].endswith(".000Z")


def test_memory_stays_bounded_under_a_flood_of_keys() -> None:
    clock = Clock()
    limiter = RateLimiter(budgets={"ip": Budget(10, 60)}, clock=clock, _max_keys=100)
    for i in range(1000):
        limiter.hit("ip", f"10.0.{i // 256}.{i % 256}")
    assert len(limiter._windows) <= 100
