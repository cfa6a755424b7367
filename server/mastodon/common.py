"""What every entity needs: times in Mastodon's format, the render context, visibility mapping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from activitypub.urls import Urls

# Atrium's audiences as Mastodon clients know them (they only know these four): `company` and
# `local` posts can be boosted within their audience, so they read as "unlisted"; the exact
# audience travels in the `atrium.audience` extension, and `local_only` marks local posts as
# GoToSocial and Hometown do.
VISIBILITY_OUT = {
    "public": "public",
    "unlisted": "unlisted",
    "followers": "private",
    "direct": "direct",
    "company": "unlisted",
    "local": "unlisted",
}
# What clients may send: Mastodon's four, and Atrium's two.
VISIBILITY_IN = {
    "public": "public",
    "unlisted": "unlisted",
    "private": "followers",
    "direct": "direct",
    "company": "company",
    "local": "local",
}


@dataclass(frozen=True)
class RenderContext:
    """Who is looking and where we are: enough to build every URL and per-viewer flag."""

    urls: Urls
    domain: str
    viewer_id: int | None = None
    now_ms: int = 0


def iso(ms: int | None) -> str | None:
    """Milliseconds since the epoch → `2024-05-01T09:30:00.123Z` (Mastodon's `as_json`)."""
    if ms is None:
        return None
    moment = datetime.fromtimestamp(int(ms) / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_midnight(ms: int | None) -> str | None:
    """The day of `ms` at 00:00 UTC (Mastodon rounds account creation times to the day)."""
    if ms is None:
        return None
    day = datetime.fromtimestamp(int(ms) / 1000, tz=UTC).strftime("%Y-%m-%d")
    return f"{day}T00:00:00.000Z"


def iso_date(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC).strftime("%Y-%m-%d")


def sid(value: int | str | None) -> str | None:
    return None if value is None else str(value)
