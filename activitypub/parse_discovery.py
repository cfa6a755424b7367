"""Parsing of WebFinger answers (RFC 7033 JRD) into the actor they point to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from activitypub.constants import ACTIVITY_JSON, OSTATUS_SUBSCRIBE, WEBFINGER_PROFILE_PAGE
from activitypub.limits import MAX_ALIASES, MAX_IRI_LENGTH, MAX_LINKS
from activitypub.values import DocumentError, ids, is_http_url, iter_dicts, require_document


def is_activitypub_media_type(value: Any) -> bool:
    """True for ``application/activity+json`` or ActivityStreams ``application/ld+json`` (any spacing)."""
    if not isinstance(value, str) or len(value) > 200:
        return False
    essence, _, params = value.partition(";")
    essence = essence.strip().lower()
    if essence == ACTIVITY_JSON:
        return True
    return essence == "application/ld+json" and "https://www.w3.org/ns/activitystreams" in params


@dataclass(frozen=True, slots=True)
class ParsedWebFinger:
    """A WebFinger answer. ``actor_id`` comes only from a ``self`` link of an ActivityPub type.

    The caller must still compare ``subject`` with the resource it asked for
    (SECURITY-CASES 8).
    """

    subject: str
    actor_id: str
    aliases: tuple[str, ...] = ()
    profile_page: str | None = None
    subscribe_template: str | None = None

    @classmethod
    def from_document(cls, doc: Any) -> ParsedWebFinger:
        """Read a JRD; :class:`DocumentError` without a ``subject`` or an ActivityPub ``self`` link."""
        doc = require_document(doc)
        subject = doc.get("subject")
        if not isinstance(subject, str) or not 0 < len(subject) <= MAX_IRI_LENGTH:
            raise DocumentError("WebFinger answer has no subject")
        actor_id = profile_page = template = None
        for link in iter_dicts(doc.get("links"), MAX_LINKS):
            rel, href = link.get("rel"), link.get("href")
            if rel == "self" and actor_id is None and is_activitypub_media_type(link.get("type")):
                actor_id = href if is_http_url(href) else None
            elif rel == WEBFINGER_PROFILE_PAGE and profile_page is None and is_http_url(href):
                profile_page = href
            elif rel == OSTATUS_SUBSCRIBE and template is None:
                candidate = link.get("template")
                template = (
                    candidate if isinstance(candidate, str) and len(candidate) <= MAX_IRI_LENGTH else None
                )
        if actor_id is None:
            raise DocumentError(f"WebFinger answer for {subject} has no ActivityPub self link")
        return cls(
            subject=subject,
            actor_id=actor_id,
            aliases=ids(doc.get("aliases"), MAX_ALIASES),
            profile_page=profile_page,
            subscribe_template=template,
        )
