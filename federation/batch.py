"""Applying many claimed inbox items with few transactions, without changing what they do.

Each item applied alone costs a transaction (and SQLite has one writer), so a backlog is drained
in *rounds*: the items of a round are prepared together (federation.process.prepare_item: reads
and fetches, no transaction) and their writes committed together (process.apply_batch, which
falls back to one transaction per item if any of them fails). While a round commits, the next
one is prepared, so the database writer and the Python work overlap.

A round only holds items that do not depend on each other, so preparing them together gives the
same result as applying them one after another in arrival order:
- only Creates of posts join rounds, and only when no earlier item of the round (or of the round
  still committing) is about the same post, is the post they reply to, or replies to them;
- any other activity (Update, Delete, Follow, Undo, Like, Announce, actor changes…) is a
  barrier: everything before it is committed before it is prepared, and it is committed alone
  before anything after it is prepared. An actor's activities about one object therefore keep
  their order (a Create before its Update before its Delete), and so does everything that may
  change what later items see.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson

from activitypub.values import first_id, get_types
from federation.fetch import Fetcher
from federation.handlers_note import NoteApply
from federation.handling import KnownPosts
from federation.instance import Instance
from federation.process import Prepared, apply_alone, apply_batch, prepare_item
from storage import inbox as inbox_store
from storage import remote, statuses
from storage.db import Database, Row
from storage.ids import now_ms

log = logging.getLogger("atrium.federation.batch")

# Items committed together. Bounds a transaction's length (and the write lock's) and the burst of
# statements a round issues at once: 32 gave the best page latency under load, 64 the best rate
# from one actor (more work per round's fixed costs); measured on 2 loaded cores, bench/README.md.
MAX_ROUND = 48
# Items prepared at once, over all the tasks sharing one `slots` semaphore. Each prepare queues
# reads on the database's few reader connections: a web request's reads wait behind those, so
# this bounds the latency the backlog adds to pages (and the event loop's bursts of parsing).
PREPARE_SLOTS = 8


@dataclass
class Round:
    """Items prepared and committed together, in arrival order."""

    items: list[Row] = field(default_factory=list)
    shapes: list[tuple[str, str | None]] = field(default_factory=list)  # create_shape of each item
    barrier: bool = False                               # one item that must run alone
    objects: set[str] = field(default_factory=set)      # posts the round creates
    replies_to: set[str] = field(default_factory=set)   # posts they reply to

    def touches(self, shape: tuple[str, str | None]) -> bool:
        """Whether a Create of `shape` (object id, replied-to id) depends on this round or it on it."""
        object_id, reply_to = shape
        return object_id in self.objects or object_id in self.replies_to or (
            reply_to is not None and reply_to in self.objects
        )


def create_shape(item: Row) -> tuple[str, str | None] | None:
    """(post id, replied-to id) of a Create with an embedded post, or None: the item is a barrier."""
    if item["activity_type"] != "Create":
        return None
    try:
        document = orjson.loads(item["body"])
    except orjson.JSONDecodeError:
        return None
    if not isinstance(document, dict) or get_types(document)[:1] != ("Create",):
        return None
    embedded = document.get("object")
    if not isinstance(embedded, dict):
        return None  # a Create by reference: what it creates is only known once fetched
    object_id = first_id(embedded)
    if not object_id:
        return None
    return object_id, first_id(embedded.get("inReplyTo"))


def plan(items: Sequence[Row], max_round: int = MAX_ROUND) -> list[Round]:
    """Cut `items` (arrival order) into rounds of independent Creates and single barriers."""
    rounds: list[Round] = []
    current = Round()
    for item in items:
        shape = create_shape(item)
        if shape is None:
            if current.items:
                rounds.append(current)
            rounds.append(Round(items=[item], barrier=True))
            current = Round()
            continue
        if current.items and (len(current.items) >= max_round or current.touches(shape)):
            rounds.append(current)
            current = Round()
        current.items.append(item)
        current.shapes.append(shape)
        current.objects.add(shape[0])
        if shape[1] is not None:
            current.replies_to.add(shape[1])
    if current.items:
        rounds.append(current)
    return rounds


def independent(later: Round, earlier: Round) -> bool:
    """Whether `later` may be prepared before `earlier` has committed."""
    if later.barrier or earlier.barrier:
        return False
    return not any(earlier.touches(shape) for shape in later.shapes)


async def _known_posts(db: Database, round_: Round) -> KnownPosts:
    """Whether each post the round creates is deleted or stored already: two queries, not two per item.

    Nothing committing meanwhile is about these posts (the rounds are independent), so the answers
    hold until the round applies; its transaction checks tombstones again, and ids are unique.
    """
    uris = [object_id for object_id, _reply_to in round_.shapes]
    tombstoned, stored = await remote.post_states(db, uris)
    return KnownPosts(frozenset(uris), frozenset(tombstoned), frozenset(stored))


async def apply_round(db: Database, batch: Sequence[Prepared]) -> list[str]:
    """`process.apply_batch`, with a round of plain remote posts (NoteApply, or nothing to write)
    stored by one `statuses.create_many`: one statement per kind of row for the round instead of
    about eight per post. Any failure (a post deleted meanwhile, a constraint) rolls the round back
    and applies its items one by one, as apply_batch does."""
    notes = [p.apply for p in batch if p.apply is not None]
    if len(batch) <= 1 or not all(isinstance(a, NoteApply) and statuses.batchable(a.new) for a in notes):
        return await apply_batch(db, batch)
    try:
        async with db.transaction() as tx:
            finished = await inbox_store.finish_many(tx, [p.claim for p in batch], "done")
            await statuses.create_many(tx, [
                p.apply.new for p in batch if isinstance(p.apply, NoteApply) and p.claim[0] in finished
            ])
    except Exception as error:
        log.info("a round of %d remote posts failed (%s: %s); applying them one by one",
                 len(batch), type(error).__name__, error)
        return [await apply_alone(db, p) for p in batch]
    return ["done" if p.claim[0] in finished else "lost" for p in batch]


async def process_items(
    db: Database, instance: Instance, fetcher: Fetcher, items: Sequence[Row], *, slots: asyncio.Semaphore | None = None
) -> list[str]:
    """Process claimed items (arrival order) in rounds; returns their states in that order.

    `slots` bounds how many items are being prepared at once (shared by the tasks of a worker).
    """
    slots = slots or asyncio.Semaphore(PREPARE_SLOTS)
    states: dict[int, str] = {}

    async def prepare(item: Row, actors: dict[str, Row], known: KnownPosts | None) -> Prepared | str:
        async with slots:
            return await prepare_item(db, instance, fetcher, item, actors=actors, known_posts=known)

    committing: asyncio.Task[list[str]] | None = None
    committing_round: Round | None = None
    committing_prepared: list[Prepared] = []

    async def settle() -> None:
        nonlocal committing
        if committing is not None:
            for prepared, state in zip(committing_prepared, await committing, strict=True):
                states[int(prepared.item["id"])] = state
            committing = None

    try:
        for round_ in plan(items):
            if committing_round is not None and not independent(round_, committing_round):
                await settle()
            now = now_ms()
            live = [item for item in round_.items if int(item["locked_until"]) >= now]  # else another worker may have it
            actors: dict[str, Row] = {}
            known = None
            if len(live) > 1:
                # What every item of the round reads first, asked once for all of them.
                known = await _known_posts(db, round_)
                actors = await remote.accounts_by_uri(db, [str(item["actor_uri"]) for item in live])
            outcomes = await asyncio.gather(*(prepare(item, actors, known) for item in live))
            prepared: list[Prepared] = []
            for item, outcome in zip(live, outcomes, strict=True):
                if isinstance(outcome, Prepared):
                    prepared.append(outcome)
                else:
                    states[int(item["id"])] = outcome
            await settle()  # the previous round commits before this one, in arrival order
            committing = asyncio.create_task(apply_round(db, prepared))
            committing_round, committing_prepared = round_, prepared
        await settle()
    finally:
        if committing is not None and not committing.done():
            # Cancelled (the worker stops): the transaction rolls back as a whole; the items' claims
            # expire and another worker applies them.
            committing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await committing
    return [states.get(int(item["id"]), "lost") for item in items]
