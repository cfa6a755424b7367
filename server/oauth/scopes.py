"""Mastodon's OAuth scope model: top-level scopes that imply granular ones, and the check an endpoint makes.

`read` grants every `read:*`, `write` every `write:*`, `admin:read` every `admin:read:*`,
`admin:write` every `admin:write:*`; the legacy `follow` grants reading and changing follows,
blocks and mutes. `profile` grants only GET /api/v1/accounts/verify_credentials. `push` opens
/api/v1/push/subscription (Web Push). See
https://docs.joinmastodon.org/api/oauth-scopes/.
"""

from __future__ import annotations

from collections.abc import Iterable

READ = ("accounts", "blocks", "bookmarks", "favourites", "filters", "follows", "lists", "mutes", "notifications",
        "search", "statuses")
WRITE = ("accounts", "blocks", "bookmarks", "conversations", "favourites", "filters", "follows", "lists", "media",
         "mutes", "notifications", "reports", "statuses")
ADMIN = ("accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks", "email_domain_blocks",
         "canonical_email_blocks")
FOLLOW = frozenset({"read:blocks", "write:blocks", "read:follows", "write:follows", "read:mutes", "write:mutes"})

_CHILDREN: dict[str, frozenset[str]] = {
    "read": frozenset(f"read:{s}" for s in READ),
    "write": frozenset(f"write:{s}" for s in WRITE),
    "admin:read": frozenset(f"admin:read:{s}" for s in ADMIN),
    "admin:write": frozenset(f"admin:write:{s}" for s in ADMIN),
    "follow": FOLLOW,
}
ALL: tuple[str, ...] = (
    "read", *sorted(_CHILDREN["read"]), "write", *sorted(_CHILDREN["write"]), "follow", "push", "profile",
    "admin:read", *sorted(_CHILDREN["admin:read"]), "admin:write", *sorted(_CHILDREN["admin:write"]),
)
_KNOWN = frozenset(ALL)
DEFAULT = "read"
MAX_SCOPES_LENGTH = 2000


class InvalidScope(ValueError):
    """A requested scope does not exist."""


def parse(text: str | None, *, default: str = DEFAULT) -> list[str]:
    """Space-separated scopes (Mastodon also accepts `+`, a form-encoded space) → a list, in order, unique.

    Raises InvalidScope naming the first unknown scope.
    """
    text = (text or "").strip()[:MAX_SCOPES_LENGTH]
    if not text:
        text = default
    result: list[str] = []
    for scope in text.replace("+", " ").split():
        if scope not in _KNOWN:
            raise InvalidScope(scope)
        if scope not in result:
            result.append(scope)
    return result


def expand(granted: Iterable[str]) -> frozenset[str]:
    """Every scope a token holding `granted` may use."""
    result: set[str] = set()
    for scope in granted:
        result.add(scope)
        result |= _CHILDREN.get(scope, frozenset())
    return frozenset(result)


def allows(expanded: frozenset[str], required: Iterable[str]) -> bool:
    """Whether a token with these (expanded) scopes may call an endpoint that accepts any of `required`."""
    return any(scope in expanded for scope in required)


def is_subset(requested: Iterable[str], registered: Iterable[str]) -> bool:
    """Whether every requested scope is covered by what the app registered (`read` covers `read:lists`)."""
    covered = expand(registered)
    return all(scope in covered for scope in requested)
