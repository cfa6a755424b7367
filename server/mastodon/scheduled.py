"""ScheduledStatus, as Mastodon documents it (`params` are the request's, `media_attachments` the
attachments it will carry)."""

from __future__ import annotations

import json
from typing import Any

from storage.db import Row

from .common import VISIBILITY_OUT, iso


def scheduled_status(row: Row, media: list[dict[str, Any]]) -> dict[str, Any]:
    params = json.loads(row["params"])
    media_ids = [str(m) for m in json.loads(row["media_ids"])]
    poll = params.get("poll")
    visibility = params.get("visibility") or "public"
    return {
        "id": str(row["id"]),
        "scheduled_at": iso(row["scheduled_at"]),
        "params": {
            "text": params.get("text") or "",
            "poll": {"options": list(poll["options"]), "expires_in": str(poll["expires_in"]),
                     "multiple": bool(poll["multiple"]), "hide_totals": bool(poll["hide_totals"])} if poll else None,
            "media_ids": media_ids or None,
            "sensitive": bool(params.get("sensitive")),
            "spoiler_text": params.get("spoiler_text"),
            "visibility": VISIBILITY_OUT.get(visibility, "private"),
            "in_reply_to_id": str(params["in_reply_to_id"]) if params.get("in_reply_to_id") else None,
            "language": params.get("language"),
            "application_id": str(params["application_id"]) if params.get("application_id") else None,
            "scheduled_at": None,
            "idempotency": params.get("idempotency"),
            "with_rate_limit": False,
            "allowed_mentions": None,
            "quoted_status_id": None,
            "local_only": visibility == "local",
        },
        "media_attachments": media,
        "atrium": {"audience": visibility, "error": row["last_error"]},
    }
