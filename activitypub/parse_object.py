"""Parsing of remote posts: Note, Article, Page, Question, Image, Video, Audio, Event, Tombstone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from activitypub.constants import OBJECT_TYPES
from activitypub.limits import (
    MAX_CONTENT_LENGTH,
    MAX_LINKS,
    MAX_NAME_LENGTH,
    MAX_SUMMARY_LENGTH,
)
from activitypub.model import Attachment, Emoji, Hashtag, Mention, Poll
from activitypub.parse_parts import parse_attachments, parse_poll, parse_tags
from activitypub.times import parse_datetime
from activitypub.values import (
    DocumentError,
    as_list,
    first_id,
    is_iri,
    language_tag,
    link_href,
    localized,
    media_type_of,
    parse_bool,
    pick_type,
    pick_url,
    prop,
    recipients,
    require_document,
)

# Keys peers use for a quoted post: FEP-044f, Misskey, Fedibird, and Misskey's private key.
_QUOTE_KEYS = ("quote", "quoteUrl", "quoteUri", "_misskey_quote")
_MEDIA_FAMILIES = {"Image": "image/", "Video": "video/", "Audio": "audio/"}


@dataclass(frozen=True, slots=True)
class ParsedObject:
    """A post-like object read from a peer; HTML fields are raw and must be sanitized before display."""

    id: str
    type: str
    attributed_to: str | None = None
    content: str | None = None
    content_map: dict[str, str] = field(default_factory=dict)
    language: str | None = None
    name: str | None = None
    summary: str | None = None
    sensitive: bool = False
    in_reply_to: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    url: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    audience: str | None = None
    mentions: tuple[Mention, ...] = ()
    hashtags: tuple[Hashtag, ...] = ()
    emojis: tuple[Emoji, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    poll: Poll | None = None
    quote_url: str | None = None
    context: str | None = None
    conversation: str | None = None

    @classmethod
    def from_document(cls, doc: Any) -> ParsedObject:
        """Read a post-like object; :class:`DocumentError` if it has no id or an unsupported type."""
        doc = require_document(doc)
        object_type = pick_type(doc, OBJECT_TYPES, "object")
        object_id = doc.get("id")
        if not is_iri(object_id):
            raise DocumentError(f"{object_type} has no usable id")
        if object_type == "Tombstone":
            return cls(id=object_id, type=object_type)
        content, language, content_map = localized(
            doc.get("content"), doc.get("contentMap"), MAX_CONTENT_LENGTH
        )
        mentions, hashtags, emojis = parse_tags(doc.get("tag"))
        return cls(
            id=object_id,
            type=object_type,
            # Hubzilla and Pleroma also put the author in `actor`; PeerTube lists [Person, Group].
            attributed_to=first_id(doc.get("attributedTo")) or first_id(doc.get("actor")),
            content=content,
            content_map=content_map,
            language=language or _lemmy_language(doc.get("language")),
            name=_nonblank(localized(doc.get("name"), doc.get("nameMap"), MAX_NAME_LENGTH)[0]),
            summary=_nonblank(localized(doc.get("summary"), doc.get("summaryMap"), MAX_SUMMARY_LENGTH)[0]),
            sensitive=parse_bool(prop(doc, "sensitive"), False) is True,
            in_reply_to=first_id(doc.get("inReplyTo")),
            published=parse_datetime(doc.get("published")),
            updated=parse_datetime(doc.get("updated")),
            url=pick_url(doc.get("url")),
            to=recipients(doc.get("to")),
            cc=recipients(doc.get("cc")),
            audience=first_id(doc.get("audience")),
            mentions=mentions,
            hashtags=hashtags,
            emojis=emojis,
            attachments=parse_attachments(doc.get("attachment")) or _media_from_url(object_type, doc),
            poll=parse_poll(doc) if object_type == "Question" else None,
            quote_url=_quote_url(doc),
            context=first_id(doc.get("context")),
            conversation=first_id(doc.get("conversation")),
        )


def _media_from_url(object_type: str, doc: dict[str, Any]) -> tuple[Attachment, ...]:
    """An Image/Video/Audio object is itself the media (Zap, PeerTube): its first file link of that kind."""
    family = _MEDIA_FAMILIES.get(object_type)
    if family is None:
        return ()
    for item in as_list(doc.get("url"), MAX_LINKS):
        href, media_type = link_href(item), media_type_of(item)
        if href is not None and media_type is not None and media_type.startswith(family):
            return (Attachment(url=href, type=object_type, media_type=media_type),)
    return ()


def _nonblank(value: str | None) -> str | None:
    return value if value is not None and value.strip() else None


def _lemmy_language(value: Any) -> str | None:
    """Lemmy sends ``language: {"identifier": "fr", "name": "Français"}``."""
    if isinstance(value, dict):
        return language_tag(value.get("identifier"))
    return language_tag(value)


def _quote_url(doc: dict[str, Any]) -> str | None:
    for key in _QUOTE_KEYS:
        found = first_id(doc.get(key))
        if found is not None:
            return found
    return None
