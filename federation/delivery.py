"""Outgoing federation, stage two: expand queued activities into deliveries, and deliver them.

`expand` turns one `outbox_activities` row into one delivery per distinct inbox: followers (their
shared inbox when they have one), addressed accounts, explicit inboxes and, for the company
audience, every peer's shared inbox. Whatever the audience says, an inbox is kept only on a host
the policy allows, and company posts only on company peers (SECURITY-CASES 27, 28); local-only
posts are never delivered. A Delete cancels what is still queued about its object.

`deliver` makes one signed POST and records the outcome: done, gone (410), failed (a 4xx that
waiting will not fix, or two days of failures), or queued again with backoff
(federation.retry). The host's circuit breaker is consulted first and told the result.
"""

from __future__ import annotations

import json
import random
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from activitypub.constants import ACTIVITY_JSON
from activitypub.values import recipients
from federation.breaker import CircuitBreaker
from federation.http import HttpClient, HttpError, RequestRefused, Signer
from federation.instance import Instance
from federation.policy import FederationPolicy, domain_of
from federation.retry import DELIVERY_POLICY, RetryPolicy, decide
from storage import accounts, statuses
from storage import deliveries as store
from storage.db import Database, Row
from storage.ids import now_ms


@dataclass(frozen=True)
class _Activity:
    account_id: int
    body: bytes


def select_inboxes(
    candidates: Iterable[str], *, policy: FederationPolicy, own_domain: str, company_only: bool
) -> list[tuple[str, str]]:
    """(inbox URL, host) pairs we may deliver to, deduplicated, in first-seen order."""
    chosen: dict[str, str] = {}
    for url in candidates:
        host = domain_of(url) if isinstance(url, str) else ""
        if not host or host == own_domain or url in chosen:
            continue
        if not policy.allow(host) or (company_only and not policy.is_peer(host)):
            continue
        chosen[url] = host
    return list(chosen.items())


def _addresses(body: dict[str, Any]) -> set[str]:
    found = set(recipients(body.get("to"))) | set(recipients(body.get("cc")))
    embedded = body.get("object")
    if isinstance(embedded, dict):
        found |= set(recipients(embedded.get("to"))) | set(recipients(embedded.get("cc")))
    return found


class Delivery:
    """Expands and delivers outgoing activities for one instance."""

    def __init__(
        self,
        db: Database,
        instance: Instance,
        http: HttpClient,
        *,
        breaker: CircuitBreaker | None = None,
        retry_policy: RetryPolicy = DELIVERY_POLICY,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.db = db
        self.instance = instance
        self.http = http
        self.breaker = breaker or CircuitBreaker(db)
        self.retry_policy = retry_policy
        self.rand = rand
        self._activities: OrderedDict[int, _Activity] = OrderedDict()
        self._signers: dict[int, tuple[Signer, float]] = {}

    # --- stage one → two --------------------------------------------------------------------------

    async def inboxes_for(self, row: Row) -> list[tuple[str, str]] | None:
        """Where an outgoing activity goes; None when it must not be delivered at all."""
        body = json.loads(row["body"])
        audience = json.loads(row["audience"] or "{}")
        status = await statuses.get_by_uri(self.db, row["object_uri"]) if row["object_uri"] else None
        visibility = status["visibility"] if status is not None else None
        if visibility == "local":
            return None  # local-only: never leaves this instance
        if row["activity_type"] == "Announce" and visibility in ("followers", "direct"):
            return None  # SECURITY-CASES 23
        company_only = bool(
            audience.get("company") or visibility == "company" or self.instance.company_audience in _addresses(body)
        )
        candidates: list[str] = []
        if audience.get("followers"):
            for follower in await store.follower_inbox_rows(self.db, int(row["account_id"])):
                candidates.append(follower["shared_inbox_url"] or follower["inbox_url"])
        account_ids = [int(a) for a in audience.get("accounts") or [] if isinstance(a, int | str) and str(a).isdigit()]
        for account in await store.remote_inboxes(self.db, account_ids):
            candidates.append(account["shared_inbox_url"] or account["inbox_url"])
        candidates += [str(url) for url in audience.get("inboxes") or [] if isinstance(url, str)]
        if audience.get("company"):
            candidates += [self.instance.peer_shared_inbox(d) for d in self.instance.policy.peer_domains()]
        return select_inboxes(
            candidates, policy=self.instance.policy, own_domain=self.instance.domain, company_only=company_only
        )

    async def expand(self, row: Row) -> int | None:
        """Create the deliveries of a claimed outgoing activity; returns how many (None: cancelled)."""
        inboxes = await self.inboxes_for(row)
        async with self.db.transaction() as tx:
            if inboxes is None or not inboxes:
                await store.cancel_outbox(tx, row)
                created = None if inboxes is None else 0
            else:
                created = await store.expand(tx, row, inboxes)
            if row["activity_type"] == "Delete" and row["object_uri"] and created is not None:
                await store.cancel_for_object(tx, row["object_uri"], int(row["account_id"]), keep_outbox_id=int(row["id"]))
        return created

    # --- stage two: one POST ------------------------------------------------------------------------

    async def deliver(self, row: Row) -> str:
        """One attempt at a claimed delivery; returns its state afterwards (or `deferred`)."""
        delivery_id, token, host = int(row["id"]), int(row["locked_until"]), str(row["host"])
        now = now_ms()
        if not self.instance.policy.allow(host):
            await store.finish(self.db, delivery_id, token, "failed", error="host no longer allowed")
            return "failed"
        activity = await self._activity(int(row["outbox_activity_id"]))
        signer = await self._signer(activity.account_id) if activity is not None else None
        if activity is None or signer is None:
            await store.finish(self.db, delivery_id, token, "cancelled", error="the activity or its author is gone")
            return "cancelled"
        permit = await self.breaker.allow(host, now)
        if permit is None:
            await store.defer(self.db, delivery_id, token, await self.breaker.retry_at(host, now))
            return "deferred"
        status: int | None = None
        retry_after: str | None = None
        error: str | None = None
        try:
            response = await self.http.post(
                str(row["inbox_url"]), activity.body, content_type=ACTIVITY_JSON, signer=signer
            )
            status = response.status
            retry_after = response.headers.get("retry-after")
        except RequestRefused as refused:
            await store.finish(self.db, delivery_id, token, "failed", error=str(refused))
            return "failed"
        except HttpError as failure:
            error = str(failure)
        done_at = now_ms()
        if status is None or status >= 500:
            await self.breaker.record_failure(host, done_at, probe=permit == "probe")
        else:
            await self.breaker.record_success(host, done_at)
            if permit == "probe":
                # The peer is back: what waited for it (deferred or backing off) goes now, in order.
                await store.wake_host(self.db, host, done_at)
        decision = decide(
            status=status,
            attempt=int(row["attempts"]),
            elapsed=(done_at - int(row["created_at"])) / 1000,
            retry_after=retry_after,
            now=datetime.now(UTC),
            rand=self.rand(),
            policy=self.retry_policy,
        )
        reason = error or decision.reason
        if decision.kind == "retry" and decision.delay is not None:
            await store.retry_later(
                self.db, delivery_id, token, done_at + int(decision.delay * 1000), status=status, error=reason
            )
            return "queued"
        state = {"done": "done", "gone": "gone"}.get(decision.kind, "failed")
        await store.finish(self.db, delivery_id, token, state, status=status, error=None if state == "done" else reason)
        return state

    async def _activity(self, outbox_id: int) -> _Activity | None:
        cached = self._activities.get(outbox_id)
        if cached is not None:
            self._activities.move_to_end(outbox_id)
            return cached
        row = await store.activity_of(self.db, outbox_id)
        if row is None:
            return None
        # The exact bytes we stored are the bytes we sign and send (the Digest covers them).
        activity = _Activity(int(row["account_id"]), str(row["body"]).encode("utf-8"))
        self._activities[outbox_id] = activity
        while len(self._activities) > 256:
            self._activities.popitem(last=False)
        return activity

    async def _signer(self, account_id: int) -> Signer | None:
        cached = self._signers.get(account_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        key = await accounts.get_private_key(self.db, account_id)
        if key is None:
            return None
        signer = Signer(key_id=key[0], private_key_pem=key[1])
        if len(self._signers) > 4096:
            self._signers.clear()
        self._signers[account_id] = (signer, time.monotonic() + 300)
        return signer
