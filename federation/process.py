"""Applying stored inbox items: parse, dispatch to the handler of the activity's family, commit.

`process_item` runs one claimed `inbox_items` row. The handler fetches what it needs first; its
writes then run in one transaction together with marking the row done (fenced by the claim), so
an item is applied exactly once even if it is delivered again, processed by two workers, or the
process dies half-way. Unknown activity types are marked `ignored`; a failure that may pass is
retried with backoff (federation.retry.INBOX_POLICY); anything else ends `ignored` or `failed`
with its reason on the row. Nothing here raises: the worker survives any input.

The two halves also run apart: `prepare_item` (reads and fetches, no transaction) and
`apply_batch`, which commits the writes of several independent items together (federation.batch
decides which) and falls back to one transaction per item when any of them fails.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from activitypub.parse_activity import ParsedActivity
from activitypub.values import DocumentError
from federation import handlers_actor, handlers_follow, handlers_interaction, handlers_moderation, handlers_note
from federation.fetch import Fetcher, FetchError
from federation.handling import Apply, Context, Ignored, KnownPosts, RetryLater
from federation.instance import Instance
from federation.policy import domain_of
from federation.retry import INBOX_POLICY, decide
from storage import accounts, follows, interactions, remote, statuses
from storage import inbox as inbox_store
from storage.db import Database, Executor, Row
from storage.ids import now_ms
from storage.statuses import StatusRefused

log = logging.getLogger("atrium.federation.process")

Handler = Callable[[Context], Awaitable[Apply | None]]
UndoHandler = Callable[[Context, str | None, ParsedActivity | None], Awaitable[Apply | None]]


class _LostClaim(Exception):
    """Another worker re-claimed the item after our lock expired: leave it to them."""


async def _on_create(ctx: Context) -> Apply | None:
    obj = await handlers_note.object_of(ctx)
    if handlers_note.is_vote(obj):
        return await handlers_interaction.prepare_vote(ctx, obj)
    return await handlers_note.on_create_note(ctx, obj)


async def _on_update(ctx: Context) -> Apply | None:
    if handlers_note.is_actor_update(ctx):
        return await handlers_actor.on_update_actor(ctx)
    return await handlers_note.on_update_note(ctx)


async def _on_delete(ctx: Context) -> Apply | None:
    if ctx.activity.object_id == ctx.actor["uri"]:
        return await handlers_actor.on_delete_actor(ctx)
    return await handlers_note.on_delete_object(ctx)


_UNDO: dict[str, UndoHandler] = {
    "Follow": handlers_follow.on_undo_follow,
    "Like": handlers_interaction.on_undo_like,
    "Announce": handlers_interaction.on_undo_announce,
    "Block": handlers_moderation.on_undo_block,
}


async def _undone_type(ctx: Context, inner_id: str | None) -> str | None:
    """What an Undo given only by id undoes, from what we stored under that id."""
    if not inner_id:
        return None
    if await follows.get_by_uri(ctx.db, inner_id) is not None:
        return "Follow"
    if await interactions.get_favourite_by_uri(ctx.db, inner_id) is not None:
        return "Like"
    if await remote.get_block_by_uri(ctx.db, inner_id) is not None:
        return "Block"
    boost = await statuses.get_by_uri(ctx.db, inner_id)
    if boost is not None and boost["reblog_of_id"] is not None:
        return "Announce"
    return None


async def _on_undo(ctx: Context) -> Apply | None:
    inner = ctx.activity.object if isinstance(ctx.activity.object, ParsedActivity) else None
    inner_id = ctx.activity.object_id
    if inner is not None and inner.actor != ctx.actor["uri"]:
        raise Ignored("Undo of someone else's activity")
    kind = inner.type if inner is not None else await _undone_type(ctx, inner_id)
    handler = _UNDO.get(kind or "")
    if handler is None:
        raise Ignored(f"Undo of {kind or 'something unknown'}")
    return await handler(ctx, inner_id, inner)


HANDLERS: dict[str, Handler] = {
    "Follow": handlers_follow.on_follow,
    "Accept": handlers_follow.on_accept,
    "Reject": handlers_follow.on_reject,
    "Undo": _on_undo,
    "Create": _on_create,
    "Update": _on_update,
    "Delete": _on_delete,
    "Like": handlers_interaction.on_like,
    "Announce": handlers_interaction.on_announce,
    "Block": handlers_moderation.on_block,
    "Flag": handlers_moderation.on_flag,
    "Move": handlers_actor.on_move,
}


@dataclass(frozen=True)
class Prepared:
    """An item whose handler has read and fetched what it needs; its writes (`apply`) are still to run."""

    item: Row
    apply: Apply | None

    @property
    def claim(self) -> tuple[int, int]:
        """(item id, claim token), as storage.inbox.finish_many takes them."""
        return int(self.item["id"]), int(self.item["locked_until"])


async def process_item(db: Database, instance: Instance, fetcher: Fetcher, item: Row) -> str:
    """Apply one claimed inbox item; returns the state it ended in (done, ignored, failed, queued)."""
    prepared = await prepare_item(db, instance, fetcher, item)
    if isinstance(prepared, str):
        return prepared
    return await apply_alone(db, prepared)


async def prepare_item(
    db: Database, instance: Instance, fetcher: Fetcher, item: Row, *, actors: dict[str, Row] | None = None,
    known_posts: KnownPosts | None = None,
) -> Prepared | str:
    """Run an item's handler up to its writes: a `Prepared`, or the state it ended in already.

    `actors` caches actor rows between items prepared together (none of them changes an actor);
    `known_posts` is what their batch looked up at once about the posts they create.
    """
    token = int(item["locked_until"])
    try:
        ctx = await _context(db, instance, fetcher, item, actors)
        ctx.known_posts = known_posts
        handler = HANDLERS.get(ctx.activity.type)
        if handler is None:
            raise Ignored(f"{ctx.activity.type} is not handled")
        return Prepared(item, await handler(ctx))
    except Exception as error:
        return await _settle(db, item, token, error)


async def apply_alone(db: Database, prepared: Prepared) -> str:
    """Run one prepared item's writes in a transaction that also marks it done (fenced by its claim)."""
    item_id, token = prepared.claim
    try:
        async with db.transaction() as tx:
            if not await inbox_store.finish(tx, item_id, token, "done"):
                raise _LostClaim
            if prepared.apply is not None:
                await prepared.apply(tx)
        return "done"
    except _LostClaim:
        return "lost"
    except Exception as error:
        return await _settle(db, prepared.item, token, error)


async def apply_batch(db: Database, batch: Sequence[Prepared]) -> list[str]:
    """Run several prepared items' writes in one transaction (one commit); each item's state, in order.

    The items must not depend on each other's writes (federation.batch groups only such items).
    If any of them fails, the whole transaction rolls back and each item is applied alone, in
    order: a failing item cannot take the others down, and nothing is applied twice.
    """
    if len(batch) <= 1:
        return [await apply_alone(db, p) for p in batch]
    try:
        async with db.transaction() as tx:
            finished = await inbox_store.finish_many(tx, [p.claim for p in batch], "done")
            await _run_all(tx, [p.apply for p in batch if p.apply is not None and p.claim[0] in finished])
    except Exception as error:
        log.info("a batch of %d inbox items failed (%s: %s); applying them one by one",
                 len(batch), type(error).__name__, error)
        return [await apply_alone(db, p) for p in batch]
    return ["done" if p.claim[0] in finished else "lost" for p in batch]


async def _run_all(tx: Executor, applies: Sequence[Apply]) -> None:
    """Run independent items' writes in one transaction; raise the first failure once all stopped.

    SQLite runs one connection's statements on one thread, in the order they are issued: issuing
    several items' statements together keeps that thread busy instead of idle during each round
    trip to the event loop (the items are independent, so their statements may interleave). All
    of them finish before a failure is raised, so nothing runs after the rollback. A PostgreSQL
    connection takes one statement at a time: there they run one item after another.
    """
    if tx.dialect != "sqlite":
        for apply in applies:
            await apply(tx)
        return
    outcomes = await asyncio.gather(*(apply(tx) for apply in applies), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


async def _settle(db: Database, item: Row, token: int, error: Exception) -> str:
    """Record why an item was not applied: ignored for good, or kept to be retried later."""
    item_id = int(item["id"])
    if isinstance(error, _LostClaim):
        return "lost"
    if isinstance(error, Ignored | DocumentError | StatusRefused):
        await inbox_store.finish(db, item_id, token, "ignored", error=f"{type(error).__name__}: {error}")
        return "ignored"
    if isinstance(error, RetryLater | FetchError):
        return await _retry(db, item, token, f"{type(error).__name__}: {error}")
    # A bug or a database hiccup: keep the item, try again later, and say so in the logs.
    log.error("inbox item %s (%s) failed", item_id, item["activity_id"], exc_info=error)
    return await _retry(db, item, token, f"{type(error).__name__}: {error}")


async def _retry(db: Database, item: Row, token: int, reason: str) -> str:
    now = now_ms()
    decision = decide(
        status=None,
        attempt=int(item["attempts"]),
        elapsed=(now - int(item["received_at"])) / 1000,
        now=datetime.now(UTC),
        rand=random.random(),
        policy=INBOX_POLICY,
    )
    if decision.kind == "retry" and decision.delay is not None:
        await inbox_store.retry_later(db, int(item["id"]), token, now + int(decision.delay * 1000), reason)
        return "queued"
    await inbox_store.finish(db, int(item["id"]), token, "failed", error=reason)
    return "failed"


async def _context(
    db: Database, instance: Instance, fetcher: Fetcher, item: Row, actors: dict[str, Row] | None = None
) -> Context:
    try:
        document = orjson.loads(item["body"])
    except orjson.JSONDecodeError as error:
        raise Ignored(f"not JSON: {error}") from None
    activity = ParsedActivity.from_document(document)
    if activity.actor != item["actor_uri"]:
        raise Ignored("the stored actor and the activity's differ")
    if not instance.policy.allow(domain_of(activity.actor)):
        raise Ignored("this instance no longer federates with the actor's host")
    actor = actors.get(activity.actor) if actors is not None else None
    if actor is None:
        actor = await accounts.get_by_uri(db, activity.actor)
    if actor is None:
        try:
            actor = await fetcher.get_actor(activity.actor)
        except FetchError as error:
            if error.retryable:
                raise
            raise Ignored(f"the actor is unknown: {error}") from None
    if actors is not None:
        actors[activity.actor] = actor
    if actor["suspended_at"] is not None:
        raise Ignored("the actor is suspended")
    return Context(
        db=db,
        instance=instance,
        fetcher=fetcher,
        activity=activity,
        actor=actor,
        item_id=int(item["id"]),
        recipient_account_id=item["recipient_account_id"],
    )
