"""Builders of activities (Create, Update, Delete, Follow, Accept, Undo, Like, Announce…) and poll votes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from activitypub.build_base import Document, document, embed, timestamp
from activitypub.constants import AS_PUBLIC


def _addressing(obj: str | Document, to: Sequence[str] | None, cc: Sequence[str] | None) -> tuple[Any, Any]:
    """Explicit to/cc, else the embedded object's own (Mastodon copies them onto Create/Update)."""
    source = obj if isinstance(obj, dict) else {}
    return (
        list(to) if to is not None else source.get("to"),
        list(cc) if cc is not None else source.get("cc"),
    )


def build_create(
    activity_id: str,
    actor: str,
    obj: Document,
    *,
    published: datetime | None = None,
    to: Sequence[str] | None = None,
    cc: Sequence[str] | None = None,
) -> Document:
    """``Create`` of a post; addressed like the post unless ``to``/``cc`` are given."""
    to_list, cc_list = _addressing(obj, to, cc)
    return document(
        {
            "id": activity_id,
            "type": "Create",
            "actor": actor,
            "published": timestamp(published),
            "to": to_list,
            "cc": cc_list,
            "object": embed(obj),
        }
    )


def build_update(
    activity_id: str,
    actor: str,
    obj: Document,
    *,
    published: datetime | None = None,
    to: Sequence[str] | None = None,
    cc: Sequence[str] | None = None,
) -> Document:
    """``Update`` of a post (addressed like it) or of an actor (an object without ``to``: Public)."""
    if to is None and "to" not in obj:
        to = [AS_PUBLIC]
    to_list, cc_list = _addressing(obj, to, cc)
    return document(
        {
            "id": activity_id,
            "type": "Update",
            "actor": actor,
            "published": timestamp(published),
            "to": to_list,
            "cc": cc_list,
            "object": embed(obj),
        }
    )


def build_delete(
    activity_id: str,
    actor: str,
    obj: str | Document,
    *,
    to: Sequence[str],
    cc: Sequence[str] = (),
) -> Document:
    """``Delete`` of a post (give its Tombstone) or of the actor itself (give its IRI).

    Address it like the deleted post, so every server that got it learns it is gone and no
    other server learns it existed; an account deletion goes to Public.
    """
    return document(
        {
            "id": activity_id,
            "type": "Delete",
            "actor": actor,
            "to": list(to),
            "cc": list(cc) or None,
            "object": embed(obj),
        }
    )


def build_follow(activity_id: str, actor: str, followed: str) -> Document:
    """``Follow`` of another actor."""
    return document({"id": activity_id, "type": "Follow", "actor": actor, "object": followed})


def build_accept(activity_id: str, actor: str, follow: str | Document) -> Document:
    """``Accept`` of a Follow; embed the Follow (Mastodon expects it) or give its IRI."""
    return _respond("Accept", activity_id, actor, follow)


def build_reject(activity_id: str, actor: str, follow: str | Document) -> Document:
    """``Reject`` of a Follow (refused request, or removal of a follower)."""
    return _respond("Reject", activity_id, actor, follow)


def _respond(kind: str, activity_id: str, actor: str, follow: str | Document) -> Document:
    follower = follow.get("actor") if isinstance(follow, dict) else None
    return document(
        {
            "id": activity_id,
            "type": kind,
            "actor": actor,
            "to": [follower] if isinstance(follower, str) else None,
            "object": embed(follow),
        }
    )


def build_undo(
    activity_id: str,
    actor: str,
    activity: Document,
    *,
    to: Sequence[str] | None = None,
    cc: Sequence[str] | None = None,
) -> Document:
    """``Undo`` of one of our activities (Follow, Like, Announce, Block), embedded whole."""
    to_list, cc_list = _addressing(activity, to, cc)
    return document(
        {
            "id": activity_id,
            "type": "Undo",
            "actor": actor,
            "to": to_list,
            "cc": cc_list,
            "object": embed(activity),
        }
    )


def build_like(activity_id: str, actor: str, object_id: str, *, to: Sequence[str] = ()) -> Document:
    """``Like`` (favourite) of a post; ``to`` is usually the post's author."""
    return document(
        {"id": activity_id, "type": "Like", "actor": actor, "to": list(to) or None, "object": object_id}
    )


def build_announce(
    activity_id: str,
    actor: str,
    obj: str | Document,
    *,
    published: datetime,
    to: Sequence[str],
    cc: Sequence[str] = (),
) -> Document:
    """``Announce`` (boost) of a post by IRI, or a Group relaying an activity.

    An embedded activity is kept exactly as received, @context included, so it
    can still be verified (FEP-1b12). Only public and unlisted posts may be
    announced (SECURITY-CASES 23): the caller checks, this builder does not know.
    """
    return document(
        {
            "id": activity_id,
            "type": "Announce",
            "actor": actor,
            "published": timestamp(published),
            "to": list(to),
            "cc": list(cc),
            "object": obj,
        }
    )


def build_block(activity_id: str, actor: str, blocked: str) -> Document:
    """``Block`` of an actor."""
    return document({"id": activity_id, "type": "Block", "actor": actor, "object": blocked})


def build_flag(
    activity_id: str, actor: str, object_ids: Sequence[str], *, content: str | None = None
) -> Document:
    """``Flag`` (report): the reported actor then the reported posts; ``content`` is the comment.

    Mastodon sends reports from its instance actor so the reporter stays anonymous.
    """
    return document(
        {"id": activity_id, "type": "Flag", "actor": actor, "content": content, "object": list(object_ids)}
    )


def build_move(activity_id: str, actor: str, target: str) -> Document:
    """``Move`` of an account to ``target``, which must list ``actor`` in its ``alsoKnownAs``."""
    return document({"id": activity_id, "type": "Move", "actor": actor, "object": actor, "target": target})


def build_poll_vote(
    activity_id: str, vote_id: str, actor: str, question_id: str, question_author: str, option_name: str
) -> Document:
    """A vote, Mastodon style: ``Create`` of a Note named after the option, replying to the poll.

    One such activity per chosen option, addressed only to the poll's author.
    """
    vote = {
        "id": vote_id,
        "type": "Note",
        "name": option_name,
        "attributedTo": actor,
        "inReplyTo": question_id,
        "to": [question_author],
    }
    return document(
        {"id": activity_id, "type": "Create", "actor": actor, "to": [question_author], "object": vote}
    )
