"""Tolerant readers for the values found in remote ActivityStreams documents.

Every function here accepts any JSON value (``None``, bool, number, string,
list, dict) and answers a typed result or ``None``/empty: a peer's odd shape
never raises. Only the ``from_document`` parsers decide that a document is
unusable, by raising :class:`DocumentError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from activitypub.constants import AS_NS, AS_PUBLIC, PUBLIC_SPELLINGS
from activitypub.limits import (
    MAX_IRI_LENGTH,
    MAX_LANGUAGES,
    MAX_LINKS,
    MAX_OBJECT_IDS,
    MAX_RECIPIENTS,
    MAX_SHORT_LENGTH,
    MAX_TYPES,
)


class DocumentError(ValueError):
    """A remote document cannot be used; ``str(error)`` says why, for logs and tests."""


# A scheme, then anything without whitespace or control characters.
_IRI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_FORBIDDEN_IN_IRI = re.compile(r"[\x00-\x20\x7f<>\"\\^`{|}]")
ID_SCHEMES = frozenset({"http", "https", "tag", "urn", "did", "ap", "as"})
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no", ""})


def require_document(doc: Any) -> dict[str, Any]:
    """``doc`` if it is a JSON object, else :class:`DocumentError`."""
    if not isinstance(doc, dict):
        raise DocumentError(f"document is not a JSON object but {type(doc).__name__}")
    return doc


def pick_type(doc: dict[str, Any], family: frozenset[str], what: str) -> str:
    """The first of the document's types that belongs to ``family``, else :class:`DocumentError`."""
    types = get_types(doc)
    if not types:
        raise DocumentError("document has no type")
    for candidate in types:
        if candidate in family:
            return candidate
    raise DocumentError(f"unsupported {what} type {', '.join(types)}")


def as_list(value: Any, limit: int | None = None) -> list[Any]:
    """``value`` as a list: ``None`` → ``[]``, a list as is, anything else wrapped; at most ``limit``."""
    if value is None:
        items: list[Any] = []
    elif isinstance(value, list):
        items = value
    elif isinstance(value, tuple):
        items = list(value)
    else:
        items = [value]
    return items if limit is None else items[:limit]


def is_iri(value: Any) -> bool:
    """True for an absolute IRI of bounded length with a scheme peers use for ids.

    ``tag:`` (OStatus-era ids), ``urn:``, ``did:``/``ap:`` (FEP-ef61) and ``as:``
    are accepted besides http(s); ``javascript:``, ``data:`` and other schemes a
    browser would act on are not, since an id may end up as a link.
    """
    if not isinstance(value, str) or not 0 < len(value) <= MAX_IRI_LENGTH:
        return False
    scheme = _IRI_SCHEME.match(value)
    return (
        scheme is not None
        and scheme.group(0)[:-1].lower() in ID_SCHEMES
        and _FORBIDDEN_IN_IRI.search(value) is None
    )


def is_http_url(value: Any) -> bool:
    """True for an ``http(s)`` URL with a host: the only links we follow or render."""
    if not is_iri(value):
        return False
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError on a non-numeric port
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _id_of(item: Any) -> str | None:
    if isinstance(item, str):
        return item if is_iri(item) else None
    if isinstance(item, dict):
        candidate = item.get("id", item.get("@id"))
        return candidate if is_iri(candidate) else None
    return None


def first_id(value: Any) -> str | None:
    """The first IRI in ``value``: a string, an embedded object's ``id``, or the first usable array entry."""
    for item in as_list(value, MAX_LINKS):
        found = _id_of(item)
        if found is not None:
            return found
    return None


def ids(value: Any, limit: int = MAX_OBJECT_IDS) -> tuple[str, ...]:
    """All distinct IRIs in ``value`` (strings or embedded objects), in order, at most ``limit``."""
    seen: dict[str, None] = {}
    # Examine a bounded window so a 10,000-entry list of junk costs little.
    for item in as_list(value, limit * 4):
        found = _id_of(item)
        if found is not None:
            seen.setdefault(found, None)
            if len(seen) >= limit:
                break
    return tuple(seen)


def is_public(address: Any) -> bool:
    """True if ``address`` names the public collection in any of its spellings."""
    # Mastodon also accepts the bare term "Public" (ActivityPub::TagManager#public_collection?).
    return isinstance(address, str) and (address in PUBLIC_SPELLINGS or address == "Public")


def recipients(value: Any) -> tuple[str, ...]:
    """An addressing field (to/cc/…) as distinct IRIs, the public collection spelled ``AS_PUBLIC``."""
    found: dict[str, None] = {}
    for item in as_list(value, MAX_RECIPIENTS * 2):
        address = AS_PUBLIC if is_public(item) else _id_of(item)
        if address is not None:
            found.setdefault(address, None)
            if len(found) >= MAX_RECIPIENTS:
                break
    return tuple(found)


def normalise_type(value: str) -> str:
    """``as:Note`` and ``https://www.w3.org/ns/activitystreams#Note`` → ``Note``."""
    if value.startswith(AS_NS):
        return value[len(AS_NS) :]
    if value.startswith("as:"):
        return value[3:]
    return value


def get_types(doc: Any) -> tuple[str, ...]:
    """The ``type`` of a document as a tuple (a string or an array of strings in the wild)."""
    if not isinstance(doc, dict):
        return ()
    raw = doc.get("type", doc.get("@type"))
    found: dict[str, None] = {}
    for item in as_list(raw, MAX_TYPES):
        if isinstance(item, str) and 0 < len(item) <= MAX_SHORT_LENGTH:
            found.setdefault(normalise_type(item), None)
    return tuple(found)


def unwrap_value(value: Any) -> Any:
    """A JSON-LD value object ``{"@value": x}`` (Kroeg sends them) → ``x``; anything else unchanged."""
    if isinstance(value, dict) and "@value" in value:
        return value["@value"]
    return value


def parse_bool(value: Any, default: bool | None = None) -> bool | None:
    """A boolean from ``true``, ``"true"``/``"True"``, ``{"@value": "False"}``…; ``default`` otherwise."""
    value = unwrap_value(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and len(value) <= 8:
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return default


def parse_count(value: Any) -> int | None:
    """A non-negative integer count (``totalItems``, ``votersCount``, width…); never a bool."""
    value = unwrap_value(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value < 2**63 else None


def text(value: Any, limit: int) -> str | None:
    """A string cut to ``limit`` characters, NUL removed (PostgreSQL refuses it); else ``None``."""
    value = unwrap_value(value)
    if not isinstance(value, str):
        return None
    # Cut first so a huge string costs no more than ``limit`` to clean.
    return value[: limit * 2].replace("\x00", "")[:limit]


def short_text(value: Any) -> str | None:
    """A short label (username, media type, blurhash), stripped; empty → ``None``."""
    found = text(value, MAX_SHORT_LENGTH)
    found = found.strip() if found is not None else None
    return found or None


def language_tag(value: Any) -> str | None:
    """A BCP 47-looking language tag, or ``None`` (``und`` means unknown)."""
    if isinstance(value, str) and len(value) <= 35 and _LANGUAGE_TAG.fullmatch(value):
        return None if value.lower() == "und" else value
    return None


def language_map(value: Any, limit: int) -> dict[str, str]:
    """A ``contentMap``-style object as ``{language: text}``, bounded, bad entries dropped."""
    if not isinstance(value, dict):
        return {}
    result: dict[str, str] = {}
    for index, (key, item) in enumerate(value.items()):
        if index >= MAX_LANGUAGES * 2 or len(result) >= MAX_LANGUAGES:
            break
        string = text(item, limit)
        if isinstance(key, str) and 0 < len(key) <= 35 and string is not None:
            result[key] = string
    return result


def localized(value: Any, value_map: Any, limit: int) -> tuple[str | None, str | None, dict[str, str]]:
    """``(text, language, map)`` from a plain property and its ``…Map`` twin (``content``/``contentMap``).

    The plain value wins when present; otherwise the first map entry is used.
    The language is the map key holding that text (Mastodon sends exactly one).
    """
    mapping = language_map(value_map, limit)
    plain = text(value, limit)
    language = None
    if plain is None and mapping:
        language, plain = next(iter(mapping.items()))
    elif plain is not None:
        language = next((key for key, item in mapping.items() if item == plain), None)
    return plain, language_tag(language), mapping


def prop(doc: dict[str, Any], name: str, *aliases: str) -> Any:
    """``doc[name]``, else the compact ``as:name`` spelling, else the first present alias."""
    for key in (name, f"as:{name}", *aliases):
        if key in doc:
            return doc[key]
    return None


def iter_dicts(value: Any, limit: int) -> Iterator[dict[str, Any]]:
    """The objects (dicts) in ``value``, a single object or an array, at most ``limit`` examined."""
    for item in as_list(value, limit):
        if isinstance(item, dict):
            yield item


def link_href(item: Any) -> str | None:
    """The http(s) URL of a string, a Link (``href``) or an embedded object (``url``, one level)."""
    if isinstance(item, str):
        return item if is_http_url(item) else None
    if isinstance(item, dict):
        for key in ("href", "url"):
            candidate = item.get(key)
            if isinstance(candidate, dict):
                candidate = candidate.get("href")
            if is_http_url(candidate):
                return candidate
    return None


def media_type_of(item: Any) -> str | None:
    """The declared media type of a Link or object (``mediaType``, or PeerTube's old ``mimeType``)."""
    if not isinstance(item, dict):
        return None
    return short_text(item.get("mediaType", item.get("mimeType")))


def pick_url(value: Any, prefer: str = "text/html") -> str | None:
    """The best http(s) URL in a ``url`` value: a string, a Link, or an array of Links.

    Prefers the first Link whose media type starts with ``prefer`` (a PeerTube
    video lists its watch page among a dozen file links), else the first URL.
    """
    fallback = None
    for item in as_list(value, MAX_LINKS):
        href = link_href(item)
        if href is None:
            continue
        media_type = media_type_of(item)
        if media_type is not None and media_type.startswith(prefer):
            return href
        if fallback is None:
            fallback = href
    return fallback
