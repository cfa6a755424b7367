"""FEP-1b12 groups: a Group (a Lemmy community, a PieFed or Mbin magazine, a Friendica forum…)
relays its members' activities to its followers, each wrapped in an Announce.

Handled only from a Group that someone here follows. The embedded activity is the group's account
of what happened, not the author's word, so it is never applied as embedded: the post of a Create
or Update is fetched from its origin, the activity of a Like from its origin, and a Delete is
believed once the origin says the post is gone. The origin's host must be the author's. The result
is then handled exactly as if the author had sent it to us (federation.handlers_note, and
handlers_interaction for the Like). A relayed post shows in the homes of the group's followers as
a boost by the group, and the post keeps the group in `statuses.group_id`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from activitypub.audience import visibility_from_addressing
from activitypub.parse_activity import ParsedActivity
from activitypub.parse_object import ParsedObject
from activitypub.values import DocumentError
from federation import convert, handlers_note
from federation.fetch import FetchError
from federation.handling import Apply, Context, Ignored, RetryLater
from federation.policy import domain_of
from storage import accounts, follows, statuses
from storage.db import Executor, Row
from storage.ids import now_ms

RelayHandler = Callable[[Context, ParsedActivity], Awaitable[Apply | None]]
_SHOWN = ("public", "unlisted", "company")  # what a group may relay into its followers' homes


async def on_relayed(ctx: Context, inner: ParsedActivity) -> Apply | None:
    """An Announce whose object is an activity (`inner`, as embedded: a claim, not a fact)."""
    if ctx.actor["actor_type"] != "Group":
        raise Ignored("Announce of an activity by an actor that is not a group")
    if not await follows.follower_ids(ctx.db, ctx.actor_id, local_only=True):
        raise Ignored("Announce of an activity by a group no one here follows")
    handler = _RELAYED.get(inner.type)
    if handler is None:
        raise Ignored(f"a group relaying {inner.type} is not handled")
    if not domain_of(inner.actor) or (ctx.instance.is_local(inner.actor) and inner.type != "Create"):
        raise Ignored(f"a relayed {inner.type} must come from a remote actor")
    return await handler(ctx, inner)


def _same_origin(inner: ParsedActivity, uri: str | None) -> str:
    if not uri:
        raise Ignored(f"relayed {inner.type} of nothing")
    if domain_of(uri) != domain_of(inner.actor):
        raise Ignored(f"relayed {inner.type} of an object from another host than its actor's")
    return uri


def _as_received(ctx: Context, activity: ParsedActivity, actor: Row) -> Context:
    """The relayed activity as if `actor` had sent it to us (sharing the item's fetch budget)."""
    return replace(ctx, activity=activity, actor=actor)


async def _handled(ctx: Context, sub: Context, handler: Callable[[Context], Awaitable[Apply | None]]) -> Apply | None:
    try:
        return await handler(sub)
    finally:
        ctx.fetch_budget = sub.fetch_budget


async def _fetched_post(ctx: Context, uri: str) -> ParsedObject:
    return handlers_note.parse_post(await ctx.fetch_document(uri))


async def _create(ctx: Context, inner: ParsedActivity) -> Apply | None:
    object_id = inner.object_id
    if not object_id:
        raise Ignored("relayed Create of nothing")
    original_apply = None
    if ctx.instance.is_local(object_id):
        # One of our own posts, relayed back by the group: we are its origin.
        if await statuses.get_by_uri(ctx.db, object_id) is None:
            raise Ignored("relayed Create of a post of ours that does not exist")
    else:
        _same_origin(inner, object_id)
        post = await _fetched_post(ctx, object_id)
        if post.id != object_id or handlers_note.is_vote(post):
            raise Ignored("the relayed object is not the post it names")
        post = post if post.attributed_to else replace(post, attributed_to=inner.actor)
        if post.attributed_to != inner.actor:
            raise Ignored("the relayed post's author is not the relayed activity's actor")
        author = await ctx.account(inner.actor)
        # Addressing from the origin's copy only: the embedded activity's is not trusted.
        sub = _as_received(ctx, ParsedActivity(id=inner.id, type="Create", actor=inner.actor, object_id=post.id,
                                               object=post), author)
        if handlers_note.note_visibility(sub, post, author) not in _SHOWN:
            raise Ignored("a group relays only public posts into homes")
        group_uri = str(ctx.actor["uri"])
        in_group = post.audience == group_uri or group_uri in (*post.to, *post.cc)
        original_apply = await _handled(
            ctx, sub, lambda c: handlers_note.prepare_note(c, post, author, group_id=ctx.actor_id if in_group else None)
        )
    return await _group_boost(ctx, object_id, original_apply)


async def _group_boost(ctx: Context, object_id: str, original_apply: Apply | None) -> Apply | None:
    """The relayed post in the group's followers' homes: a boost by the group, under the Announce's id."""
    announce = ctx.activity
    if await statuses.get_by_uri(ctx.db, announce.id) is not None:
        return original_apply
    company = ctx.instance.company_audience if ctx.actor_is_peer else None
    visibility = visibility_from_addressing(announce.to, announce.cc, ctx.actor["followers_url"], company)
    created_at = convert.clamp_published(convert.to_ms(announce.published), now_ms())
    group_id, group_is_peer = ctx.actor_id, ctx.actor_is_peer

    async def apply(tx: Executor) -> None:
        if original_apply is not None:
            await original_apply(tx)
        boosted = await statuses.get_by_uri(tx, object_id)
        if boosted is None:
            raise Ignored("the relayed post is gone")
        shown = boosted["visibility"] in ("public", "unlisted") or (boosted["visibility"] == "company" and group_is_peer)
        if not shown or await statuses.find_boost(tx, group_id, int(boosted["id"])) is not None:
            return
        await statuses.create(tx, statuses.NewStatus(
            account_id=group_id, uri=announce.id, visibility=visibility if visibility != "direct" else "unlisted",
            local=False, reblog_of_id=int(boosted["id"]), group_id=group_id, created_at=created_at,
        ))

    return apply


async def _update(ctx: Context, inner: ParsedActivity) -> Apply | None:
    object_id = _same_origin(inner, inner.object_id)
    if await statuses.get_by_uri(ctx.db, object_id) is None:
        raise Ignored("relayed Update of a post we do not have")
    post = await _fetched_post(ctx, object_id)  # the origin's current version, not the embedded one
    if post.id != object_id or post.attributed_to != inner.actor:
        raise Ignored("the relayed post's author is not the relayed activity's actor")
    author = await ctx.account(inner.actor)
    sub = _as_received(ctx, ParsedActivity(id=inner.id, type="Update", actor=inner.actor, object_id=post.id,
                                           object=post), author)
    return await _handled(ctx, sub, handlers_note.on_update_note)


async def _delete(ctx: Context, inner: ParsedActivity) -> Apply | None:
    object_id = _same_origin(inner, inner.object_id)
    status = await statuses.get_by_uri(ctx.db, object_id)
    if status is None:
        raise Ignored("relayed Delete of a post we do not have")
    author = await accounts.get(ctx.db, int(status["account_id"]))
    if author is None or author["uri"] != inner.actor:
        raise Ignored("relayed Delete of someone else's post")
    # Believed only when the origin says so: the post answers 404/410 or is a Tombstone there.
    ctx.spend_fetch(object_id)
    try:
        document = await ctx.fetcher.fetch_document(object_id)
    except FetchError as error:
        if error.gone:
            document = None
        elif error.retryable:
            raise RetryLater(str(error)) from None
        else:
            raise Ignored(str(error)) from None
    if document is not None and document.get("type") != "Tombstone":
        raise Ignored("relayed Delete of a post its origin still has")
    sub = _as_received(ctx, ParsedActivity(id=inner.id, type="Delete", actor=inner.actor, object_id=object_id), author)
    return await _handled(ctx, sub, handlers_note.on_delete_object)


async def _like(ctx: Context, inner: ParsedActivity) -> Apply | None:
    from federation.handlers_interaction import on_like  # (it imports this module for Announce)

    _same_origin(inner, inner.id)
    try:
        like = ParsedActivity.from_document(await ctx.fetch_document(inner.id))  # the Like, from its origin
    except DocumentError as error:
        raise Ignored(f"the relayed Like at its origin: {error}") from None
    if like.type != "Like" or like.actor != inner.actor or like.object_id != inner.object_id:
        raise Ignored("the relayed Like differs from the one at its origin")
    liker = await ctx.account(like.actor)
    return await _handled(ctx, _as_received(ctx, like, liker), on_like)


_RELAYED: dict[str, RelayHandler] = {"Create": _create, "Update": _update, "Delete": _delete, "Like": _like}
