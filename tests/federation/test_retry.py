"""federation.retry: the retry policy as a pure function, with property tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from hypothesis import given
from hypothesis import strategies as st

from federation.retry import DELIVERY_POLICY, INBOX_POLICY, backoff, classify, decide, parse_retry_after

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def statuses() -> st.SearchStrategy[int | None]:
    return st.one_of(st.none(), st.integers(min_value=100, max_value=599))


def attempts() -> st.SearchStrategy[int]:
    return st.integers(min_value=1, max_value=10_000)


def fractions() -> st.SearchStrategy[float]:
    return st.floats(min_value=0.0, max_value=1.0, exclude_max=True)


def test_answers_are_classified_as_mastodon_does() -> None:
    assert classify(200) == classify(202) == "done"
    assert classify(410) == "gone"
    for retried in (None, 401, 408, 429, 500, 502, 503, 504):
        assert classify(retried) == "retry"
    for final in (400, 403, 404, 405, 413, 422, 301):
        assert classify(final) == "give_up"


@given(attempt=attempts(), rand=fractions())
def test_every_wait_is_positive_and_bounded(attempt: int, rand: float) -> None:
    delay = backoff(attempt, rand)
    assert 1.0 <= delay <= DELIVERY_POLICY.cap * (1 + DELIVERY_POLICY.jitter)


@given(attempt=st.integers(min_value=1, max_value=60), rand=fractions())
def test_waits_never_shrink_as_attempts_grow(attempt: int, rand: float) -> None:
    assert backoff(attempt + 1, rand) >= backoff(attempt, rand)


@given(status=statuses(), attempt=attempts(), elapsed=st.floats(min_value=0, max_value=10 * 86400), rand=fractions())
def test_a_retry_never_goes_past_two_days(status: int | None, attempt: int, elapsed: float, rand: float) -> None:
    decision = decide(status=status, attempt=attempt, elapsed=elapsed, now=NOW, rand=rand)
    if decision.kind == "retry":
        assert decision.delay is not None and decision.delay > 0
        assert elapsed + decision.delay <= DELIVERY_POLICY.max_elapsed
    else:
        assert decision.delay is None


@given(status=st.sampled_from([None, 500, 503, 429]), attempt=attempts(), rand=fractions())
def test_after_two_days_of_failures_we_give_up(status: int | None, attempt: int, rand: float) -> None:
    assert decide(status=status, attempt=attempt, elapsed=2 * 86400, now=NOW, rand=rand).kind == "give_up"


@given(seconds=st.integers(min_value=1, max_value=6 * 3600), rand=fractions())
def test_retry_after_is_honoured(seconds: int, rand: float) -> None:
    for status in (429, 503):
        decision = decide(status=status, attempt=1, elapsed=0, retry_after=str(seconds), now=NOW, rand=rand)
        assert decision.kind == "retry" and decision.delay == max(1.0, float(seconds))


def test_retry_after_as_a_date_and_garbage() -> None:
    later = format_datetime(NOW + timedelta(seconds=120), usegmt=True)
    assert parse_retry_after(later, NOW) == 120.0
    assert parse_retry_after("yesterday-ish", NOW) is None
    assert parse_retry_after("", NOW) is None
    assert parse_retry_after("99999999999999999999", NOW) == 10.0**9


def test_a_huge_retry_after_is_capped_and_may_end_the_retries() -> None:
    capped = decide(status=429, attempt=1, elapsed=0, retry_after=str(10**8), now=NOW)
    assert capped.kind == "retry" and capped.delay == DELIVERY_POLICY.max_retry_after
    late = decide(status=429, attempt=3, elapsed=2 * 86400 - 60, retry_after="3600", now=NOW)
    assert late.kind == "give_up"


def test_a_peer_down_for_good_is_given_up_on_after_about_two_days() -> None:
    # Given a delivery that fails every time, with median jitter
    elapsed, attempt = 0.0, 0
    while True:
        attempt += 1
        decision = decide(status=None, attempt=attempt, elapsed=elapsed, now=NOW, rand=0.5)
        if decision.kind != "retry":
            break
        assert decision.delay is not None
        elapsed += decision.delay
    # Then it was tried for between a day and a half and two days, a reasonable number of times
    assert 1.5 * 86400 <= elapsed <= 2 * 86400
    assert 10 <= attempt <= 30


def test_inbox_items_retry_sooner_and_stop_sooner() -> None:
    assert backoff(1, 0.5, INBOX_POLICY) < backoff(1, 0.5, DELIVERY_POLICY)
    assert decide(status=None, attempt=5, elapsed=86400, now=NOW, policy=INBOX_POLICY).kind == "give_up"
