"""What inbox handlers share: their context, their outcomes, and budgeted remote lookups.

A handler reads, fetches what it lacks, then returns an `Apply`: the database writes, which
federation.process runs in the transaction that marks the inbox item done. Network I/O never
happens inside that transaction. A handler refuses with `Ignored(reason)` (final) or asks for
`RetryLater(reason)` (a fetch that may succeed later).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from activitypub.parse_activity import ParsedActivity
from federation.fetch import Fetcher, FetchError
from federation.instance import Instance
from federation.policy import domain_of
from storage import accounts, outbox
from storage.db import Database, Executor, Row

Apply = Callable[[Executor], Awaitable[None]]

# Fetches one incoming activity may cause (a boosted post and its author, a parent post…):
# a hostile activity cannot make us fetch more than this (SECURITY-CASES 17).
FETCH_BUDGET = 4


class Ignored(Exception):
    """The activity is understood and deliberately not applied (the reason is kept on the row)."""


class RetryLater(Exception):
    """The activity cannot be applied yet (a needed fetch failed for a reason that may pass)."""


@dataclass(frozen=True)
class KnownPosts:
    """What was looked up at once about the posts a batch of items creates (federation.batch)."""

    checked: frozenset[str]
    tombstoned: frozenset[str]
    stored: frozenset[str]


@dataclass
class Context:
    """One inbox item being handled."""

    db: Database
    instance: Instance
    fetcher: Fetcher
    activity: ParsedActivity
    actor: Row                      # the signer's account, who `activity.actor` is
    item_id: int
    recipient_account_id: int | None = None
    fetch_budget: int = FETCH_BUDGET
    enqueued: list[str] = field(default_factory=list)
    known_posts: KnownPosts | None = None   # batch lookups; the database is asked about any other post

    @property
    def actor_id(self) -> int:
        return int(self.actor["id"])

    @property
    def actor_domain(self) -> str:
        return domain_of(str(self.actor["uri"]))

    @property
    def actor_is_peer(self) -> bool:
        return self.instance.policy.is_peer(self.actor_domain)

    def spend_fetch(self, uri: str) -> None:
        """Count one fetch against the budget; Ignored once it is spent."""
        if self.fetch_budget <= 0:
            raise Ignored(f"fetch budget exhausted before {uri[:200]}")
        self.fetch_budget -= 1

    async def fetch_document(self, uri: str) -> dict[str, Any]:
        """A remote document from its origin (budgeted)."""
        self.spend_fetch(uri)
        try:
            return await self.fetcher.fetch_document(uri)
        except FetchError as error:
            if error.retryable:
                raise RetryLater(str(error)) from None
            raise Ignored(str(error)) from None

    async def account(self, uri: str) -> Row:
        """The account of actor `uri`: known already, or fetched from its origin (budgeted)."""
        if uri == self.actor["uri"]:
            return self.actor
        row = await accounts.get_by_uri(self.db, uri)
        if row is not None:
            return row
        if self.instance.is_local(uri):
            raise Ignored(f"no local actor {uri[:200]}")
        self.spend_fetch(uri)
        try:
            return await self.fetcher.get_actor(uri)
        except FetchError as error:
            if error.retryable:
                raise RetryLater(str(error)) from None
            raise Ignored(str(error)) from None

    async def enqueue(
        self, tx: Executor, activity: dict[str, Any], *, account_id: int, audience: dict[str, Any],
        object_uri: str | None = None,
    ) -> None:
        """Queue an outgoing activity (an Accept, a Reject…) in the handler's transaction."""
        await outbox.enqueue(
            tx,
            activity_id=str(activity["id"]),
            activity_type=str(activity["type"]),
            account_id=account_id,
            body=activity,
            audience=audience,
            object_uri=object_uri,
        )
        self.enqueued.append(str(activity["id"]))
