"""Builders of posts: Note (and Article), Question (poll), Tombstone, and their tags and attachments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from activitypub.build_base import Document, compact, document, timestamp
from activitypub.model import Attachment, Emoji, Hashtag, Mention, Poll, PollOption


def build_mention(mention: Mention) -> Document:
    """A ``Mention`` tag."""
    return compact({"type": "Mention", "href": mention.href, "name": mention.name})


def build_hashtag(hashtag: Hashtag) -> Document:
    """A ``Hashtag`` tag; the name goes out with its ``#``, as Mastodon sends it."""
    return compact({"type": "Hashtag", "href": hashtag.href, "name": f"#{hashtag.name}"})


def build_emoji(emoji: Emoji) -> Document:
    """A custom emoji tag (``toot:Emoji``); the name goes out as ``:shortcode:``."""
    icon = compact({"type": "Image", "mediaType": emoji.media_type, "url": emoji.url})
    return compact({"id": emoji.id, "type": "Emoji", "name": f":{emoji.name}:", "icon": icon})


def build_attachment(attachment: Attachment) -> Document:
    """A media attachment; ``name`` carries the alt text."""
    focal = list(attachment.focal_point) if attachment.focal_point is not None else None
    return compact(
        {
            "type": attachment.type,
            "mediaType": attachment.media_type,
            "url": attachment.url,
            "name": attachment.name,
            "blurhash": attachment.blurhash,
            "focalPoint": focal,
            "width": attachment.width,
            "height": attachment.height,
        }
    )


def build_note(
    *,
    note_id: str,
    attributed_to: str,
    content_html: str,
    published: datetime,
    to: Sequence[str],
    cc: Sequence[str],
    object_type: str = "Note",
    url: str | None = None,
    name: str | None = None,
    summary: str | None = None,
    sensitive: bool = False,
    in_reply_to: str | None = None,
    context: str | None = None,
    audience: str | None = None,
    language: str | None = None,
    updated: datetime | None = None,
    mentions: Sequence[Mention] = (),
    hashtags: Sequence[Hashtag] = (),
    emojis: Sequence[Emoji] = (),
    attachments: Sequence[Attachment] = (),
) -> Document:
    """A post (``Note`` by default, ``Article`` for long form). ``language`` adds a ``contentMap``.

    ``context`` goes out both as ``context`` and as Mastodon's ``conversation``.
    """
    tags = [
        *(build_mention(m) for m in mentions),
        *(build_hashtag(h) for h in hashtags),
        *(build_emoji(e) for e in emojis),
    ]
    return document(
        {
            "id": note_id,
            "type": object_type,
            "attributedTo": attributed_to,
            "name": name,
            "summary": summary or None,
            "sensitive": sensitive,
            "content": content_html,
            "contentMap": {language: content_html} if language else None,
            "inReplyTo": in_reply_to,
            "published": timestamp(published),
            "updated": timestamp(updated),
            "url": url,
            "to": list(to),
            "cc": list(cc),
            "audience": audience,
            "context": context,
            "conversation": context,
            "tag": tags,
            "attachment": [build_attachment(a) for a in attachments],
        }
    )


def build_poll_option(option: PollOption) -> Document:
    """One answer of a ``Question``, its votes as ``replies.totalItems``."""
    return {
        "type": "Note",
        "name": option.name,
        "replies": {"type": "Collection", "totalItems": option.votes or 0},
    }


def build_question(note: Document, poll: Poll) -> Document:
    """A poll: the post from :func:`build_note` as a ``Question`` with its options.

    ``anyOf`` carries multiple-choice options, ``oneOf`` single-choice ones.
    ``closed`` is sent (with ``closed_at``) once the poll has ended, as Mastodon does.
    """
    question = {**note, "type": "Question"}
    question["anyOf" if poll.multiple else "oneOf"] = [build_poll_option(o) for o in poll.options]
    question.update(
        compact(
            {
                "endTime": timestamp(poll.end_time),
                "closed": timestamp(poll.closed_at) if poll.closed else None,
                "votersCount": poll.voters_count,
            }
        )
    )
    return question


def build_tombstone(
    object_id: str, *, former_type: str | None = None, deleted: datetime | None = None
) -> Document:
    """What a deleted object becomes: served at its id (410) and sent in Delete."""
    return document(
        {"id": object_id, "type": "Tombstone", "formerType": former_type, "deleted": timestamp(deleted)}
    )
