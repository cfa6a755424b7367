"""Posting, editing, deleting, liking and boosting: what an employee does to statuses.

Every function validates its input (raising `ServiceError` with a message for the person), changes
the database in one transaction, and queues the matching ActivityPub activity in that same
transaction (storage.outbox), so that the local change and its federation are never separated.
A new post's followers' home feeds are filled after that commit (`fan_out_now`, storage.fanout).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from activitypub.content import MentionTarget, extract_mentions, format_post
from activitypub.html import sanitize_plain
from federation import render
from storage import accounts as account_store
from storage import adoption, fanout, hydrate, interactions, outbox, polls, statuses
from storage import media as media_store
from storage.db import Executor, IntegrityError, Row
from storage.ids import new_id, now_ms
from storage.statuses import NewStatus, StatusRefused
from storage.timelines import Viewer, can_see

from .. import events
from ..context import Context

log = logging.getLogger("atrium.statuses")

MAX_MEDIA = 4
MAX_POLL_OPTIONS = 10
MAX_POLL_OPTION_CHARS = 100
MIN_POLL_SECONDS = 300
MAX_POLL_SECONDS = 30 * 86400
MAX_SPOILER_CHARS = 500
# Followers fed by the poster's request before it answers (four batches of storage.fanout.BATCH, about
# 60-120 ms on SQLite): read-your-writes for nearly everyone; bigger audiences finish in the background.
INLINE_FANOUT_ROWS = 1_000


class ServiceError(Exception):
    """A refused action: HTTP status and a message for the person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class PollInput:
    options: Sequence[str]
    expires_in: int
    multiple: bool = False
    hide_totals: bool = False


@dataclass(frozen=True)
class PostInput:
    text: str
    visibility: str = "public"
    spoiler_text: str = ""
    sensitive: bool = False
    in_reply_to_id: int | None = None
    media_ids: Sequence[int] = ()
    poll: PollInput | None = None
    language: str | None = None
    idempotency_key: str | None = None
    must_read: bool = False


async def _resolve_mentions(ctx: Context, text: str) -> dict[tuple[str, str | None], Row]:
    found: dict[tuple[str, str | None], Row] = {}
    resolver = ctx.extras.get("resolve_remote_account")  # federation's WebFinger lookup, when wired
    for username, domain in extract_mentions(text, local_domain=ctx.domain)[:50]:
        key = (username.lower(), domain.lower() if domain else None)
        if key in found:
            continue
        if domain is None or domain.lower() == ctx.domain:
            row = await account_store.get_local_by_username(ctx.db, username)
        else:
            row = await account_store.get_by_handle(ctx.db, username, domain)
            if row is None and resolver is not None:
                row = await resolver(ctx, username, domain)
        if row is not None and row["suspended_at"] is None:
            found[key] = row
    return found


def _validate(ctx: Context, post: PostInput) -> None:
    if post.visibility not in statuses.VISIBILITIES:
        raise ServiceError(422, f"Visibility must be one of {', '.join(statuses.VISIBILITIES)}")
    text = post.text or ""
    if len(text) > ctx.settings.max_status_chars:
        raise ServiceError(422, f"Text is too long: at most {ctx.settings.max_status_chars} characters")
    if not text.strip() and not post.media_ids and post.poll is None:
        raise ServiceError(422, "Text can't be blank")
    if len(post.spoiler_text or "") > MAX_SPOILER_CHARS:
        raise ServiceError(422, f"Content warning is too long: at most {MAX_SPOILER_CHARS} characters")
    if len(post.media_ids) > MAX_MEDIA:
        raise ServiceError(422, f"At most {MAX_MEDIA} attachments")
    if post.poll is not None:
        options = [o.strip() for o in post.poll.options]
        if post.media_ids:
            raise ServiceError(422, "A post cannot have both a poll and attachments")
        if not 2 <= len(options) <= MAX_POLL_OPTIONS:
            raise ServiceError(422, f"A poll needs between 2 and {MAX_POLL_OPTIONS} options")
        if any(not o or len(o) > MAX_POLL_OPTION_CHARS for o in options):
            raise ServiceError(422, f"Poll options must be 1-{MAX_POLL_OPTION_CHARS} characters")
        if len(set(options)) != len(options):
            raise ServiceError(422, "Poll options must be different from each other")
        if not MIN_POLL_SECONDS <= post.poll.expires_in <= MAX_POLL_SECONDS:
            raise ServiceError(422, "A poll must last between 5 minutes and 30 days")


def delivery_audience(visibility: str, mention_ids: Sequence[int], extra_inboxes: Sequence[str] = ()) -> dict[str, Any] | None:
    """Whom a status's activities go to; None for local-only posts (never federated)."""
    if visibility == "local":
        return None
    audience: dict[str, Any] = {"accounts": list(mention_ids), "inboxes": list(extra_inboxes)}
    if visibility in ("public", "unlisted", "followers"):
        audience["followers"] = True
    if visibility == "company":
        audience["company"] = True
    return audience


async def create_status(ctx: Context, author: Row, post: PostInput) -> int:
    """Publish a post for `author` (a local account row); returns the new status id."""
    _validate(ctx, post)
    if post.idempotency_key:
        existing = await ctx.db.fetchval(
            "SELECT status_id FROM idempotency_keys WHERE account_id = ? AND key = ?",
            (author["id"], post.idempotency_key[:200]),
        )
        if existing:
            return int(existing)
    viewer = Viewer(int(author["id"]), local=True)
    parent = None
    visibility = post.visibility
    if post.in_reply_to_id is not None:
        parent = await statuses.get(ctx.db, post.in_reply_to_id)
        if parent is None or not await can_see(ctx.db, viewer, int(parent["id"])):
            raise ServiceError(404, "The post you are replying to does not exist")
        visibility = _narrowest(visibility, parent["visibility"])
    mentions = await _resolve_mentions(ctx, post.text or "")
    # A reply mentions the person replied to, as in Mastodon, so they are notified and addressed.
    mention_rows = list(mentions.values())
    if parent is not None and parent["account_id"] != author["id"]:
        parent_author = await account_store.get(ctx.db, int(parent["account_id"]))
        if parent_author is not None and all(m["id"] != parent_author["id"] for m in mention_rows):
            mention_rows.append(parent_author)

    def resolve(username: str, domain: str | None) -> MentionTarget | None:
        row = mentions.get((username.lower(), domain.lower() if domain and domain.lower() != ctx.domain else None))
        if row is None:
            return None
        return MentionTarget(username=row["username"], domain=row["domain"], actor_uri=row["uri"],
                             profile_url=row["url"] or row["uri"])

    formatted = format_post(post.text or "", local_domain=ctx.domain, resolve_mention=resolve, tag_url=ctx.urls.tag)
    media_ids = await media_store.owned_unattached(ctx.db, int(author["id"]), list(post.media_ids))
    if len(media_ids) != len(post.media_ids):
        raise ServiceError(422, "One of the attachments does not exist or is already used")
    status_id = new_id()
    uri = ctx.urls.status(author["username"], status_id)
    async with ctx.db.transaction() as tx:
        created = await statuses.store(
            tx,
            NewStatus(
                status_id=status_id, account_id=int(author["id"]), uri=uri,
                url=ctx.urls.status_page(author["username"], status_id), visibility=visibility, local=True,
                content=formatted.html, source_text=post.text or "",
                spoiler_text=sanitize_plain(post.spoiler_text or "", MAX_SPOILER_CHARS),
                sensitive=bool(post.sensitive or post.spoiler_text), language=post.language,
                in_reply_to_id=parent["id"] if parent else None, mention_ids=[int(m["id"]) for m in mention_rows],
                tag_names=formatted.hashtags, media_ids=media_ids, must_read=post.must_read,
            ),
        )
        if post.poll is not None:
            await polls.create(
                tx, account_id=int(author["id"]), status_id=status_id,
                options=[o.strip() for o in post.poll.options], expires_at=now_ms() + post.poll.expires_in * 1000,
                multiple=post.poll.multiple, hide_totals=post.poll.hide_totals,
            )
        if post.idempotency_key:
            try:
                await tx.execute(
                    "INSERT INTO idempotency_keys (account_id, key, status_id, created_at) VALUES (?, ?, ?, ?)",
                    (author["id"], post.idempotency_key[:200], status_id, now_ms()),
                )
            except IntegrityError:
                raise ServiceError(409, "This post is already being published") from None
        await adoption.record(tx, int(author["id"]), "posts")
        # The author's and mentioned accounts' rows are in hand: the activity's rendering need not read them.
        await _queue_status_activity(ctx, tx, status_id, "Create", known_accounts=[author, *mention_rows])
    await events.emit(ctx, "status.created", status_id=status_id)
    await fan_out_now(ctx, status_id, queued=created.fanout_queued)
    return status_id


async def fan_out_now(ctx: Context, status_id: int, *, queued: bool | None = None) -> None:
    """After the post's commit: its followers' home feeds, in batches (storage.fanout), up to
    INLINE_FANOUT_ROWS followers; the rest of a bigger audience goes to the fan-out workers.

    The post is committed by now, so a failure here is logged, not answered: the job stays queued
    and the workers finish it (a 500 would make the client post again).
    `queued`: whether the post's transaction wrote a job (storage.statuses.store says so); None asks
    the database.
    """
    try:
        if queued is False or (queued is None and not await fanout.exists(ctx.db, status_id)):
            return  # no local follower (or a worker already finished it: the first batch finds no job)
        # The first batch shares its transaction with the posts committed meanwhile.
        if await fanout.first_batch(ctx.db, status_id):
            return
        if await fanout.run(ctx.db, status_id, max_rows=INLINE_FANOUT_ROWS - fanout.BATCH):
            return
        await fanout.release(ctx.db, status_id)
    except Exception:
        log.exception("fan-out of status %s failed after its commit; the fan-out workers will finish it", status_id)
    runtime = ctx.extras.get("federation")
    worker = getattr(runtime, "fanout_worker", None)
    if worker is not None:
        worker.wake()


_ORDER = ["public", "unlisted", "company", "followers", "local", "direct"]


def _narrowest(requested: str, parent: str) -> str:
    """A reply never widens the audience of what it answers (SECURITY-CASES 24)."""
    if parent == "company" and requested in ("public", "unlisted"):
        return "company"
    if parent == "local" and requested in ("public", "unlisted", "company", "followers"):
        return "local"
    if parent in ("followers", "direct") and requested in ("public", "unlisted", "company"):
        return parent if parent == "direct" else "followers"
    return requested


async def _queue_status_activity(
    ctx: Context, tx: Executor, status_id: int, kind: str, *, known_accounts: Sequence[Row] = ()
) -> None:
    bundle = await hydrate.load_status(tx, status_id, known_accounts=known_accounts)
    assert bundle is not None
    audience = render.status_audience(bundle)
    if not audience:
        return  # local-only: never federated
    body = render.create_activity(bundle, ctx.instance) if kind == "Create" else render.update_activity(bundle, ctx.instance)
    await outbox.enqueue(
        tx, activity_id=body["id"], activity_type=kind, account_id=int(bundle.account["id"]), body=body,
        audience=audience, object_uri=bundle.status["uri"],
    )


async def get_visible(ctx: Context, viewer: Viewer, status_id: int) -> Row:
    row = await statuses.get(ctx.db, status_id)
    if row is None or not await can_see(ctx.db, viewer, status_id):
        raise ServiceError(404, "Record not found")
    return row


async def edit_status(ctx: Context, author: Row, status_id: int, post: PostInput) -> None:
    current = await statuses.get(ctx.db, status_id)
    if current is None or current["account_id"] != author["id"] or current["reblog_of_id"] is not None:
        raise ServiceError(404, "Record not found")
    _validate(ctx, PostInput(text=post.text, visibility=current["visibility"], spoiler_text=post.spoiler_text,
                             media_ids=post.media_ids))
    mentions = await _resolve_mentions(ctx, post.text or "")

    def resolve(username: str, domain: str | None) -> MentionTarget | None:
        row = mentions.get((username.lower(), domain.lower() if domain and domain.lower() != ctx.domain else None))
        if row is None:
            return None
        return MentionTarget(username=row["username"], domain=row["domain"], actor_uri=row["uri"],
                             profile_url=row["url"] or row["uri"])

    formatted = format_post(post.text or "", local_domain=ctx.domain, resolve_mention=resolve, tag_url=ctx.urls.tag)
    async with ctx.db.transaction() as tx:
        await statuses.edit(
            tx, status_id, content=formatted.html, source_text=post.text, language=post.language or current["language"],
            spoiler_text=sanitize_plain(post.spoiler_text or "", MAX_SPOILER_CHARS),
            sensitive=bool(post.sensitive or post.spoiler_text), tag_names=formatted.hashtags,
            mention_ids=[int(m["id"]) for m in mentions.values()],
            media_ids=list(post.media_ids) if post.media_ids else None,
        )
        await _queue_status_activity(ctx, tx, status_id, "Update")
    await events.emit(ctx, "status.updated", status_id=status_id)


async def delete_status(ctx: Context, actor: Row, status_id: int, *, as_admin: bool = False) -> Row:
    """Delete a post (its author, or an admin); federates a Delete to everyone who got it."""
    current = await statuses.get(ctx.db, status_id)
    if current is None or (current["account_id"] != actor["id"] and not as_admin):
        raise ServiceError(404, "Record not found")
    author = await account_store.get(ctx.db, int(current["account_id"]))
    assert author is not None
    bundle = await hydrate.load_status(ctx.db, status_id)
    async with ctx.db.transaction() as tx:
        if current["local"] and bundle is not None and bundle.reblog is not None:
            original_author = bundle.reblog.account
            audience = delivery_audience(
                bundle.status["visibility"], [int(original_author["id"])] if original_author["domain"] else []
            )
            if audience is not None:
                body = render.undo_announce_activity(bundle, ctx.instance)
                await outbox.enqueue(tx, activity_id=body["id"], activity_type="Undo", account_id=int(author["id"]),
                                     body=body, audience=audience, object_uri=current["uri"])
        elif current["local"] and bundle is not None:
            audience = render.status_audience(bundle)
            if audience:
                body = render.delete_activity(bundle, ctx.instance)
                await outbox.enqueue(tx, activity_id=body["id"], activity_type="Delete", account_id=int(author["id"]),
                                     body=body, audience=audience, object_uri=current["uri"])
        await statuses.delete(tx, status_id)
    await events.emit(ctx, "status.deleted", status_id=status_id, account_id=int(current["account_id"]),
                      visibility=current["visibility"])
    return current


async def favourite(ctx: Context, account: Row, status_id: int) -> None:
    status = await get_visible(ctx, Viewer(int(account["id"]), local=True), status_id)
    async with ctx.db.transaction() as tx:
        if not await interactions.favourite(tx, int(account["id"]), status):
            return
        await adoption.record(tx, int(account["id"]), "reactions")
        author = await account_store.get(tx, int(status["account_id"]))
        if author is not None and author["domain"]:
            like_id = ctx.urls.activity(account["username"], "likes", status_id)
            await tx.execute("UPDATE favourites SET uri = ? WHERE account_id = ? AND status_id = ?",
                             (like_id, account["id"], status_id))
            body = render.like_activity(account, status, author, like_id)
            await outbox.enqueue(tx, activity_id=like_id, activity_type="Like", account_id=int(account["id"]),
                                 body=body, audience={"accounts": [int(author["id"])]}, object_uri=status["uri"])


async def unfavourite(ctx: Context, account: Row, status_id: int) -> None:
    status = await get_visible(ctx, Viewer(int(account["id"]), local=True), status_id)
    async with ctx.db.transaction() as tx:
        row = await tx.fetchone("SELECT uri FROM favourites WHERE account_id = ? AND status_id = ?",
                                (account["id"], status_id))
        if not await interactions.unfavourite(tx, int(account["id"]), status_id):
            return
        author = await account_store.get(tx, int(status["account_id"]))
        if author is not None and author["domain"] and row is not None and row["uri"]:
            body = render.undo_like_activity(account, status, author, row["uri"])
            await outbox.enqueue(tx, activity_id=body["id"], activity_type="Undo", account_id=int(account["id"]),
                                 body=body, audience={"accounts": [int(author["id"])]}, object_uri=status["uri"])


async def reblog(ctx: Context, account: Row, status_id: int, visibility: str = "public") -> int:
    """Boost a post; returns the boost's id. Followers-only and direct posts cannot be boosted."""
    status = await get_visible(ctx, Viewer(int(account["id"]), local=True), status_id)
    if status["reblog_of_id"] is not None:
        status = await get_visible(ctx, Viewer(int(account["id"]), local=True), int(status["reblog_of_id"]))
    if status["visibility"] not in statuses.BOOSTABLE:
        raise ServiceError(422, "This post cannot be boosted: it is limited to its audience")
    existing = await statuses.find_boost(ctx.db, int(account["id"]), int(status["id"]))
    if existing is not None:
        return int(existing["id"])
    boost_id = new_id()
    # A boost keeps the audience of what it boosts: a company post stays inside the company.
    boost_visibility = status["visibility"] if status["visibility"] in ("company", "local") else (
        "unlisted" if visibility == "unlisted" else "public")
    async with ctx.db.transaction() as tx:
        try:
            created = await statuses.store(tx, NewStatus(
                status_id=boost_id, account_id=int(account["id"]), uri=ctx.urls.activity(account["username"], "boosts", boost_id),
                visibility=boost_visibility, local=True, reblog_of_id=int(status["id"]),
            ))
        except StatusRefused as exc:
            raise ServiceError(422, str(exc)) from None
        except IntegrityError:
            existing = await statuses.find_boost(tx, int(account["id"]), int(status["id"]))
            return int(existing["id"]) if existing else boost_id
        await adoption.record(tx, int(account["id"]), "reactions")
        if boost_visibility != "local":
            boost = await hydrate.load_status(tx, boost_id)
            assert boost is not None and boost.reblog is not None
            body = render.announce_activity(boost, ctx.instance)
            original_author = boost.reblog.account
            audience = delivery_audience(boost_visibility, [int(original_author["id"])] if original_author["domain"] else [])
            assert audience is not None
            await outbox.enqueue(tx, activity_id=body["id"], activity_type="Announce", account_id=int(account["id"]),
                                 body=body, audience=audience, object_uri=boost.status["uri"])
    await events.emit(ctx, "status.created", status_id=boost_id)
    await fan_out_now(ctx, boost_id, queued=created.fanout_queued)
    return boost_id


async def unreblog(ctx: Context, account: Row, status_id: int) -> None:
    boost = await statuses.find_boost(ctx.db, int(account["id"]), status_id)
    if boost is None:
        return
    await delete_status(ctx, account, int(boost["id"]))


async def vote(ctx: Context, account: Row, poll_id: int, choices: Sequence[int]) -> None:
    poll = await polls.get(ctx.db, poll_id)
    if poll is None or poll["status_id"] is None:
        raise ServiceError(404, "Record not found")
    status = await get_visible(ctx, Viewer(int(account["id"]), local=True), int(poll["status_id"]))
    async with ctx.db.transaction() as tx:
        try:
            await polls.vote(tx, poll, int(account["id"]), list(choices))
        except polls.VoteRefused as exc:
            raise ServiceError(422, str(exc)) from None
        await adoption.record(tx, int(account["id"]), "reactions")
        author = await account_store.get(tx, int(status["account_id"]))
        if author is not None and author["domain"]:
            bundle = await hydrate.load_status(tx, int(status["id"]))
            assert bundle is not None
            for body in render.vote_activities(account, bundle, list(choices)):
                await outbox.enqueue(tx, activity_id=body["id"], activity_type="Create", account_id=int(account["id"]),
                                     body=body, audience={"accounts": [int(author["id"])]}, object_uri=body["object"]["id"])
