"""Parsing of remote actors: Person, Group, Application, Organization, Service."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from activitypub.constants import (
    ACTOR_TYPES,
    ATRIUM_DEPARTMENT,
    ATRIUM_JOB_TITLE,
    ATRIUM_MANAGER,
    ATRIUM_NS,
    ATRIUM_OFFICE_LOCATION,
    ATRIUM_PRONOUNS,
)
from activitypub.limits import (
    MAX_ALIASES,
    MAX_FIELD_LENGTH,
    MAX_LINKS,
    MAX_NAME_LENGTH,
    MAX_PEM_LENGTH,
    MAX_SUMMARY_LENGTH,
)
from activitypub.model import Emoji, EmployeeInfo, Field
from activitypub.parse_parts import image_url, parse_fields, parse_tags
from activitypub.times import parse_datetime
from activitypub.values import (
    DocumentError,
    first_id,
    ids,
    is_http_url,
    iter_dicts,
    parse_bool,
    pick_type,
    pick_url,
    prop,
    require_document,
    short_text,
    text,
)

# Profile field names (case-insensitive) read as employee data when no atrium: term is sent.
_FIELD_NAMES = {
    "department": ("department",),
    "title": ("title", "job title", "position", "role"),
    "manager": ("manager",),
    "location": ("location", "office"),
    "pronouns": ("pronouns",),
}
_ATRIUM_TERMS = {
    "department": ATRIUM_DEPARTMENT,
    "title": ATRIUM_JOB_TITLE,
    "manager": ATRIUM_MANAGER,
    "location": ATRIUM_OFFICE_LOCATION,
    "pronouns": ATRIUM_PRONOUNS,
}
_HREF = re.compile(r"""href=["']([^"'<>\s]{1,2048})["']""")


@dataclass(frozen=True, slots=True)
class ParsedActor:
    """An actor document read from a peer. ``summary`` and field values are raw HTML."""

    id: str
    type: str
    inbox: str
    preferred_username: str | None = None
    name: str | None = None
    summary: str | None = None
    outbox: str | None = None
    shared_inbox: str | None = None
    followers: str | None = None
    following: str | None = None
    featured: str | None = None
    url: str | None = None
    icon_url: str | None = None
    image_url: str | None = None
    public_key_id: str | None = None
    public_key_pem: str | None = None
    manually_approves_followers: bool = False
    discoverable: bool = False
    fields: tuple[Field, ...] = ()
    emojis: tuple[Emoji, ...] = ()
    also_known_as: tuple[str, ...] = ()
    moved_to: str | None = None
    published: datetime | None = None
    moderators: str | None = None
    department: str | None = None
    title: str | None = None
    manager: str | None = None
    location: str | None = None
    pronouns: str | None = None

    @property
    def employee(self) -> EmployeeInfo:
        """The Atrium employee data as one value."""
        return EmployeeInfo(self.department, self.title, self.manager, self.location, self.pronouns)

    @classmethod
    def from_document(cls, doc: Any) -> ParsedActor:
        """Read an actor; :class:`DocumentError` without an http(s) id and inbox or for a non-actor type."""
        doc = require_document(doc)
        actor_type = pick_type(doc, ACTOR_TYPES, "actor")
        actor_id = doc.get("id")
        if not is_http_url(actor_id):
            raise DocumentError(f"{actor_type} id is not an http(s) URL")
        inbox = _http(doc.get("inbox"))
        if inbox is None:
            raise DocumentError(f"{actor_type} {actor_id} has no http(s) inbox")
        key_id, key_pem = _public_key(doc.get("publicKey"), actor_id)
        fields = parse_fields(doc.get("attachment"))
        employee = _employee(doc, fields)
        return cls(
            id=actor_id,
            type=actor_type,
            inbox=inbox,
            preferred_username=short_text(doc.get("preferredUsername")),
            name=_nonblank(text(doc.get("name"), MAX_NAME_LENGTH)),
            summary=_nonblank(text(doc.get("summary"), MAX_SUMMARY_LENGTH)),
            outbox=_http(doc.get("outbox")),
            shared_inbox=_shared_inbox(doc),
            followers=_http(doc.get("followers")),
            following=_http(doc.get("following")),
            featured=_http(doc.get("featured")),
            url=pick_url(doc.get("url")),
            icon_url=image_url(doc.get("icon")),
            image_url=image_url(doc.get("image")),
            public_key_id=key_id,
            public_key_pem=key_pem,
            manually_approves_followers=parse_bool(prop(doc, "manuallyApprovesFollowers"), False) is True,
            discoverable=parse_bool(prop(doc, "discoverable", "toot:discoverable"), False) is True,
            fields=fields,
            emojis=parse_tags(doc.get("tag"))[2],
            also_known_as=ids(doc.get("alsoKnownAs"), MAX_ALIASES),
            moved_to=first_id(doc.get("movedTo")),
            published=parse_datetime(doc.get("published")),
            # FEP-1b12: a Group's attributedTo is its moderators collection.
            moderators=first_id(doc.get("attributedTo")) if actor_type == "Group" else None,
            department=employee.department,
            title=employee.title,
            manager=employee.manager,
            location=employee.location,
            pronouns=employee.pronouns,
        )


def _nonblank(value: str | None) -> str | None:
    return value if value is not None and value.strip() else None


def _http(value: Any) -> str | None:
    """An http(s) IRI given as a string or as an embedded object's id."""
    found = first_id(value)
    return found if is_http_url(found) else None


def _shared_inbox(doc: dict[str, Any]) -> str | None:
    # Usually endpoints.sharedInbox; Kroeg sends `endpoints` as an IRI (no shared
    # inbox then) and Misskey and Discourse also put sharedInbox at the top level.
    endpoints = doc.get("endpoints")
    if isinstance(endpoints, dict):
        found = _http(endpoints.get("sharedInbox"))
        if found is not None:
            return found
    return _http(doc.get("sharedInbox"))


def _public_key(value: Any, actor_id: str) -> tuple[str | None, str | None]:
    """``(key id, PEM)`` of the actor's first RSA key.

    A key whose ``owner`` names another actor is ignored: it cannot sign for this
    one (SECURITY-CASES 2). A bare IRI gives the key id without a PEM.
    """
    if isinstance(value, str):
        return first_id(value), None
    for key in iter_dicts(value, MAX_LINKS):
        owner = first_id(key.get("owner"))
        if owner is not None and owner != actor_id:
            continue
        pem = text(key.get("publicKeyPem"), MAX_PEM_LENGTH)
        key_id = first_id(key.get("id"))
        if key_id is not None and pem is not None and "-----BEGIN" in pem:
            return key_id, pem
    return None, None


def _employee(doc: dict[str, Any], fields: tuple[Field, ...]) -> EmployeeInfo:
    """Employee data from ``atrium:`` terms, else from profile fields with well-known names."""
    by_name = {item.name.strip().lower(): item.value for item in fields}
    found: dict[str, str | None] = {}
    for key, term in _ATRIUM_TERMS.items():
        raw = prop(doc, term, f"atrium:{term}", f"{ATRIUM_NS}{term}")
        if key == "manager":
            value = _http(raw)
        else:
            value = _nonblank(text(raw, MAX_FIELD_LENGTH))
            value = value.strip() if value else None
        if value is None:
            field_value = next((by_name[n] for n in _FIELD_NAMES[key] if n in by_name), None)
            value = _manager_from_field(field_value) if key == "manager" else _nonblank(field_value)
        found[key] = value
    return EmployeeInfo(**found)


def _manager_from_field(value: str | None) -> str | None:
    """The manager's IRI in a field value: a bare URL, or the first link of Mastodon-style HTML."""
    if value is None:
        return None
    stripped = value.strip()
    if is_http_url(stripped):
        return stripped
    match = _HREF.search(value)
    href = html.unescape(match.group(1)) if match else None
    return href if is_http_url(href) else None
