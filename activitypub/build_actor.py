"""Builders of actor documents (Person, Group, Application) with keys, fields and employee data."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

from activitypub.build_base import Document, compact, document, timestamp
from activitypub.build_object import build_emoji
from activitypub.constants import (
    ATRIUM_DEPARTMENT,
    ATRIUM_JOB_TITLE,
    ATRIUM_MANAGER,
    ATRIUM_OFFICE_LOCATION,
    ATRIUM_PRONOUNS,
)
from activitypub.model import Emoji, EmployeeInfo, Field

# Profile-field labels mirroring the employee data, for peers that do not read atrium: terms.
EMPLOYEE_FIELD_NAMES = {
    "department": "Department",
    "title": "Title",
    "manager": "Manager",
    "location": "Location",
    "pronouns": "Pronouns",
}


def build_public_key(key_id: str, owner: str, public_key_pem: str) -> Document:
    """The ``publicKey`` object of an actor (security/v1)."""
    return {"id": key_id, "owner": owner, "publicKeyPem": public_key_pem}


def build_field(name: str, value_html: str) -> Document:
    """A profile field as a ``PropertyValue``; ``value_html`` is already-safe HTML."""
    return {"type": "PropertyValue", "name": name, "value": value_html}


def build_image(url: str, media_type: str | None = None) -> Document:
    """An ``Image`` for ``icon`` (avatar) or ``image`` (header)."""
    return compact({"type": "Image", "mediaType": media_type, "url": url})


def employee_fields(employee: EmployeeInfo, manager_label: str | None = None) -> list[Field]:
    """The employee data as profile fields (escaped text; the manager as a link)."""
    fields: list[Field] = []
    for key, label in EMPLOYEE_FIELD_NAMES.items():
        value = getattr(employee, key)
        if not value:
            continue
        if key == "manager":
            text = html.escape(manager_label or value)
            rendered = f'<a href="{html.escape(value)}" rel="nofollow noopener noreferrer">{text}</a>'
        else:
            rendered = html.escape(value)
        fields.append(Field(name=label, value=rendered))
    return fields


def build_actor(
    *,
    actor_id: str,
    username: str,
    inbox: str,
    outbox: str,
    followers: str,
    following: str,
    public_key_pem: str,
    actor_type: str = "Person",
    key_id: str | None = None,
    name: str | None = None,
    summary_html: str | None = None,
    url: str | None = None,
    featured: str | None = None,
    shared_inbox: str | None = None,
    icon_url: str | None = None,
    icon_media_type: str | None = None,
    image_url: str | None = None,
    image_media_type: str | None = None,
    manually_approves_followers: bool = False,
    discoverable: bool = False,
    fields: Sequence[Field] = (),
    employee: EmployeeInfo | None = None,
    manager_label: str | None = None,
    emojis: Sequence[Emoji] = (),
    published: datetime | None = None,
    also_known_as: Sequence[str] = (),
    moved_to: str | None = None,
    moderators: str | None = None,
) -> Document:
    """An actor document. ``key_id`` defaults to ``{actor_id}#main-key``.

    Employee data goes out twice: as ``atrium:`` terms (exact, for Atrium peers)
    and appended to the profile fields (for Mastodon-family peers). For a Group
    (FEP-1b12), ``moderators`` is the moderators collection, sent as ``attributedTo``.
    """
    employee = employee or EmployeeInfo()
    all_fields = [*fields, *employee_fields(employee, manager_label)]
    return document(
        {
            "id": actor_id,
            "type": actor_type,
            "preferredUsername": username,
            "name": name,
            "summary": summary_html,
            "url": url,
            "inbox": inbox,
            "outbox": outbox,
            "followers": followers,
            "following": following,
            "featured": featured,
            "attributedTo": moderators,
            "endpoints": {"sharedInbox": shared_inbox} if shared_inbox else None,
            "manuallyApprovesFollowers": manually_approves_followers,
            "discoverable": discoverable,
            "published": timestamp(published),
            "publicKey": build_public_key(key_id or f"{actor_id}#main-key", actor_id, public_key_pem),
            "icon": build_image(icon_url, icon_media_type) if icon_url else None,
            "image": build_image(image_url, image_media_type) if image_url else None,
            "attachment": [build_field(f.name, f.value) for f in all_fields],
            "tag": [build_emoji(emoji) for emoji in emojis],
            "alsoKnownAs": list(also_known_as) or None,
            "movedTo": moved_to,
            ATRIUM_DEPARTMENT: employee.department,
            ATRIUM_JOB_TITLE: employee.title,
            ATRIUM_MANAGER: employee.manager,
            ATRIUM_OFFICE_LOCATION: employee.location,
            ATRIUM_PRONOUNS: employee.pronouns,
        }
    )
