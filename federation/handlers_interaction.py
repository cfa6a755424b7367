"""Like, Announce (boost), their Undo, and poll votes.

A Like counts only from someone allowed to see the post. An Announce is stored only for a post
that may be boosted: public or unlisted, or company-wide from a company peer; never followers-only
or direct (SECURITY-CASES 23, 28). A post boosted that we have not seen is fetched from its
origin, never taken from the Announce (which only names it). An Announce of an activity is a group
relaying it (FEP-1b12, federation.handlers_group).
"""

from __future__ import annotations

import json

from activitypub.audience import visibility_from_addressing
from activitypub.parse_activity import ParsedActivity, is_activity_document
from activitypub.parse_object import ParsedObject
from activitypub.values import DocumentError
from federation import convert, handlers_group
from federation.handlers_note import note_visibility, parse_post, prepare_note
from federation.handling import Apply, Context, Ignored
from storage import interactions, polls, remote, statuses, timelines
from storage.db import Executor, Row
from storage.ids import now_ms


def _boostable(status: Row, actor_is_peer: bool) -> bool:
    visibility = status["visibility"]
    return visibility in ("public", "unlisted") or (visibility == "company" and actor_is_peer)


async def on_like(ctx: Context) -> Apply | None:
    object_id = ctx.activity.object_id
    status = await statuses.get_by_uri(ctx.db, object_id) if object_id else None
    if status is None:
        raise Ignored("Like of a post we do not have")
    viewer = timelines.Viewer(ctx.actor_id, local=False, company_peer=ctx.actor_is_peer)
    if not await timelines.can_see(ctx.db, viewer, int(status["id"])):
        raise Ignored("Like of a post the actor may not see")
    like_uri = ctx.activity.id

    async def apply(tx: Executor) -> None:
        current = await statuses.get(tx, int(status["id"]))
        if current is not None:
            await interactions.favourite(tx, ctx.actor_id, current, uri=like_uri)

    return apply


async def on_announce(ctx: Context) -> Apply | None:
    activity = ctx.activity
    if isinstance(activity.object, ParsedActivity):
        return await handlers_group.on_relayed(ctx, activity.object)
    object_id = activity.object_id
    if not object_id:
        raise Ignored("Announce of nothing")
    if await statuses.get_by_uri(ctx.db, activity.id) is not None:
        return None
    original_apply = None
    original = await statuses.get_by_uri(ctx.db, object_id)
    if original is None:
        if ctx.instance.is_local(object_id):
            raise Ignored("Announce of a post of ours that does not exist")
        # Never trust an embedded copy: fetch the post from its origin (SECURITY-CASES 1, 4).
        document = await ctx.fetch_document(object_id)
        if is_activity_document(document) and ctx.actor["actor_type"] == "Group":
            # A group relaying an activity by its id (FEP-1b12): the fetched copy is a claim too.
            try:
                relayed = ParsedActivity.from_document(document)
            except DocumentError as error:
                raise Ignored(f"the relayed activity: {error}") from None
            return await handlers_group.on_relayed(ctx, relayed)
        post = parse_post(document)
        if not post.attributed_to:
            raise Ignored("the boosted post has no author")
        author = await ctx.account(post.attributed_to)
        if note_visibility(ctx, post, author) not in ("public", "unlisted", "company"):
            raise Ignored("followers-only and direct posts cannot be boosted")
        original_apply = await prepare_note(ctx, post, author, depth=1)
    elif not _boostable(original, ctx.actor_is_peer):
        raise Ignored("this post cannot be boosted")
    company = ctx.instance.company_audience if ctx.actor_is_peer else None
    visibility = visibility_from_addressing(activity.to, activity.cc, ctx.actor["followers_url"], company)
    created_at = convert.clamp_published(convert.to_ms(activity.published), now_ms())
    actor_is_peer = ctx.actor_is_peer

    async def apply(tx: Executor) -> None:
        if original_apply is not None:
            await original_apply(tx)
        boosted = await statuses.get_by_uri(tx, object_id)
        if boosted is None:
            raise Ignored("the boosted post is gone")
        if not _boostable(boosted, actor_is_peer):
            raise Ignored("this post cannot be boosted")
        if await statuses.find_boost(tx, ctx.actor_id, int(boosted["id"])) is not None:
            return
        await statuses.create(
            tx,
            statuses.NewStatus(
                account_id=ctx.actor_id,
                uri=activity.id,
                visibility=visibility if visibility != "direct" else "unlisted",
                local=False,
                reblog_of_id=int(boosted["id"]),
                created_at=created_at,
            ),
        )

    return apply


async def prepare_vote(ctx: Context, vote: ParsedObject) -> Apply | None:
    """A remote vote in one of our polls (one activity per chosen option)."""
    if vote.attributed_to != ctx.actor["uri"] or not vote.in_reply_to or not ctx.instance.is_local(vote.in_reply_to):
        raise Ignored("a vote must be the actor's, in one of our polls")
    status = await statuses.get_by_uri(ctx.db, vote.in_reply_to)
    if status is None or not status["poll_id"]:
        raise Ignored("vote in a poll we do not have")
    poll = await polls.get(ctx.db, int(status["poll_id"]))
    if poll is None:
        raise Ignored("vote in a poll we do not have")
    options = json.loads(poll["options"])
    if vote.name not in options:
        raise Ignored("vote for an option the poll does not have")
    if poll["expires_at"] is not None and int(poll["expires_at"]) <= now_ms():
        raise Ignored("the poll has ended")
    viewer = timelines.Viewer(ctx.actor_id, local=False, company_peer=ctx.actor_is_peer)
    if not await timelines.can_see(ctx.db, viewer, int(status["id"])):
        raise Ignored("vote in a poll the actor may not see")
    choice = options.index(vote.name)

    async def apply(tx: Executor) -> None:
        current = await polls.get(tx, int(poll["id"]))
        if current is not None:
            await remote.record_vote(tx, current, ctx.actor_id, choice, vote.id)

    return apply


async def on_undo_like(ctx: Context, inner_id: str | None, inner: ParsedActivity | None) -> Apply | None:
    like = await interactions.get_favourite_by_uri(ctx.db, inner_id) if inner_id else None
    if like is None and inner is not None and inner.object_id and inner.actor == ctx.actor["uri"]:
        status = await statuses.get_by_uri(ctx.db, inner.object_id)
        if status is not None:
            like = await _favourite_of(ctx, int(status["id"]))
    if like is None:
        return None
    if int(like["account_id"]) != ctx.actor_id:
        raise Ignored("Undo of someone else's Like")

    async def apply(tx: Executor) -> None:
        await interactions.unfavourite(tx, ctx.actor_id, int(like["status_id"]))

    return apply


async def _favourite_of(ctx: Context, status_id: int) -> Row | None:
    flags = await interactions.viewer_flags(ctx.db, ctx.actor_id, [status_id])
    if status_id not in flags["favourited"]:
        return None
    return {"account_id": ctx.actor_id, "status_id": status_id}


async def on_undo_announce(ctx: Context, inner_id: str | None, inner: ParsedActivity | None) -> Apply | None:
    boost = await statuses.get_by_uri(ctx.db, inner_id) if inner_id else None
    if boost is None and inner is not None and inner.object_id and inner.actor == ctx.actor["uri"]:
        original = await statuses.get_by_uri(ctx.db, inner.object_id)
        if original is not None:
            boost = await statuses.find_boost(ctx.db, ctx.actor_id, int(original["id"]))
    if boost is None or boost["reblog_of_id"] is None:
        return None
    if int(boost["account_id"]) != ctx.actor_id:
        raise Ignored("Undo of someone else's Announce")

    async def apply(tx: Executor) -> None:
        await statuses.delete(tx, int(boost["id"]))

    return apply
