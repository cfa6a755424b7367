"""Status entities as JSON bytes, kept across answers and readers, for lists of statuses.

A timeline page is 40 Status entities, about 65 KB of JSON. Almost all of each entity reads the
same for every reader until the post or its author changes, yet building those dicts and
serializing them again was most of what a page cost. `StatusPieces` keeps, per version of a post,
the serialized entity cut around the only members that differ per answer: the reader's flags
(favourited, reblogged, bookmarked, pinned, filtered), the boosted post (itself rendered the same
way) and the poll (votes, the reader's own votes, and expiry depend on who reads it, and when).
`render` joins the pieces with those members.

The document is the one `orjson.dumps(status(...))` gives (server/mastodon/statuses.py), members in
another order (the reader's flags come first): JSON objects are unordered, and
tests/api/test_status_json.py compares the two for every kind of post. Filters need the entity as a
dict (they read its text), so readers with saved filters take the dict path (server/api/shown.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import orjson

from storage.hydrate import StatusBundle

from . import statuses as status_entities
from .common import RenderContext

# Placeholders serialized where the per-answer members go, then cut out. A NUL is escaped by
# orjson as \u0000, and the member name with its opening quote cannot come from inside a string
# (quotes there are escaped), so each cut point is found exactly once in a document.
_REBLOG = "\x00reblog\x00"
_POLL = "\x00poll\x00"
_REBLOG_AT = b'"reblog":"\\u0000reblog\\u0000"'
_POLL_AT = b'"poll":"\\u0000poll\\u0000"'


@dataclass(frozen=True, slots=True)
class StatusPieces:
    """A Status entity's JSON without its opening brace, cut before the boosted post and the poll."""

    head: bytes     # the members up to and including `"reblog":`
    middle: bytes   # from after the boosted post up to and including `"poll":`
    tail: bytes     # from after the poll to the closing brace


PiecesOf = Callable[[StatusBundle], StatusPieces]


def pieces(bundle: StatusBundle, rc: RenderContext, render_account: status_entities.AccountRenderer,
           parts_of: status_entities.PartsRenderer = status_entities.status_parts) -> StatusPieces:
    """The pieces of `bundle`'s own entity (its boost and poll are left out, whatever it holds)."""
    anonymous = replace(rc, viewer_id=None)   # no reader's flags in what every reader shares
    alone = replace(bundle, reblog=None, poll=None)
    entity = status_entities.status(alone, anonymous, render_account, parts_of=parts_of)
    entity["reblog"] = _REBLOG
    entity["poll"] = _POLL
    document = orjson.dumps(entity)
    head, found_reblog, rest = document.partition(_REBLOG_AT)
    middle, found_poll, tail = rest.partition(_POLL_AT)
    if not (found_reblog and found_poll) or _REBLOG_AT in tail or _POLL_AT in tail:
        raise ValueError("a Status entity must have exactly one reblog and one poll member")
    return StatusPieces(head=head[1:] + b'"reblog":', middle=middle + b'"poll":', tail=tail)


_FLAGS: dict[tuple[bool, bool, bool, bool | None], bytes] = {}


def _flags(favourited: bool, reblogged: bool, bookmarked: bool, pinned: bool | None) -> bytes:
    """The reader's flags as members (with a trailing comma), as status() sets them; 16+8 variants."""
    key = (favourited, reblogged, bookmarked, pinned)
    found = _FLAGS.get(key)
    if found is None:
        members: dict[str, Any] = {"favourited": favourited, "reblogged": reblogged, "muted": False,
                                   "bookmarked": bookmarked}
        if pinned is not None:
            members["pinned"] = pinned
        members["filtered"] = []
        found = _FLAGS[key] = orjson.dumps(members)[1:-1] + b","
    return found


def render(bundle: StatusBundle, rc: RenderContext, pieces_of: PiecesOf) -> bytes:
    """The Status entity of `bundle` for `rc`'s reader, as JSON bytes."""
    cut = pieces_of(bundle)
    flags = b""
    if rc.viewer_id is not None:
        row = bundle.status
        pinned = None
        if (int(row["account_id"]) == rc.viewer_id and row["reblog_of_id"] is None
                and row["visibility"] in status_entities.PINNABLE):
            pinned = bundle.pinned
        flags = _flags(bundle.favourited, bundle.reblogged, bundle.bookmarked, pinned)
    reblog = render(bundle.reblog, rc, pieces_of) if bundle.reblog is not None else b"null"
    poll = orjson.dumps(status_entities.poll(bundle.poll, rc)) if bundle.poll is not None else b"null"
    return b"".join((b"{", flags, cut.head, reblog, cut.middle, poll, cut.tail))


def render_list(bundles: list[StatusBundle], rc: RenderContext, pieces_of: PiecesOf) -> bytes:
    """A JSON array of the Status entities of `bundles`, in order."""
    return b"[" + b",".join([render(b, rc, pieces_of) for b in bundles]) + b"]"
