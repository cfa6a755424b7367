"""What both HTTP signature schemes share: the error, the parsed form, headers, time and base64.

Nothing here knows a web framework: a request is a method, a raw path, a raw
query string, its headers and its exact body bytes.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

# SECURITY-CASES 11: a signature dated more than an hour away from our clock either way is refused.
# Mastodon allows created + 12 h when `expires` says so; we keep the one-hour bound everywhere.
MAX_AGE = timedelta(hours=1)
CLOCK_SKEW = timedelta(hours=1)  # Mastodon's CLOCK_SKEW_MARGIN, applied to `expires` too

# Real signature headers are a few hundred bytes; refusing monsters early bounds parsing work.
MAX_HEADER_LENGTH = 8192

_DEFAULT_PORTS = {"http": 80, "https": 443}

HeaderInput = Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]]


class SignatureError(Exception):
    """A request whose signature cannot be accepted, with the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def refuse(message: str) -> SignatureError:
    """The 401 every malformed, unsigned, stale or forged request gets."""
    return SignatureError(401, message)


@dataclass(frozen=True, slots=True)
class ParsedSignature:
    """Everything needed to check one signature once the signer's public key is known."""

    scheme: str  # "cavage" or "rfc9421"
    key_id: str
    algorithm: str | None  # an RFC 9421 registry name, or None: decided by the key type
    signature: bytes
    signing_strings: tuple[bytes, ...]  # any one verifying is a success
    covered: tuple[str, ...]  # lowercased header names / component identifiers, in order
    created: datetime | None
    label: str | None = None  # RFC 9421 only


@dataclass(frozen=True, slots=True)
class VerifiedRequest:
    """A request whose signature verified with the key ``key_id`` designates."""

    key_id: str
    scheme: str
    algorithm: str
    covered: tuple[str, ...]
    created: datetime | None
    public_key_pem: str
    refreshed: bool  # True when only the re-fetched key verified (the peer rotated its key)


class Headers:
    """Case-insensitive, multi-valued request headers in the form signatures need.

    Values are ``str``; bytes (ASGI) are decoded as Latin-1 so that
    ``to_wire_bytes`` gives back exactly what was on the wire.
    """

    __slots__ = ("_values",)

    def __init__(self, headers: HeaderInput | Headers) -> None:
        if isinstance(headers, Headers):
            self._values: dict[str, list[str]] = headers._values
            return
        # A list (ASGI's headers) skips the Mapping check: an ABC isinstance is slow, and this runs
        # for every inbox request.
        pairs = headers if type(headers) is list else headers.items() if isinstance(headers, Mapping) else headers
        values: dict[str, list[str]] = {}
        for name, value in pairs:
            key = (name.decode("latin-1") if isinstance(name, bytes) else str(name)).lower()
            text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            found = values.get(key)
            if found is None:
                values[key] = [text]
            else:
                found.append(text)
        self._values = values

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._values

    def get(self, name: str) -> str | None:
        """All values of ``name``, each stripped, joined by ", " (RFC 9110 5.3, cavage-12 2.3)."""
        found = self._values.get(name.lower())
        if found is None:
            return None
        if len(found) == 1:
            return found[0].strip(" \t")
        return ", ".join(value.strip(" \t") for value in found)

    def count(self, name: str) -> int:
        """How many field lines carry ``name``."""
        return len(self._values.get(name.lower(), ()))


def to_wire_bytes(text: str) -> bytes:
    """The bytes a signing string stands for: Latin-1 when it fits (the wire view), else UTF-8."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        # surrogatepass: a str from a careless caller must not raise anything but SignatureError.
        return text.encode("utf-8", "surrogatepass")


def decode_base64(value: str, what: str) -> bytes:
    """Strict, canonical standard base64 (padding may be omitted); SignatureError otherwise.

    Canonical means re-encoding gives the same text, so two different header
    values never stand for the same signature bytes.
    """
    text = value.strip()
    if not text or len(text) > MAX_HEADER_LENGTH:
        raise refuse(f"empty or oversized {what}")
    padded = text + "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(padded.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise refuse(f"{what} is not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != padded:
        raise refuse(f"{what} is not canonical base64")
    return raw


_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_LONG_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH = r"(?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_TIME = r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})"
# RFC 9110 section 5.6.7: recipients accept IMF-fixdate and the two obsolete forms.
_HTTP_DATES = (
    re.compile(rf"{_DAY}, (?P<day>[0-9]{{2}}) {_MONTH} (?P<year>[0-9]{{4}}) {_TIME} GMT"),
    re.compile(rf"{_LONG_DAY}, (?P<day>[0-9]{{2}})-{_MONTH}-(?P<year>[0-9]{{2}}) {_TIME} GMT"),
    re.compile(rf"{_DAY} {_MONTH} (?P<day>[ 0-9][0-9]) {_TIME} (?P<year>[0-9]{{4}})"),
)


@lru_cache(maxsize=256)
def parse_http_date(value: str) -> datetime:
    """An aware UTC datetime from an HTTP-date; SignatureError(401) when unreadable.

    Cached: requests arriving in the same second carry the same Date (a failure is not cached)."""
    text = value.strip()
    for pattern in _HTTP_DATES:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        year = int(match["year"])
        if year < 100:  # RFC 850 two-digit year: RFC 9110 says read it as the nearest past century
            year += 1900 if year >= 70 else 2000
        try:
            return datetime(
                year,
                _MONTHS[match["month"]],
                int(match["day"]),
                int(match["hour"]),
                int(match["minute"]),
                int(match["second"]),
                tzinfo=UTC,
            )
        except ValueError:
            break
    raise refuse(f"unreadable Date header {text[:64]!r}")


def format_http_date(moment: datetime) -> str:
    """IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") in UTC; a naive time is taken as UTC."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    day = "Mon Tue Wed Thu Fri Sat Sun".split()[utc.weekday()]
    month = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()[utc.month - 1]
    return f"{day}, {utc.day:02d} {month} {utc.year:04d} {utc.hour:02d}:{utc.minute:02d}:{utc.second:02d} GMT"


def parse_unix_time(value: str, what: str, *, fraction: bool = False) -> datetime:
    """An aware datetime from a decimal Unix timestamp; SignatureError(401) when unreadable."""
    pattern = r"[0-9]{1,12}(?:\.[0-9]{1,9})?" if fraction else r"[0-9]{1,12}"
    if not re.fullmatch(pattern, value):
        raise refuse(f"unreadable {what} {value[:32]!r}")
    try:
        return datetime.fromtimestamp(float(value) if "." in value else int(value), UTC)
    except (OverflowError, OSError, ValueError):
        raise refuse(f"{what} out of range") from None


def split_url(url: str) -> tuple[str, str, str]:
    """(scheme, authority, request target) of an http(s) URL, as the request line and Host carry them.

    The authority is lowercased and keeps a non-default port (RFC 9110 7.2);
    the request target is the path (at least "/") plus "?query" when there is one.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    host = parts.hostname  # lowercased, userinfo dropped
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    port = parts.port
    authority = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, authority, target


def join_target(path: str, query: str) -> str:
    """The origin-form request target: path, plus "?query" when the query is not empty."""
    return f"{path}?{query}" if query else path


def as_text(value: str | bytes) -> str:
    """A path or query string as text; ASGI gives bytes, read as Latin-1 to keep every byte."""
    return value.decode("latin-1") if isinstance(value, bytes) else value


def utc_now(now: datetime | None) -> datetime:
    """``now`` as an aware UTC datetime (naive is taken as UTC), or the current time."""
    if now is None:
        return datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def check_time_window(created: datetime | None, expires: datetime | None, now: datetime) -> None:
    """Refuse a signature made too far in the future, too long ago, or past its own expiry.

    Mastodon (app/lib/signed_request.rb, matches_time_window?): created may be up to
    CLOCK_SKEW ahead; expires gets the same margin. SECURITY-CASES 11 bounds the age to 1 h.
    """
    if created is not None:
        if created > now + CLOCK_SKEW:
            raise refuse("signature created in the future")
        if now - created > MAX_AGE:
            raise refuse("signature expired: created more than an hour ago")
    if expires is not None and now - CLOCK_SKEW > expires:
        raise refuse("signature expired")
