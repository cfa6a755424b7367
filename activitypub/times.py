"""Reading and writing ActivityStreams timestamps (xsd:dateTime)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from activitypub.values import unwrap_value

# Longer than any real timestamp ("2017-12-19T16:56:29.7576707+00:00" is 33).
_MAX_TIMESTAMP_LENGTH = 64


def parse_datetime(value: Any) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string; ``None`` if missing or unreadable.

    Peers send ``Z`` or an offset, 0 to 7 fractional digits, and sometimes no
    zone at all (Plume, old Pleroma): a naive time is taken as UTC.
    """
    value = unwrap_value(value)
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_TIMESTAMP_LENGTH:
        return None
    candidate = value.strip()
    if "T" not in candidate and " " not in candidate and len(candidate) != 10:
        return None  # refuse "20190101"-style basic forms fromisoformat would guess at
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 with a positive offset, year 9999 with a negative one
        return None


def format_datetime(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC, the form Mastodon sends; ``moment`` must be aware."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("format_datetime needs an aware datetime")
    utc = moment.astimezone(UTC)
    # Not strftime: glibc does not zero-pad %Y before year 1000.
    return f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
