"""Pure builders of the documents we send: the one import for callers.

Every builder takes explicit arguments (ids, URLs, datetimes) and returns a
plain dict ready for ``orjson.dumps``; top-level documents carry our @context.
Nothing here reads a clock, a setting or a database.
"""

from __future__ import annotations

from activitypub.build_activity import (
    build_accept,
    build_announce,
    build_block,
    build_create,
    build_delete,
    build_flag,
    build_follow,
    build_like,
    build_move,
    build_poll_vote,
    build_reject,
    build_undo,
    build_update,
)
from activitypub.build_actor import (
    EMPLOYEE_FIELD_NAMES,
    build_actor,
    build_field,
    build_image,
    build_public_key,
    employee_fields,
)
from activitypub.build_base import Document, compact, document, embed, new_context, timestamp
from activitypub.build_collection import build_ordered_collection, build_ordered_collection_page
from activitypub.build_discovery import (
    build_host_meta,
    build_nodeinfo,
    build_nodeinfo_discovery,
    build_webfinger,
)
from activitypub.build_object import (
    build_attachment,
    build_emoji,
    build_hashtag,
    build_mention,
    build_note,
    build_poll_option,
    build_question,
    build_tombstone,
)

__all__ = [
    "EMPLOYEE_FIELD_NAMES",
    "Document",
    "build_accept",
    "build_actor",
    "build_announce",
    "build_attachment",
    "build_block",
    "build_create",
    "build_delete",
    "build_emoji",
    "build_field",
    "build_flag",
    "build_follow",
    "build_hashtag",
    "build_host_meta",
    "build_image",
    "build_like",
    "build_mention",
    "build_move",
    "build_nodeinfo",
    "build_nodeinfo_discovery",
    "build_note",
    "build_ordered_collection",
    "build_ordered_collection_page",
    "build_poll_option",
    "build_poll_vote",
    "build_public_key",
    "build_question",
    "build_reject",
    "build_tombstone",
    "build_undo",
    "build_update",
    "build_webfinger",
    "compact",
    "document",
    "embed",
    "employee_fields",
    "new_context",
    "timestamp",
]
