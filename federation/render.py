"""Our rows → ActivityPub documents (the one place for this direction of conversion).

Used to serve actors and objects (server/routes_ap.py) and to build outgoing activities
(server/services/*). Everything is computed from rows plus the instance's `Urls` and company
audience IRI; nothing here does I/O.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from activitypub.audience import addressing_for
from activitypub.builders import (
    build_actor,
    build_announce,
    build_create,
    build_delete,
    build_note,
    build_question,
    build_tombstone,
    build_update,
)
from activitypub.model import Attachment, EmployeeInfo, Field, Hashtag, Mention, Poll, PollOption
from activitypub.urls import Urls
from storage.db import Row
from storage.hydrate import StatusBundle

MEDIA_TYPES = {"image": "Image", "video": "Video", "gifv": "Video", "audio": "Audio"}


def ms_to_datetime(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


def followers_url_of(account: Row) -> str:
    return account["followers_url"] or (account["uri"] + "/followers")


def actor_document(account: Row, urls: Urls, *, manager: Row | None = None) -> dict[str, Any]:
    """The actor document of a local account (Person, Group or the instance's Application)."""
    username = account["username"]
    fields = [Field(name=f.get("name", ""), value=f.get("value", "")) for f in json.loads(account["fields"] or "[]")]
    employee = EmployeeInfo(
        department=account["department"],
        title=account["title"],
        manager=manager["uri"] if manager is not None else account["manager_uri"],
        location=account["location"],
        pronouns=account["pronouns"],
    )
    manager_label = None
    if manager is not None:
        manager_label = manager["display_name"] or manager["username"]
    return build_actor(
        actor_id=account["uri"],
        username=username,
        inbox=account["inbox_url"],
        outbox=account["outbox_url"],
        followers=account["followers_url"],
        following=account["following_url"],
        featured=account["featured_url"],
        shared_inbox=account["shared_inbox_url"],
        public_key_pem=account["public_key_pem"],
        key_id=account["public_key_id"],
        actor_type=account["actor_type"],
        name=account["display_name"] or username,
        summary_html=account["note"] or "",
        url=account["url"],
        icon_url=urls.media(account["avatar_path"]) if account["avatar_path"] else None,
        icon_media_type="image/webp" if account["avatar_path"] else None,
        image_url=urls.media(account["header_path"]) if account["header_path"] else None,
        image_media_type="image/webp" if account["header_path"] else None,
        manually_approves_followers=bool(account["locked"]),
        discoverable=bool(account["discoverable"]),
        fields=fields,
        employee=employee,
        manager_label=manager_label,
        published=ms_to_datetime(account["created_at"]),
        also_known_as=json.loads(account["also_known_as"] or "[]"),
    )


def addressing(bundle: StatusBundle, company_iri: str) -> tuple[list[str], list[str]]:
    """(to, cc) of a status, from its visibility and mentions."""
    status = bundle.status
    return addressing_for(
        status["visibility"],
        followers_url_of(bundle.account),
        [m["uri"] for m in bundle.mentions],
        company_iri,
    )


def _attachment(media: Row, urls: Urls) -> Attachment:
    url = urls.media(media["file_path"]) if media["file_path"] else media["remote_url"]
    focal = None
    if media["focus_x"] is not None and media["focus_y"] is not None:
        focal = (float(media["focus_x"]), float(media["focus_y"]))
    return Attachment(
        url=url,
        type=MEDIA_TYPES.get(media["type"], "Document"),
        media_type=media["mime_type"],
        name=media["description"],
        blurhash=media["blurhash"],
        width=media["width"],
        height=media["height"],
        focal_point=focal,
    )


def note_document(bundle: StatusBundle, urls: Urls, company_iri: str) -> dict[str, Any]:
    """A status as a Note (or Question when it has a poll)."""
    status = bundle.status
    to, cc = addressing(bundle, company_iri)
    note = build_note(
        note_id=status["uri"],
        attributed_to=bundle.account["uri"],
        content_html=status["content"],
        published=ms_to_datetime(status["created_at"]) or datetime.now(UTC),
        updated=ms_to_datetime(status["edited_at"]),
        to=to,
        cc=cc,
        url=status["url"],
        summary=status["spoiler_text"] or None,
        sensitive=bool(status["sensitive"]),
        in_reply_to=status["in_reply_to_uri"],
        language=status["language"],
        mentions=[Mention(href=m["uri"], name=_handle(m, urls)) for m in bundle.mentions],
        hashtags=[Hashtag(name=t, href=urls.tag(t)) for t in bundle.tags],
        attachments=[_attachment(m, urls) for m in bundle.media],
    )
    if bundle.poll is not None:
        poll = bundle.poll.poll
        options = json.loads(poll["options"])
        expires = ms_to_datetime(poll["expires_at"])
        closed = expires is not None and expires <= datetime.now(UTC)
        note = build_question(
            note,
            Poll(
                options=tuple(PollOption(name=o, votes=c) for o, c in zip(options, bundle.poll.counts, strict=False)),
                multiple=bool(poll["multiple"]),
                end_time=expires,
                closed=closed,
                closed_at=expires if closed else None,
                voters_count=int(poll["voters_count"] or 0),
            ),
        )
    return note


def _handle(account: Row, urls: Urls) -> str:
    if account["domain"]:
        return f"@{account['username']}@{account['domain']}"
    return f"@{account['username']}@{urls.base.split('://', 1)[1]}"


def create_activity(bundle: StatusBundle, urls: Urls, company_iri: str) -> dict[str, Any]:
    note = note_document(bundle, urls, company_iri)
    return build_create(
        bundle.status["uri"] + "/activity", bundle.account["uri"], note,
        published=ms_to_datetime(bundle.status["created_at"]),
    )


def update_activity(bundle: StatusBundle, urls: Urls, company_iri: str) -> dict[str, Any]:
    note = note_document(bundle, urls, company_iri)
    edited = bundle.status["edited_at"] or bundle.status["created_at"]
    return build_update(
        f"{bundle.status['uri']}#updates/{edited}", bundle.account["uri"], note, published=ms_to_datetime(edited)
    )


def delete_activity(status: Row, author: Row, to: list[str], cc: list[str]) -> dict[str, Any]:
    tombstone = build_tombstone(status["uri"], former_type="Note", deleted=datetime.now(UTC))
    return build_delete(status["uri"] + "#delete", author["uri"], tombstone, to=to, cc=cc)


def announce_activity(boost: Row, booster: Row, original: Row, original_author: Row, to: list[str]) -> dict[str, Any]:
    """A boost, addressed like Mastodon's: `to` is Public for public posts, the company collection
    for company posts; cc the original author and the booster's followers."""
    return build_announce(
        boost["uri"], booster["uri"], original["uri"],
        published=ms_to_datetime(boost["created_at"]) or datetime.now(UTC),
        to=to,
        cc=[original_author["uri"], followers_url_of(booster)],
    )
