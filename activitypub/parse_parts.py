"""Readers for the parts shared by actors and objects: tags, attachments, images, polls, fields."""

from __future__ import annotations

import math
from typing import Any

from activitypub.limits import (
    MAX_ATTACHMENTS,
    MAX_FIELD_LENGTH,
    MAX_FIELDS,
    MAX_LINKS,
    MAX_NAME_LENGTH,
    MAX_POLL_OPTIONS,
    MAX_TAGS,
)
from activitypub.model import Attachment, Emoji, Field, Hashtag, Mention, Poll, PollOption
from activitypub.times import parse_datetime
from activitypub.values import (
    as_list,
    first_id,
    get_types,
    is_http_url,
    iter_dicts,
    link_href,
    media_type_of,
    parse_bool,
    parse_count,
    pick_url,
    short_text,
    text,
)

# Attachments that describe a profile, not media (Mastodon, Pleroma, Friendica).
_PROFILE_ATTACHMENT_TYPES = frozenset({"PropertyValue", "IdentityProof", "VerifiableIdentityStatement"})
_MAX_DIMENSION = 100_000


def parse_tags(value: Any) -> tuple[tuple[Mention, ...], tuple[Hashtag, ...], tuple[Emoji, ...]]:
    """Split ``tag`` (an object or an array) into mentions, hashtags and custom emojis.

    At most ``MAX_TAGS`` entries are examined in total; duplicates are dropped.
    Unknown tag types (Lemmy's CommunityPostTag, BookWyrm's Edition…) are ignored.
    """
    mentions: dict[str, Mention] = {}
    hashtags: dict[str, Hashtag] = {}
    emojis: dict[str, Emoji] = {}
    for tag in iter_dicts(value, MAX_TAGS):
        types = get_types(tag)
        if "Mention" in types:
            href = tag.get("href")
            if is_http_url(href) and href not in mentions:
                mentions[href] = Mention(href=href, name=short_text(tag.get("name")))
        elif "Hashtag" in types:
            name = short_text(tag.get("name"))
            name = name.lstrip("#") if name else None
            if name and name.lower() not in hashtags:
                href = tag.get("href")
                hashtags[name.lower()] = Hashtag(name=name, href=href if is_http_url(href) else None)
        elif "Emoji" in types:
            emoji = _parse_emoji(tag)
            if emoji is not None and emoji.name not in emojis:
                emojis[emoji.name] = emoji
    return tuple(mentions.values()), tuple(hashtags.values()), tuple(emojis.values())


def _parse_emoji(tag: dict[str, Any]) -> Emoji | None:
    name = short_text(tag.get("name"))
    name = name.strip(":") if name else None
    icon = next(iter_dicts(tag.get("icon"), MAX_LINKS), None)
    url = pick_url(icon.get("url"), prefer="image/") if icon is not None else None
    if not name or url is None:
        return None
    return Emoji(name=name, url=url, id=first_id(tag.get("id")), media_type=media_type_of(icon))


def parse_attachments(value: Any) -> tuple[Attachment, ...]:
    """Media and link attachments, at most ``MAX_ATTACHMENTS``; entries without an http(s) URL are dropped."""
    found: list[Attachment] = []
    for item in as_list(value, MAX_ATTACHMENTS * 2):
        attachment = _parse_attachment(item)
        if attachment is not None:
            found.append(attachment)
            if len(found) >= MAX_ATTACHMENTS:
                break
    return tuple(found)


def _parse_attachment(item: Any) -> Attachment | None:
    if isinstance(item, str):
        return Attachment(url=item, type="Link") if is_http_url(item) else None
    if not isinstance(item, dict):
        return None
    types = get_types(item)
    if _PROFILE_ATTACHMENT_TYPES.intersection(types):
        return None
    url = pick_url(item.get("url"), prefer=_media_family(item)) or link_href({"href": item.get("href")})
    if url is None:
        return None
    name = text(item.get("name"), MAX_NAME_LENGTH)
    return Attachment(
        url=url,
        type=types[0] if types else "Document",
        media_type=media_type_of(item),
        name=name or None,
        blurhash=short_text(item.get("blurhash")),
        width=_dimension(item.get("width")),
        height=_dimension(item.get("height")),
        focal_point=_focal_point(item.get("focalPoint")),
    )


def _media_family(item: dict[str, Any]) -> str:
    media_type = media_type_of(item)
    return media_type.split("/")[0] + "/" if media_type else ""


def _dimension(value: Any) -> int | None:
    count = parse_count(value)
    return count if count is not None and 0 < count <= _MAX_DIMENSION else None


def _focal_point(value: Any) -> tuple[float, float] | None:
    """Mastodon's ``focalPoint`` ``[x, y]``, each in [-1, 1]."""
    if not isinstance(value, list) or len(value) != 2:
        return None
    x, y = value
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (x, y)):
        return None
    fx, fy = float(x), float(y)
    if not all(math.isfinite(v) and -1.0 <= v <= 1.0 for v in (fx, fy)):
        return None
    return (fx, fy)


def image_url(value: Any) -> str | None:
    """The URL of an ``icon``/``image``: an Image object, a URL, or an array of Images (largest wins)."""
    best: tuple[int, str] | None = None
    for item in as_list(value, MAX_LINKS):
        if isinstance(item, str):
            url = item if is_http_url(item) else None
            width = 0
        elif isinstance(item, dict):
            url = pick_url(item.get("url"), prefer="image/") or link_href({"href": item.get("href")})
            width = _dimension(item.get("width")) or 0
        else:
            continue
        if url is not None and (best is None or width > best[0]):
            best = (width, url)
    return best[1] if best is not None else None


def parse_fields(value: Any) -> tuple[Field, ...]:
    """Profile fields: the ``PropertyValue`` entries of an actor's ``attachment``."""
    found: list[Field] = []
    for item in iter_dicts(value, MAX_FIELDS * 2):
        if "PropertyValue" not in get_types(item):
            continue
        name = text(item.get("name"), MAX_FIELD_LENGTH)
        field_value = text(item.get("value"), MAX_FIELD_LENGTH)
        if name and field_value is not None:
            found.append(Field(name=name, value=field_value))
            if len(found) >= MAX_FIELDS:
                break
    return tuple(found)


def parse_poll(doc: dict[str, Any]) -> Poll | None:
    """The poll of a ``Question``; ``None`` when it lists no usable option.

    A non-empty ``anyOf`` means multiple choice. Pleroma sends both ``anyOf: []``
    and ``oneOf: [...]``, so an empty ``anyOf`` does not win over ``oneOf``.
    Options repeating an earlier name are dropped: votes name the option.
    """
    any_of = list(iter_dicts(doc.get("anyOf"), MAX_POLL_OPTIONS))
    one_of = list(iter_dicts(doc.get("oneOf"), MAX_POLL_OPTIONS))
    multiple = bool(any_of)
    options: dict[str, PollOption] = {}
    for item in any_of or one_of:
        name = text(item.get("name"), MAX_NAME_LENGTH)
        if not name or name in options:
            continue
        replies = item.get("replies")
        votes = parse_count(replies.get("totalItems")) if isinstance(replies, dict) else None
        options[name] = PollOption(name=name, votes=votes)
    if not options:
        return None
    closed_raw = doc.get("closed")
    closed_at = parse_datetime(closed_raw)
    voters_count = parse_count(doc.get("votersCount"))
    voters = doc.get("voters")
    if voters_count is None and isinstance(voters, list):
        voters_count = len(voters)  # Pleroma lists the voters instead of counting them
    return Poll(
        options=tuple(options.values()),
        multiple=multiple,
        end_time=parse_datetime(doc.get("endTime")),
        closed=closed_at is not None or parse_bool(closed_raw) is True,
        closed_at=closed_at,
        voters_count=voters_count,
    )
