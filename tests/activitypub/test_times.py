"""Timestamps: every form peers send is read as aware UTC; we write one form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from activitypub.times import format_datetime, parse_datetime


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-05-10T09:03:36Z", datetime(2019, 5, 10, 9, 3, 36, tzinfo=UTC)),
        ("2019-09-05T05:35:32.541Z", datetime(2019, 9, 5, 5, 35, 32, 541000, tzinfo=UTC)),
        ("2021-03-01T13:42:43.966208Z", datetime(2021, 3, 1, 13, 42, 43, 966208, tzinfo=UTC)),
        ("2017-12-19T16:56:29.7576707+00:00", datetime(2017, 12, 19, 16, 56, 29, 757670, tzinfo=UTC)),
        ("2020-09-14T14:54:53+02:00", datetime(2020, 9, 14, 12, 54, 53, tzinfo=UTC)),
        # no zone at all (Pleroma's poll "closed", Plume): taken as UTC
        ("2019-09-19T00:32:36.785333", datetime(2019, 9, 19, 0, 32, 36, 785333, tzinfo=UTC)),
        ("2019-06-27 18:13:45", datetime(2019, 6, 27, 18, 13, 45, tzinfo=UTC)),  # Hubzilla "created"
        ({"@value": "2019-05-10T09:03:36Z"}, datetime(2019, 5, 10, 9, 3, 36, tzinfo=UTC)),
    ],
)
def test_parse_datetime_reads_peer_forms(value, expected):
    parsed = parse_datetime(value)
    assert parsed == expected
    assert parsed is not None
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    [None, "", "yesterday", "2019-13-45T00:00:00Z", "20190101", 1557478416, True, ["2019-05-10"], "9" * 1000],
)
def test_parse_datetime_gives_none_for_junk(value):
    assert parse_datetime(value) is None


def test_extreme_years_do_not_overflow():
    assert parse_datetime("0001-01-01T00:00:00+01:00") is None
    assert parse_datetime("9999-12-31T23:59:59-01:00") is None
    assert parse_datetime("0001-01-01T00:00:00Z") == datetime(1, 1, 1, tzinfo=UTC)


def test_format_datetime_is_second_precision_utc_with_z():
    moment = datetime(2024, 2, 29, 23, 30, 5, 999999, tzinfo=timezone(timedelta(hours=-2)))
    assert format_datetime(moment) == "2024-03-01T01:30:05Z"
    assert format_datetime(datetime(5, 1, 2, tzinfo=UTC)) == "0005-01-02T00:00:00Z"


def test_format_datetime_refuses_naive_times():
    with pytest.raises(ValueError, match="aware"):
        format_datetime(datetime(2024, 1, 1))


@given(st.datetimes(timezones=st.just(UTC)))
def test_format_then_parse_round_trips_to_the_second(moment):
    assert parse_datetime(format_datetime(moment)) == moment.replace(microsecond=0)


@given(st.text(max_size=80))
def test_parse_datetime_never_raises(value):
    result = parse_datetime(value)
    assert result is None or result.tzinfo is UTC
