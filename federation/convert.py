"""AP documents → our rows: the one place remote data is turned into what storage keeps.

Everything remote is sanitized here before it reaches the database (SECURITY-CASES 21): HTML
with `sanitize_html`, names and other one-line text with `sanitize_plain`. List lengths were
already bounded by the activitypub parsers (SECURITY-CASES 17).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from activitypub.content import extract_hashtags, normalize_hashtag
from activitypub.html import sanitize_html, sanitize_plain
from activitypub.model import Attachment
from activitypub.parse_actor import ParsedActor
from activitypub.parse_object import ParsedObject
from activitypub.values import is_http_url

MAX_DISPLAY_NAME = 100
MAX_USERNAME = 64
MAX_SPOILER = 1000
MAX_ALT_TEXT = 1500
MAX_POLL_OPTION = 200
MAX_PROFILE_TEXT = 255
MAX_TAGS_PER_STATUS = 30
# A post dated in the future would sit on top of every timeline: clamp it to "now".
MAX_FUTURE_MS = 10 * 60 * 1000


def to_ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def actor_values(actor: ParsedActor) -> dict[str, Any]:
    """The accounts columns a remote actor document sets (see storage.accounts.REMOTE_FIELDS)."""
    username = sanitize_plain(actor.preferred_username or _last_segment(actor.id), MAX_USERNAME) or "unknown"
    fields = [
        {"name": sanitize_plain(f.name, MAX_PROFILE_TEXT), "value": sanitize_html(f.value)}
        for f in actor.fields
    ]
    return {
        "username": username.replace(" ", "_"),
        "actor_type": actor.type,
        "display_name": sanitize_plain(actor.name or "", MAX_DISPLAY_NAME),
        "note": sanitize_html(actor.summary or ""),
        "url": actor.url if is_http_url(actor.url) else None,
        "inbox_url": actor.inbox,
        "shared_inbox_url": actor.shared_inbox,
        "outbox_url": actor.outbox,
        "followers_url": actor.followers,
        "following_url": actor.following,
        "featured_url": actor.featured,
        "public_key_id": actor.public_key_id,
        "public_key_pem": actor.public_key_pem,
        "avatar_remote_url": actor.icon_url,
        "header_remote_url": actor.image_url,
        "locked": actor.manually_approves_followers,
        "discoverable": actor.discoverable,
        "bot": actor.type in ("Service", "Application"),
        "fields": json.dumps(fields, ensure_ascii=False),
        "department": _plain_or_none(actor.department),
        "title": _plain_or_none(actor.title),
        "manager_uri": actor.manager,
        "location": _plain_or_none(actor.location),
        "pronouns": _plain_or_none(actor.pronouns),
        "also_known_as": json.dumps(list(actor.also_known_as)),
    }


KEY_FIELDS = ("public_key_id", "public_key_pem")


def _plain_or_none(value: str | None) -> str | None:
    cleaned = sanitize_plain(value or "", MAX_PROFILE_TEXT)
    return cleaned or None


def _last_segment(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1].lstrip("@~") or "unknown"


@dataclass(frozen=True)
class NoteContent:
    """The displayable parts of a remote post, sanitized."""

    content: str
    spoiler_text: str
    sensitive: bool
    language: str | None
    url: str | None
    tag_names: tuple[str, ...]


def note_content(obj: ParsedObject) -> NoteContent:
    """Sanitized content of a remote post; an Article or Page shows its title first, as Mastodon does."""
    body = obj.content or ""
    if obj.type in ("Article", "Page", "Event", "Video", "Audio") and obj.name:
        body = f"<p><strong>{html.escape(obj.name, quote=False)}</strong></p>{body}"
        if obj.url and obj.type != "Article":
            link = html.escape(obj.url)
            body += f'<p><a href="{link}">{link}</a></p>'
    spoiler = sanitize_plain(obj.summary or "", MAX_SPOILER)
    tags = tuple(dict.fromkeys(normalize_hashtag(h.name) for h in obj.hashtags if h.name and is_hashtag(h.name)))
    tags = tags[:MAX_TAGS_PER_STATUS]
    return NoteContent(
        content=sanitize_html(body),
        spoiler_text=spoiler,
        # A content warning hides the post behind it, whatever `sensitive` says (Mastodon too).
        sensitive=obj.sensitive or bool(spoiler),
        language=obj.language,
        url=obj.url if is_http_url(obj.url) else None,
        tag_names=tuple(t for t in tags if t),
    )


def is_hashtag(name: str) -> bool:
    """Whether a remote hashtag name is one our own text parser would recognise: a tag named
    `<script>…` or `a b` is dropped rather than stored and linked (SECURITY-CASES 21)."""
    return extract_hashtags("#" + name) == [normalize_hashtag(name)]


def media_type_family(attachment: Attachment) -> str:
    """Mastodon's attachment type from a remote attachment: image, gifv, video, audio or unknown."""
    mime = (attachment.media_type or "").lower()
    if mime.startswith("image/"):
        return "image"
    if mime.startswith("video/"):
        return "video"
    if mime.startswith("audio/"):
        return "audio"
    by_type = {"Image": "image", "Video": "video", "Audio": "audio"}
    return by_type.get(attachment.type, "unknown")


def attachment_values(attachment: Attachment) -> dict[str, Any]:
    """Keyword arguments of storage.media.create for a remote attachment (kept by reference)."""
    return {
        "type_": media_type_family(attachment),
        "file_path": None,
        "mime_type": attachment.media_type,
        "file_size": None,
        "width": attachment.width,
        "height": attachment.height,
        "remote_url": attachment.url,
        "description": sanitize_plain(attachment.name or "", MAX_ALT_TEXT) or None,
        "blurhash": attachment.blurhash,
        "focus": attachment.focal_point,
    }


def poll_options(obj: ParsedObject) -> list[str]:
    if obj.poll is None:
        return []
    return [sanitize_plain(o.name, MAX_POLL_OPTION) for o in obj.poll.options]


def clamp_published(published_ms: int | None, now_ms: int) -> int:
    """A remote post's creation time: its `published`, never in the future."""
    if published_ms is None or published_ms > now_ms + MAX_FUTURE_MS or published_ms <= 0:
        return now_ms
    return min(published_ms, now_ms)
