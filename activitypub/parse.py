"""Tolerant reading of remote ActivityStreams documents: the one import for callers.

``parse_document(doc)`` picks the parser from the document's type; each parser
is also usable on its own (``ParsedActor.from_document(doc)``…). Every parser
raises only :class:`DocumentError`, whose message says why the input is
unusable. Lists and strings are bounded (see ``activitypub.limits``).
"""

from __future__ import annotations

from typing import Any

from activitypub.constants import ACTOR_TYPES, COLLECTION_TYPES, OBJECT_TYPES
from activitypub.parse_activity import ParsedActivity, is_activity_document
from activitypub.parse_actor import ParsedActor
from activitypub.parse_collection import ParsedCollection
from activitypub.parse_discovery import ParsedWebFinger, is_activitypub_media_type
from activitypub.parse_object import ParsedObject
from activitypub.parse_parts import image_url, parse_attachments, parse_fields, parse_poll, parse_tags
from activitypub.times import parse_datetime
from activitypub.values import (
    DocumentError,
    as_list,
    first_id,
    get_types,
    ids,
    is_http_url,
    is_iri,
    is_public,
    language_map,
    localized,
    parse_bool,
    parse_count,
    pick_url,
    recipients,
    require_document,
)

__all__ = [
    "DocumentError",
    "ParsedActivity",
    "ParsedActor",
    "ParsedCollection",
    "ParsedDocument",
    "ParsedObject",
    "ParsedWebFinger",
    "as_list",
    "first_id",
    "get_types",
    "ids",
    "image_url",
    "is_activitypub_media_type",
    "is_http_url",
    "is_iri",
    "is_public",
    "language_map",
    "localized",
    "parse_attachments",
    "parse_bool",
    "parse_count",
    "parse_datetime",
    "parse_document",
    "parse_fields",
    "parse_poll",
    "parse_tags",
    "pick_url",
    "recipients",
]

ParsedDocument = ParsedActor | ParsedObject | ParsedActivity | ParsedCollection


def parse_document(doc: Any) -> ParsedDocument:
    """Parse any top-level document by its type: actor, post, collection or activity.

    Raises :class:`DocumentError` for a type we do not handle (``Place``,
    ``ChatMessage``, PieFed's ``Feed``…) or for an unusable document.
    """
    doc = require_document(doc)
    types = get_types(doc)
    if not types:
        raise DocumentError("document has no type")
    if any(t in ACTOR_TYPES for t in types):
        return ParsedActor.from_document(doc)
    if any(t in OBJECT_TYPES for t in types):
        return ParsedObject.from_document(doc)
    if any(t in COLLECTION_TYPES for t in types):
        return ParsedCollection.from_document(doc)
    if is_activity_document(doc):
        return ParsedActivity.from_document(doc)
    raise DocumentError(f"unsupported type {', '.join(types)}")
