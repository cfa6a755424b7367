"""WebFinger client: `@user@host` → the actor it names, with the round trip checked.

The answer's `subject` must be the resource we asked for and its `self` link an ActivityPub
type (SECURITY-CASES 8). The actor is then fetched from its origin, and when its own handle
(`preferredUsername@its host`) differs from the one asked, WebFinger of that handle must point
back to the same actor id, so no host can claim another host's users.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import orjson

from activitypub.parse_discovery import ParsedWebFinger
from activitypub.values import DocumentError
from federation.fetch import Fetcher, FetchError
from federation.http import HttpError
from federation.policy import domain_of
from storage.db import Row

_HANDLE = re.compile(r"^@?([A-Za-z0-9_.~-]{1,64})@([A-Za-z0-9.-]{1,253}(?::\d{1,5})?)$")
MAX_JRD_BYTES = 64 * 1024


class WebFingerError(Exception):
    """A handle that does not resolve to an actor we accept."""


def parse_handle(handle: str) -> tuple[str, str]:
    """`@alice@paris.example`, `alice@paris.example` or `acct:alice@paris.example` → (user, domain)."""
    value = handle.strip()
    if value.lower().startswith("acct:"):
        value = value[5:]
    match = _HANDLE.match(value)
    if match is None:
        raise WebFingerError(f"not a user@host handle: {handle[:100]!r}")
    return match.group(1), match.group(2).lower()


async def lookup(fetcher: Fetcher, user: str, domain: str) -> str:
    """The actor id WebFinger on `domain` gives for `acct:user@domain`; checks the subject."""
    resource = f"acct:{user}@{domain}"
    url = f"{fetcher.instance.scheme}://{domain}/.well-known/webfinger?resource={quote(resource, safe=':@')}"
    try:
        response = await fetcher.http.get(
            url, accept="application/jrd+json, application/json", max_bytes=MAX_JRD_BYTES
        )
    except HttpError as error:
        raise WebFingerError(f"WebFinger of {resource}: {error}") from None
    if response.status != 200:
        raise WebFingerError(f"WebFinger of {resource}: HTTP {response.status}")
    try:
        answer = ParsedWebFinger.from_document(orjson.loads(response.body))
    except (orjson.JSONDecodeError, DocumentError) as error:
        raise WebFingerError(f"WebFinger of {resource}: {error}") from None
    if answer.subject.lower() != resource.lower():
        raise WebFingerError(f"WebFinger of {resource} answered for {answer.subject[:200]!r}")
    return answer.actor_id


async def resolve(fetcher: Fetcher, handle: str) -> Row:
    """The account row of a remote `@user@host`, fetched from its origin and stored."""
    user, domain = parse_handle(handle)
    if domain == fetcher.instance.domain:
        raise WebFingerError("a local handle: look it up locally")
    if not fetcher.instance.policy.allow(domain):
        raise WebFingerError(f"{domain} is not a host this instance federates with")
    actor_id = await lookup(fetcher, user, domain)
    try:
        account = await fetcher.get_actor(actor_id, refresh=True)
    except FetchError as error:
        raise WebFingerError(f"{actor_id[:200]}: {error}") from None
    actor_domain = domain_of(actor_id)
    if (str(account["username"]).lower(), actor_domain) != (user.lower(), domain):
        # The actor lives elsewhere or under another name: its own handle must lead back to it.
        back = await lookup(fetcher, str(account["username"]), actor_domain)
        if back != actor_id:
            raise WebFingerError(f"{handle[:100]} names {actor_id[:200]}, which does not name itself so")
    return account
