"""Filter (v2), FilterKeyword, FilterStatus, FilterResult and the v1 Filter, as Mastodon documents them."""

from __future__ import annotations

from typing import Any

from storage.db import Row
from storage.filters import FilterBundle

from .common import iso


def keyword(row: Row) -> dict[str, Any]:
    return {"id": str(row["id"]), "keyword": row["keyword"], "whole_word": bool(row["whole_word"])}


def filter_status(row: Row) -> dict[str, Any]:
    return {"id": str(row["id"]), "status_id": str(row["status_id"])}


def filter_v2(bundle: FilterBundle, *, with_matches: bool = True) -> dict[str, Any]:
    """The v2 Filter. Inside a FilterResult Mastodon leaves keywords and statuses out (`with_matches`)."""
    row = bundle.filter
    result: dict[str, Any] = {
        "id": str(row["id"]),
        "title": row["title"],
        "context": bundle.context,
        "expires_at": iso(row["expires_at"]),
        "filter_action": row["filter_action"],
    }
    if with_matches:
        result["keywords"] = [keyword(k) for k in bundle.keywords]
        result["statuses"] = [filter_status(s) for s in bundle.statuses]
    return result


def filter_result(bundle: FilterBundle, keyword_matches: list[str] | None,
                  status_matches: list[str] | None) -> dict[str, Any]:
    return {"filter": filter_v2(bundle, with_matches=False), "keyword_matches": keyword_matches,
            "status_matches": status_matches}


def filter_v1(bundle: FilterBundle, kw: Row) -> dict[str, Any]:
    """The v1 Filter: one keyword of a v2 filter (its id is the keyword's, as in Mastodon)."""
    row = bundle.filter
    return {
        "id": str(kw["id"]),
        "phrase": kw["keyword"],
        "context": bundle.context,
        "whole_word": bool(kw["whole_word"]),
        "expires_at": iso(row["expires_at"]),
        "irreversible": row["filter_action"] == "hide",
    }
