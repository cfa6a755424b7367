"""Status, MediaAttachment, Poll, Tag, Mention, Context, StatusEdit, StatusSource."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from storage.db import Row
from storage.hydrate import PollBundle, StatusBundle

from .accounts import acct
from .common import VISIBILITY_OUT, RenderContext, iso

# Statuses whose author may pin them (Mastodon: public, unlisted, private; ours add the two audiences).
PINNABLE = ("public", "unlisted", "followers", "company", "local")

AccountRenderer = Callable[[Row], dict[str, Any]]


def media_attachment(row: Row, rc: RenderContext) -> dict[str, Any]:
    if row["file_path"]:
        url = rc.urls.media(row["file_path"])
        preview = rc.urls.media(row["thumbnail_path"]) if row["thumbnail_path"] else url
        remote = row["remote_url"] or None
    else:
        # Remote media we did not copy: clients load it from its origin.
        url = row["remote_url"]
        preview = row["remote_url"]
        remote = row["remote_url"]
    meta: dict[str, Any] = {}
    width, height = row["width"], row["height"]
    if width and height:
        original = {"width": int(width), "height": int(height), "size": f"{width}x{height}",
                    "aspect": round(int(width) / int(height), 6)}
        meta["original"] = original
        meta["small"] = _small(int(width), int(height))
    if row["focus_x"] is not None and row["focus_y"] is not None:
        meta["focus"] = {"x": float(row["focus_x"]), "y": float(row["focus_y"])}
    return {
        "id": str(row["id"]),
        "type": row["type"] if row["type"] in ("image", "gifv", "video", "audio") else "unknown",
        "url": url,
        "preview_url": preview,
        "remote_url": remote,
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta,
        "description": row["description"],
        "blurhash": row["blurhash"],
    }


def _small(width: int, height: int, box: int = 640) -> dict[str, Any]:
    """The thumbnail's size: the original scaled down to fit `box` (never up)."""
    scale = min(1.0, box / max(width, height))
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    return {"width": w, "height": h, "size": f"{w}x{h}", "aspect": round(w / h, 6)}


def poll(bundle: PollBundle, rc: RenderContext) -> dict[str, Any]:
    row = bundle.poll
    options = json.loads(row["options"])
    expires_at = row["expires_at"]
    expired = expires_at is not None and int(expires_at) <= rc.now_ms
    owner = rc.viewer_id is not None and int(row["account_id"]) == rc.viewer_id
    # Mastodon hides running totals of a poll set to hide them, except from its author.
    hide = bool(row["hide_totals"]) and not expired and not owner
    result: dict[str, Any] = {
        "id": str(row["id"]),
        "expires_at": iso(expires_at),
        "expired": expired,
        "multiple": bool(row["multiple"]),
        "votes_count": sum(bundle.counts),
        "voters_count": int(row["voters_count"] or 0),
        "options": [{"title": title, "votes_count": None if hide else count}
                    for title, count in zip(options, bundle.counts, strict=False)],
        "emojis": [],
    }
    if rc.viewer_id is not None:
        result["voted"] = owner or bool(bundle.own_votes)
        result["own_votes"] = list(bundle.own_votes)
    return result


def tag(name: str, rc: RenderContext) -> dict[str, Any]:
    return {"name": name, "url": rc.urls.tag(name)}


def tag_entity(row: Row, rc: RenderContext, *, following: bool | None = None) -> dict[str, Any]:
    """A Tag as GET /api/v1/tags/:name and search return it (with history and `following`)."""
    result: dict[str, Any] = {"id": str(row["id"]), "name": row["display_name"] or row["name"],
                              "url": rc.urls.tag(row["name"]), "history": []}
    if following is not None:
        result["following"] = following
    return result


def mention(row: Row) -> dict[str, Any]:
    return {"id": str(row["id"]), "username": row["username"], "url": row["url"] or row["uri"], "acct": acct(row)}


@dataclass(frozen=True)
class StatusParts:
    """What a Status entity says whoever reads it: everything but its author, boost, poll and the
    viewer's flags. Built once per version of a status and shared (server/mastodon/cache.py), so
    nobody may mutate it or the lists and dicts inside it."""

    head: dict[str, Any]      # id … edited_at, in Mastodon's key order
    content: str
    text: str
    tail: dict[str, Any]      # media_attachments, mentions, tags, emojis, card
    end: dict[str, Any]       # local_only (for `local` posts), atrium


def status_parts(bundle: StatusBundle, rc: RenderContext) -> StatusParts:
    """The viewer-independent parts of `bundle`'s own Status entity (not of its boosted status)."""
    row = bundle.status
    visibility = row["visibility"]
    head: dict[str, Any] = {
        "id": str(row["id"]),
        "created_at": iso(row["created_at"]),
        "in_reply_to_id": str(row["in_reply_to_id"]) if row["in_reply_to_id"] is not None else None,
        "in_reply_to_account_id": (
            str(row["in_reply_to_account_id"]) if row["in_reply_to_account_id"] is not None else None
        ),
        "sensitive": bool(row["sensitive"]),
        "spoiler_text": row["spoiler_text"] or "",
        "visibility": VISIBILITY_OUT.get(visibility, "private"),
        "language": row["language"],
        "uri": row["uri"],
        "url": row["url"] or row["uri"],
        "replies_count": int(row["replies_count"] or 0),
        "reblogs_count": int(row["reblogs_count"] or 0),
        "favourites_count": int(row["favourites_count"] or 0),
        "edited_at": iso(row["edited_at"]),
    }
    tail: dict[str, Any] = {
        "media_attachments": [media_attachment(m, rc) for m in bundle.media],
        "mentions": [mention(m) for m in bundle.mentions],
        "tags": [tag(name, rc) for name in bundle.tags],
        "emojis": [],
        "card": None,
    }
    end: dict[str, Any] = {"local_only": True} if visibility == "local" else {}
    end["atrium"] = {"audience": visibility, "must_read": bool(row["must_read"])}
    return StatusParts(head=head, content=row["content"] or "", text=row["source_text"] or "", tail=tail, end=end)


PartsRenderer = Callable[[StatusBundle, RenderContext], StatusParts]


def status(
    bundle: StatusBundle, rc: RenderContext, render_account: AccountRenderer, *, source: bool = False,
    parts_of: PartsRenderer = status_parts,
) -> dict[str, Any]:
    """The Status entity; a boost is a wrapper whose `reblog` is the boosted status.

    `parts_of` may answer from a cache (server/mastodon/cache.py): only the author, the boost, the
    poll and the viewer's flags are assembled per call, into a new dict.
    """
    row = bundle.status
    parts = parts_of(bundle, rc)
    result = dict(parts.head)
    if rc.viewer_id is not None:
        result.update(favourited=bundle.favourited, reblogged=bundle.reblogged, muted=False,
                      bookmarked=bundle.bookmarked)
        mine = int(row["account_id"]) == rc.viewer_id
        if mine and row["reblog_of_id"] is None and row["visibility"] in PINNABLE:
            result["pinned"] = bundle.pinned
        result["filtered"] = []
    if source:
        result["text"] = parts.text
    else:
        result["content"] = parts.content
    result["reblog"] = (
        status(bundle.reblog, rc, render_account, parts_of=parts_of) if bundle.reblog is not None else None
    )
    result["account"] = render_account(bundle.account)
    result.update(parts.tail)
    result["poll"] = poll(bundle.poll, rc) if bundle.poll is not None else None
    result.update(parts.end)
    return result


def context(ancestors: list[dict[str, Any]], descendants: list[dict[str, Any]]) -> dict[str, Any]:
    return {"ancestors": ancestors, "descendants": descendants}


def status_source(row: Row) -> dict[str, Any]:
    return {"id": str(row["id"]), "text": row["source_text"] or "", "spoiler_text": row["spoiler_text"] or ""}


def status_edit(edit: Row, account_json: dict[str, Any], media: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "content": edit["content"] or "",
        "spoiler_text": edit["spoiler_text"] or "",
        "sensitive": bool(edit["sensitive"]),
        "created_at": iso(edit["created_at"]),
        "account": account_json,
        "poll": None,
        "media_attachments": media,
        "emojis": [],
    }
