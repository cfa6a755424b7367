"""federation.breaker: a dead peer is left alone for a while, then probed by exactly one request."""

from __future__ import annotations

from federation.breaker import BreakerPolicy, CircuitBreaker
from storage.db import SQLiteDatabase

POLICY = BreakerPolicy(threshold=3, base_open=10.0, max_open=100.0, probe_timeout=5.0)


def test_the_circuit_opens_at_the_threshold_and_the_wait_grows_to_a_cap() -> None:
    assert [POLICY.open_for(n) for n in (1, 2, 3, 4, 5, 10, 1000)] == [0, 0, 10, 20, 40, 100, 100]


async def test_failures_open_the_circuit_and_one_probe_closes_it(db: SQLiteDatabase) -> None:
    breaker = CircuitBreaker(db, POLICY)
    # Given a host failing three times in a row
    assert await breaker.record_failure("lyon.example", 0) is None
    assert await breaker.record_failure("lyon.example", 1) is None
    reopen = await breaker.record_failure("lyon.example", 2)
    # Then its circuit is open: nothing passes until the wait is over
    assert reopen == 2 + 10_000
    assert not await breaker.allow("lyon.example", 5_000)
    assert await breaker.retry_at("lyon.example", 5_000) == reopen
    # When the wait is over, one request probes; others wait for its result
    assert await breaker.allow("lyon.example", reopen) == "probe"
    assert not await breaker.allow("lyon.example", reopen + 1)
    # And a successful probe closes the circuit for everyone
    await breaker.record_success("lyon.example", reopen + 100)
    assert await breaker.allow("lyon.example", reopen + 101) == "closed"
    assert await breaker.allow("montreal.example", 0) == "closed"


async def test_a_failed_probe_reopens_the_circuit_for_longer(db: SQLiteDatabase) -> None:
    breaker = CircuitBreaker(db, POLICY)
    for t in range(3):
        await breaker.record_failure("lyon.example", t)
    assert await breaker.allow("lyon.example", 10_002) == "probe"
    reopen = await breaker.record_failure("lyon.example", 10_500, probe=True)
    assert reopen == 10_500 + 20_000
    assert not await breaker.allow("lyon.example", 20_000)


async def test_failures_of_requests_already_in_flight_do_not_lengthen_the_wait(db: SQLiteDatabase) -> None:
    # Given a circuit just opened by the third failure
    breaker = CircuitBreaker(db, POLICY)
    for t in range(3):
        await breaker.record_failure("lyon.example", t)
    # When twenty more requests that were already under way fail
    for t in range(20):
        assert await breaker.record_failure("lyon.example", 100 + t) is None
    # Then the circuit still reopens to a probe after the first wait, not hours later
    assert await breaker.allow("lyon.example", 2 + 10_000) == "probe"


async def test_a_probe_that_never_reports_back_lets_another_probe_through(db: SQLiteDatabase) -> None:
    breaker = CircuitBreaker(db, POLICY)
    for t in range(3):
        await breaker.record_failure("lyon.example", t)
    assert await breaker.allow("lyon.example", 10_002)
    assert not await breaker.allow("lyon.example", 10_002 + 4_999)
    assert await breaker.allow("lyon.example", 10_002 + 5_000)


async def test_a_host_that_just_answered_is_not_asked_about_again_for_a_second(db: SQLiteDatabase) -> None:
    # Given two worker processes' breakers on one database, and lyon answering the first one
    here, there = CircuitBreaker(db, POLICY), CircuitBreaker(db, POLICY)
    await here.record_success("lyon.example", 1_000)
    # When the other process sees lyon fail enough to open its circuit
    for t in range(3):
        await there.record_failure("lyon.example", 1_010 + t)
    assert not await there.allow("lyon.example", 1_100)
    # Then this process, which saw lyon answer, keeps sending for at most a second...
    assert await here.allow("lyon.example", 1_500) == "closed"
    # ...and after it, reads the open circuit like everyone else
    assert not await here.allow("lyon.example", 2_001)
    # A failure this process sees itself forgets the answer at once
    await here.record_success("montreal.example", 5_000)
    for t in range(3):
        await here.record_failure("montreal.example", 5_010 + t)
    assert not await here.allow("montreal.example", 5_020)
