"""Application, List, Marker, Announcement, Preferences, Report, Conversation, Suggestion, Error."""

from __future__ import annotations

import json
from typing import Any

from storage.db import Row

from .common import VISIBILITY_OUT, iso


def application(app: Row, *, with_secret: str | None = None, scopes: list[str] | None = None) -> dict[str, Any]:
    """The Application entity; `with_secret` makes it the CredentialApplication of POST /api/v1/apps."""
    redirect_uris = [u for u in (app["redirect_uris"] or "").split("\n") if u]
    result: dict[str, Any] = {
        "id": str(app["id"]),
        "name": app["name"],
        "website": app["website"] or None,
        "scopes": scopes if scopes is not None else app["scopes"].split(),
        "redirect_uri": "\n".join(redirect_uris),
        "redirect_uris": redirect_uris,
        # Filled by the route (server/api/apps.py): the VAPID key lives with the Web Push service.
        "vapid_key": "",
    }
    if with_secret is not None:
        result["client_id"] = app["client_id"]
        result["client_secret"] = with_secret
        result["client_secret_expires_at"] = 0
    return result


def status_application(app: Row) -> dict[str, Any]:
    return {"name": app["name"], "website": app["website"] or None}


def user_list(row: Row) -> dict[str, Any]:
    return {"id": str(row["id"]), "title": row["title"], "replies_policy": row["replies_policy"],
            "exclusive": bool(row["exclusive"])}


def marker(row: Row) -> dict[str, Any]:
    return {"last_read_id": str(row["last_read_id"]), "version": int(row["version"]), "updated_at": iso(row["updated_at"])}


def announcement(row: Row, *, read: bool) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "content": row["content"],
        "starts_at": iso(row["starts_at"]),
        "ends_at": iso(row["ends_at"]),
        "all_day": bool(row["all_day"]),
        "published": True,
        "published_at": iso(row["published_at"]),
        "updated_at": iso(row["updated_at"]),
        "read": read,
        "mentions": [],
        "statuses": [],
        "tags": [],
        "emojis": [],
        "reactions": [],
        "atrium": {"must_read": bool(row["must_read"]), "audience": row["audience"]},
    }


def preferences(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "posting:default:visibility": VISIBILITY_OUT.get(str(values.get("posting:default:visibility", "public")), "public"),
        "posting:default:sensitive": bool(values.get("posting:default:sensitive", False)),
        "posting:default:language": values.get("posting:default:language"),
        "posting:default:quote_policy": "public",
        "reading:expand:media": values.get("reading:expand:media", "default"),
        "reading:expand:spoilers": bool(values.get("reading:expand:spoilers", False)),
        "reading:autoplay:gifs": bool(values.get("reading:autoplay:gifs", False)),
    }


def report(row: Row, target_account_json: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "action_taken": row["action_taken_at"] is not None,
        "action_taken_at": iso(row["action_taken_at"]),
        "category": row["category"],
        "comment": row["comment"],
        "forwarded": bool(row["forward"]),
        "created_at": iso(row["created_at"]),
        "status_ids": [str(s) for s in json.loads(row["status_ids"] or "[]")],
        "rule_ids": None,
        "target_account": target_account_json,
    }


def conversation(thread_id: int, accounts: list[dict[str, Any]], last_status: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": str(thread_id), "unread": False, "accounts": accounts, "last_status": last_status}


def suggestion(account_json: dict[str, Any], source: str) -> dict[str, Any]:
    return {"source": "staff" if source == "department" else "global", "sources": [source], "account": account_json}


def familiar_followers(target_id: int, accounts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": str(target_id), "accounts": accounts}
