"""Scheduled posts: validated and stored when asked for, published by `Publisher` when due.

`Publisher` is a loop that runs in every `atrium serve` process that runs workers and in every
`atrium worker` process; the claim in storage.scheduled and the idempotency key of the post make
sure each scheduled post is published exactly once whatever the number of processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from datetime import UTC, datetime
from typing import Any

from storage import accounts as account_store
from storage import media as media_store
from storage import scheduled
from storage.db import Row
from storage.ids import now_ms
from storage.timelines import Viewer, can_see

from ..context import Context
from . import statuses as status_service
from .statuses import PollInput, PostInput, ServiceError

log = logging.getLogger("atrium.scheduled")

MIN_OFFSET_MS = 5 * 60 * 1000        # Mastodon: at least five minutes ahead
MAX_AHEAD_MS = 5 * 365 * 86_400_000  # a bound, so a typo does not park a post for centuries
MAX_ATTEMPTS = 8


def parse_time(value: str) -> int:
    """An ISO 8601 datetime (with `Z` or an offset; UTC when it has none) → milliseconds."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ServiceError(422, "Scheduled at is not a valid date and time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def check_time(scheduled_at: int, now: int) -> None:
    if scheduled_at < now + MIN_OFFSET_MS:
        raise ServiceError(422, "Scheduled at must be at least 5 minutes in the future")
    if scheduled_at > now + MAX_AHEAD_MS:
        raise ServiceError(422, "Scheduled at is too far in the future")


def _params(post: PostInput, application_id: int | None) -> dict[str, Any]:
    poll = None
    if post.poll is not None:
        poll = {"options": list(post.poll.options), "expires_in": post.poll.expires_in,
                "multiple": post.poll.multiple, "hide_totals": post.poll.hide_totals}
    return {"text": post.text, "visibility": post.visibility, "spoiler_text": post.spoiler_text or None,
            "sensitive": post.sensitive, "in_reply_to_id": post.in_reply_to_id, "poll": poll,
            "language": post.language, "idempotency": post.idempotency_key, "application_id": application_id}


def post_of(row: Row) -> PostInput:
    """The PostInput a scheduled row publishes, with its exactly-once idempotency key."""
    params = json.loads(row["params"])
    poll = params.get("poll")
    return PostInput(
        text=params.get("text") or "", visibility=params["visibility"], spoiler_text=params.get("spoiler_text") or "",
        sensitive=bool(params.get("sensitive")), in_reply_to_id=params.get("in_reply_to_id"),
        media_ids=[int(m) for m in json.loads(row["media_ids"])],
        poll=PollInput(options=poll["options"], expires_in=int(poll["expires_in"]), multiple=bool(poll["multiple"]),
                       hide_totals=bool(poll["hide_totals"])) if poll else None,
        language=params.get("language"), idempotency_key=f"scheduled:{row['id']}",
    )


async def schedule(ctx: Context, author: Row, post: PostInput, scheduled_at: int, *,
                   application_id: int | None = None) -> int:
    """Keep a post for later (validated now as it would be when published); returns its id."""
    check_time(scheduled_at, now_ms())
    # The service's own checks (length, poll, attachments): what it would refuse later is refused now.
    status_service._validate(ctx, post)
    account_id = int(author["id"])
    media_ids = list(post.media_ids)
    if len(await media_store.owned_unattached(ctx.db, account_id, media_ids)) != len(media_ids):
        raise ServiceError(422, "One of the attachments does not exist or is already used")
    if post.in_reply_to_id is not None and not await can_see(ctx.db, Viewer(account_id, local=True), post.in_reply_to_id):
        raise ServiceError(404, "The post you are replying to does not exist")
    async with ctx.db.transaction() as tx:
        if post.idempotency_key:
            # The same request sent again (Idempotency-Key) answers with the post it scheduled.
            existing = await scheduled.with_idempotency_key(tx, account_id, post.idempotency_key)
            if existing is not None:
                return existing
        total, same_day = await scheduled.counts(tx, account_id, scheduled_at)
        if total >= scheduled.TOTAL_LIMIT:
            raise ServiceError(422, f"You have exceeded the limit of {scheduled.TOTAL_LIMIT} scheduled posts")
        if same_day >= scheduled.DAILY_LIMIT:
            raise ServiceError(422, f"You have exceeded the limit of {scheduled.DAILY_LIMIT} scheduled posts for that day")
        return await scheduled.create(tx, account_id, scheduled_at, _params(post, application_id), media_ids)


async def publish(ctx: Context, row: Row) -> int | None:
    """Publish one claimed row; returns the status id, or None when it was parked or retried."""
    author = await account_store.get(ctx.db, int(row["account_id"]))
    if author is None or author["domain"] is not None or author["suspended_at"] is not None:
        await scheduled.park(ctx.db, row, error="the account cannot post")
        return None
    try:
        status_id = await status_service.create_status(ctx, author, post_of(row))
    except ServiceError as exc:
        if exc.status == 409:      # another attempt is committing this very post: it will finish
            await scheduled.retry_later(ctx.db, row, at=now_ms() + 5_000, error=exc.message)
            return None
        log.info("scheduled post %s cannot be published: %s", row["id"], exc.message)
        await scheduled.park(ctx.db, row, error=exc.message)
        return None
    except Exception as exc:  # a passing failure (database, network): back off and try again
        attempts = int(row["attempts"] or 1)
        log.exception("scheduled post %s failed (attempt %d)", row["id"], attempts)
        if attempts >= MAX_ATTEMPTS:
            await scheduled.park(ctx.db, row, error=f"failed {attempts} times: {type(exc).__name__}")
        else:
            delay = min(3_600_000, 15_000 * 2 ** attempts) * random.uniform(0.8, 1.2)
            await scheduled.retry_later(ctx.db, row, at=now_ms() + int(delay), error=type(exc).__name__)
        return None
    await scheduled.finish(ctx.db, row)
    return status_id


class Publisher:
    """Publishes due scheduled posts every `interval` seconds (and when woken)."""

    def __init__(self, ctx: Context, *, interval: float = 10.0, lock_ms: int = 120_000, batch: int = 20) -> None:
        self.ctx = ctx
        self.interval = interval
        self.lock_ms = lock_ms
        self.batch = batch
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()

    async def run_once(self) -> int:
        """Publish what is due now; returns how many posts were published."""
        published = 0
        while True:
            rows = await scheduled.claim_due(self.ctx.db, now=now_ms(), lock_ms=self.lock_ms, limit=self.batch)
            for row in rows:
                if await publish(self.ctx, row) is not None:
                    published += 1
            if len(rows) < self.batch:
                return published

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("scheduled posts: a round failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first(stop, self._wake), timeout=self.interval)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self.run(self._stop), name="scheduled-publisher")

    async def stop(self) -> None:
        if self._task is not None:
            self._stop.set()
            self._wake.set()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout=30)
            self._task = None


async def _first(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
