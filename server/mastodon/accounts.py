"""Account, CredentialAccount, Role, Relationship, FamiliarFollowers, Suggestion."""

from __future__ import annotations

import json
from typing import Any

from activitypub.html import escape_text
from storage.db import Row

from .common import VISIBILITY_OUT, RenderContext, iso, iso_date, iso_midnight

MISSING_AVATAR = "/avatars/original/missing.png"
MISSING_HEADER = "/headers/original/missing.png"

# Mastodon's built-in roles, as its API shows them (permissions are Mastodon's bit flags).
ROLES = {
    "admin": {"id": "3", "name": "Admin", "permissions": "1", "color": "", "highlighted": True},
    "moderator": {"id": "1", "name": "Moderator", "permissions": "1308", "color": "", "highlighted": True},
    "user": {"id": "-99", "name": "", "permissions": "65536", "color": "", "highlighted": False},
}


def acct(row: Row) -> str:
    return row["username"] if row["domain"] is None else f"{row['username']}@{row['domain']}"


def avatar_url(row: Row, rc: RenderContext) -> str:
    if row["avatar_path"]:
        return rc.urls.media(row["avatar_path"])
    return row["avatar_remote_url"] or rc.urls.base + MISSING_AVATAR


def header_url(row: Row, rc: RenderContext) -> str:
    if row["header_path"]:
        return rc.urls.media(row["header_path"])
    return row["header_remote_url"] or rc.urls.base + MISSING_HEADER


def _fields(row: Row) -> list[dict[str, Any]]:
    try:
        raw = json.loads(row["fields"] or "[]")
    except ValueError:
        return []
    out = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        name, value = str(item.get("name", "")), str(item.get("value", ""))
        # Local fields are stored as typed; remote ones arrive as sanitized HTML.
        if row["domain"] is None:
            name, value = escape_text(name), escape_text(value)
        out.append({"name": name, "value": value, "verified_at": None})
    return out


def account(row: Row, rc: RenderContext, *, moved: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Account entity of a local or remote account row."""
    local = row["domain"] is None
    discoverable = bool(row["discoverable"])
    result: dict[str, Any] = {
        "id": str(row["id"]),
        "username": row["username"],
        "acct": acct(row),
        "display_name": row["display_name"] or "",
        "locked": bool(row["locked"]),
        "bot": bool(row["bot"]) or row["actor_type"] in ("Application", "Service"),
        "discoverable": discoverable,
        "indexable": discoverable,
        "group": row["actor_type"] == "Group",
        "created_at": iso_midnight(row["created_at"]),
        "note": row["note"] or "",
        "url": row["url"] or row["uri"],
        "uri": row["uri"],
        "avatar": avatar_url(row, rc),
        "avatar_static": avatar_url(row, rc),
        "header": header_url(row, rc),
        "header_static": header_url(row, rc),
        "followers_count": int(row["followers_count"] or 0),
        "following_count": int(row["following_count"] or 0),
        "statuses_count": int(row["statuses_count"] or 0),
        "last_status_at": iso_date(row["last_status_at"]),
        "hide_collections": False,
        "emojis": [],
        "fields": _fields(row),
    }
    if local:
        result["noindex"] = False
        result["roles"] = []
    if row["suspended_at"] is not None:
        result["suspended"] = True
    if row["silenced_at"] is not None:
        result["limited"] = True
    if row["moved_to_id"] is not None and moved is not None:
        result["moved"] = moved
    result["atrium"] = {
        "department": row["department"],
        "title": row["title"],
        "location": row["location"],
        "pronouns": row["pronouns"],
        "manager_id": str(row["manager_id"]) if row["manager_id"] is not None else None,
    }
    return result


def credential_account(
    row: Row, rc: RenderContext, *, role: str, preferences: dict[str, Any], follow_requests_count: int
) -> dict[str, Any]:
    """The signed-in person's own account, with `source` (what they typed) and `role`."""
    result = account(row, rc)
    try:
        raw_fields = json.loads(row["fields"] or "[]")
    except ValueError:
        raw_fields = []
    result["source"] = {
        "privacy": VISIBILITY_OUT.get(str(preferences.get("posting:default:visibility", "public")), "public"),
        "sensitive": bool(preferences.get("posting:default:sensitive", False)),
        "language": preferences.get("posting:default:language"),
        "note": row["note_source"] or "",
        "fields": [{"name": str(f.get("name", "")), "value": str(f.get("value", "")), "verified_at": None}
                   for f in raw_fields if isinstance(f, dict)],
        "follow_requests_count": follow_requests_count,
        "hide_collections": False,
        "discoverable": bool(row["discoverable"]),
        "indexable": bool(row["discoverable"]),
        "attribution_domains": [],
    }
    result["role"] = dict(ROLES.get(role, ROLES["user"]))
    return result


def relationship(target_id: int, flags: dict[str, object]) -> dict[str, Any]:
    return {
        "id": str(target_id),
        "following": bool(flags.get("following")),
        "showing_reblogs": bool(flags.get("showing_reblogs")),
        "notifying": bool(flags.get("notifying")),
        "languages": None,
        "followed_by": bool(flags.get("followed_by")),
        "blocking": bool(flags.get("blocking")),
        "blocked_by": bool(flags.get("blocked_by")),
        "muting": bool(flags.get("muting")),
        "muting_notifications": bool(flags.get("muting_notifications")),
        "requested": bool(flags.get("requested")),
        "requested_by": bool(flags.get("requested_by")),
        "domain_blocking": False,
        "endorsed": False,
        "note": "",
    }


def mute_expiry(account_json: dict[str, Any], expires_at: int | None) -> dict[str, Any]:
    """Accounts in GET /api/v1/mutes carry when the mute ends."""
    return {**account_json, "mute_expires_at": iso(expires_at)}
