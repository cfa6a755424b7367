"""Atrium visibilities and the ActivityPub addressing (to/cc) that carries them.

The first four follow Mastodon (app/lib/activitypub/tag_manager.rb, #to and #cc)
so Mastodon-family peers show our posts with the visibility we meant:

=========== ========================== =============================
visibility  to                         cc
=========== ========================== =============================
public      Public                     followers + mentions
unlisted    followers                  Public + mentions
followers   followers                  mentions
direct      mentions                   —
company     company collection         mentions
local       never federated: ``addressing_for`` raises
=========== ========================== =============================

``company`` is Atrium's: visible to every member of the company's instances,
never to the public (SECURITY-CASES 28), so its addressing never holds Public.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from activitypub.constants import AS_PUBLIC
from activitypub.values import is_public

PUBLIC: Final = "public"
UNLISTED: Final = "unlisted"
FOLLOWERS: Final = "followers"
DIRECT: Final = "direct"
COMPANY: Final = "company"
LOCAL: Final = "local"

VISIBILITIES: Final = (PUBLIC, UNLISTED, FOLLOWERS, DIRECT, COMPANY, LOCAL)
FEDERATED_VISIBILITIES: Final = (PUBLIC, UNLISTED, FOLLOWERS, DIRECT, COMPANY)
# Visibilities whose posts must not be boosted or shown to non-addressees (SECURITY-CASES 23, 26).
LIMITED_VISIBILITIES: Final = frozenset({FOLLOWERS, DIRECT, COMPANY, LOCAL})


class AddressingError(ValueError):
    """A visibility cannot be expressed as ActivityPub addressing (``local``, unknown, or missing IRI)."""


def addressing_for(
    visibility: str,
    followers_url: str,
    mentioned_actor_ids: Iterable[str],
    company_iri: str | None,
) -> tuple[list[str], list[str]]:
    """``(to, cc)`` of a post of ``visibility`` whose author's followers collection is ``followers_url``.

    Mentions equal to a special collection (Public in any spelling, the
    followers collection, the company collection) are ignored, so a hostile
    mention list can never widen a limited post.
    """
    special = {followers_url, company_iri}
    mentions = list(dict.fromkeys(m for m in mentioned_actor_ids if not is_public(m) and m not in special))
    if visibility == PUBLIC:
        return [AS_PUBLIC], [followers_url, *mentions]
    if visibility == UNLISTED:
        return [followers_url], [AS_PUBLIC, *mentions]
    if visibility == FOLLOWERS:
        return [followers_url], mentions
    if visibility == DIRECT:
        return mentions, []
    if visibility == COMPANY:
        if not company_iri:
            raise AddressingError("company visibility needs the company collection IRI")
        return [company_iri], mentions
    if visibility == LOCAL:
        raise AddressingError("local posts are never federated")
    raise AddressingError(f"unknown visibility {visibility!r}")


def visibility_from_addressing(
    to: Iterable[str],
    cc: Iterable[str],
    followers_url_of_author: str | None,
    company_iri: str | None,
) -> str:
    """The visibility a received post was addressed with; the inverse of :func:`addressing_for`.

    Public in ``to`` → public; in ``cc`` → unlisted; else the company
    collection → company; else the author's followers → followers; else direct.
    Never answers ``local``.
    """
    to_list = list(to)
    cc_list = list(cc)
    if any(is_public(address) for address in to_list):
        return PUBLIC
    if any(is_public(address) for address in cc_list):
        return UNLISTED
    everyone = to_list + cc_list
    if company_iri and company_iri in everyone:
        return COMPANY
    if followers_url_of_author and followers_url_of_author in everyone:
        return FOLLOWERS
    return DIRECT
