"""Notification (v1) and the grouped notifications of /api/v2/notifications."""

from __future__ import annotations

from typing import Any

from storage.db import Row

from .common import iso


def notification(
    row: Row, account_json: dict[str, Any], status_json: dict[str, Any] | None, report_json: dict[str, Any] | None = None
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": str(row["id"]),
        "type": row["type"],
        "created_at": iso(row["created_at"]),
        "group_key": group_key(row),
        "account": account_json,
    }
    if status_json is not None:
        result["status"] = status_json
    if report_json is not None:
        result["report"] = report_json
    return result


def group_key(row: Row) -> str:
    # Each notification is its own group: Mastodon does the same for mentions and replies, and
    # clients accept ungrouped keys for every type.
    return f"ungrouped-{row['id']}"


def notification_group(row: Row) -> dict[str, Any]:
    """One group of /api/v2/notifications (here, one notification)."""
    result: dict[str, Any] = {
        "group_key": group_key(row),
        "notifications_count": 1,
        "type": row["type"],
        "most_recent_notification_id": str(row["id"]),
        "page_min_id": str(row["id"]),
        "page_max_id": str(row["id"]),
        "latest_page_notification_at": iso(row["created_at"]),
        "sample_account_ids": [str(row["from_account_id"])],
        "status_id": str(row["status_id"]) if row["status_id"] is not None else None,
    }
    return result
