"""Parsing of remote activities (Create, Follow, Undo…), with their embedded object when there is one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from activitypub.constants import ACTIVITY_TYPES, ACTOR_TYPES, COLLECTION_TYPES, OBJECT_TYPES
from activitypub.limits import MAX_CONTENT_LENGTH, MAX_EMBED_DEPTH, MAX_OBJECT_IDS, MAX_SUMMARY_LENGTH
from activitypub.parse_actor import ParsedActor
from activitypub.parse_object import ParsedObject
from activitypub.times import parse_datetime
from activitypub.values import (
    DocumentError,
    first_id,
    get_types,
    ids,
    is_iri,
    recipients,
    require_document,
    text,
)

# What a Create or Update may carry; other activities accept any embedded object.
_CREATABLE = OBJECT_TYPES - {"Tombstone"}
_UPDATABLE = _CREATABLE | ACTOR_TYPES


@dataclass(frozen=True, slots=True)
class ParsedActivity:
    """An activity read from a peer.

    ``object_id`` is the first object IRI (embedded or not); ``object`` is the
    embedded object, parsed, when it is an actor, a post or an activity we can
    read (else ``None``: fetch ``object_id``). ``actor`` is only an id: an
    embedded actor document is never trusted (SECURITY-CASES 14).
    """

    id: str
    type: str
    actor: str
    object_id: str | None = None
    object: ParsedObject | ParsedActor | ParsedActivity | None = None
    object_ids: tuple[str, ...] = ()
    object_types: tuple[str, ...] = ()
    target: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    audience: str | None = None
    published: datetime | None = None
    summary: str | None = None
    content: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_document(cls, doc: Any, *, depth: int = 0) -> ParsedActivity:
        """Read an activity; :class:`DocumentError` without id or actor, or an unusable Create/Update."""
        doc = require_document(doc)
        activity_type = _activity_type(doc)
        activity_id = doc.get("id")
        if not is_iri(activity_id):
            raise DocumentError(f"{activity_type} has no usable id")
        actor = first_id(doc.get("actor"))
        if actor is None:
            raise DocumentError(f"{activity_type} {activity_id} has no actor")
        raw_object = doc.get("object")
        embedded = raw_object if isinstance(raw_object, dict) else None
        parsed = _embedded_object(activity_type, embedded, depth) if embedded is not None else None
        object_id = first_id(raw_object)
        if activity_type in ("Create", "Update") and object_id is None:
            raise DocumentError(f"{activity_type} {activity_id} has no object")
        return cls(
            id=activity_id,
            type=activity_type,
            actor=actor,
            object_id=object_id,
            object=parsed,
            object_ids=ids(raw_object, MAX_OBJECT_IDS),
            object_types=get_types(embedded),
            target=first_id(doc.get("target")),
            to=recipients(doc.get("to")),
            cc=recipients(doc.get("cc")),
            audience=first_id(doc.get("audience")),
            published=parse_datetime(doc.get("published")),
            summary=text(doc.get("summary"), MAX_SUMMARY_LENGTH),
            content=text(doc.get("content"), MAX_CONTENT_LENGTH),
            raw=doc,
        )


def is_activity_document(doc: Any) -> bool:
    """True if ``doc`` reads as an activity: a known activity type, or an unknown type with an ``actor``."""
    types = get_types(doc)
    if any(t in ACTIVITY_TYPES for t in types):
        return True
    known = ACTOR_TYPES | OBJECT_TYPES | COLLECTION_TYPES
    return bool(types) and not any(t in known for t in types) and "actor" in doc


def _activity_type(doc: dict[str, Any]) -> str:
    types = get_types(doc)
    if not types:
        raise DocumentError("document has no type")
    if not is_activity_document(doc):
        raise DocumentError(f"not an activity: {', '.join(types)}")
    return next((t for t in types if t in ACTIVITY_TYPES), types[0])


def _embedded_object(
    activity_type: str, embedded: dict[str, Any], depth: int
) -> ParsedObject | ParsedActor | ParsedActivity | None:
    """Parse the embedded object. Errors matter only for Create/Update: elsewhere the id suffices."""
    strict = activity_type in ("Create", "Update")
    types = get_types(embedded)
    if strict:
        allowed = _CREATABLE if activity_type == "Create" else _UPDATABLE
        if not any(t in allowed for t in types):
            raise DocumentError(f"{activity_type} of unsupported object type {', '.join(types) or 'none'}")
    if depth + 1 > MAX_EMBED_DEPTH:
        return None  # deeper nesting keeps only the id; the caller may fetch it
    try:
        if any(t in ACTOR_TYPES for t in types):
            return ParsedActor.from_document(embedded)
        if any(t in OBJECT_TYPES for t in types):
            return ParsedObject.from_document(embedded)
        if is_activity_document(embedded):
            return ParsedActivity.from_document(embedded, depth=depth + 1)
    except DocumentError as error:
        if strict:
            raise DocumentError(f"{activity_type} object: {error}") from error
    return None
