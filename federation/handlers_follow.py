"""Follow, Accept, Reject and Undo(Follow): follow requests in both directions.

A Follow of a locked account stays pending until its owner accepts (the server's service then
sends the Accept); an unlocked account accepts at once and we answer with an Accept. An Accept
or Reject counts only from the followed actor and only for a Follow we sent (SECURITY-CASES 25);
an Undo only from the follower (SECURITY-CASES 3).
"""

from __future__ import annotations

from activitypub.parse_activity import ParsedActivity
from federation import render
from federation.handling import Apply, Context, Ignored
from storage import accounts, follows
from storage.db import Executor, Row


async def on_follow(ctx: Context) -> Apply | None:
    target_uri = ctx.activity.object_id
    if not target_uri or not ctx.instance.is_local(target_uri):
        raise Ignored("Follow of an actor that is not ours")
    target = await accounts.get_by_uri(ctx.db, target_uri)
    if target is None or target["domain"] is not None or target["actor_type"] == "Application":
        raise Ignored("Follow of an unknown local actor")
    follower = ctx.actor
    follow_uri = ctx.activity.id

    async def apply(tx: Executor) -> None:
        audience = {"accounts": [int(follower["id"])]}
        if target["suspended_at"] is not None or await follows.is_blocked_either_way(tx, target["id"], follower["id"]):
            reject = render.reject_follow_activity(target, follower, follow_uri)
            await ctx.enqueue(tx, reject, account_id=int(target["id"]), audience=audience)
            return
        row, _created = await follows.request(
            tx, int(follower["id"]), int(target["id"]), follow_uri, accept=not target["locked"]
        )
        if row["state"] == "accepted":
            # Also for a Follow sent again while already accepted: the peer lost track, confirm.
            accept = render.accept_follow_activity(target, follower, follow_uri)
            await ctx.enqueue(tx, accept, account_id=int(target["id"]), audience=audience)

    return apply


async def _our_follow(ctx: Context) -> Row:
    """The Follow we sent that an Accept/Reject from `ctx.actor` answers."""
    activity = ctx.activity
    follow = await follows.get_by_uri(ctx.db, activity.object_id) if activity.object_id else None
    inner = activity.object if isinstance(activity.object, ParsedActivity) else None
    if follow is None and inner is not None and inner.type == "Follow" and ctx.instance.is_local(inner.actor):
        # Some servers answer with a Follow of their own making: match by who follows whom.
        follower = await accounts.get_by_uri(ctx.db, inner.actor)
        if follower is not None and inner.object_id == ctx.actor["uri"]:
            follow = await follows.get(ctx.db, int(follower["id"]), ctx.actor_id)
    if follow is None:
        raise Ignored(f"{activity.type} of no Follow we know")
    if int(follow["target_account_id"]) != ctx.actor_id:
        raise Ignored(f"{activity.type} from someone other than the followed account")
    return follow


async def on_accept(ctx: Context) -> Apply | None:
    follow = await _our_follow(ctx)
    if follow["state"] != "pending":
        return None  # already accepted: a redelivered Accept changes nothing

    async def apply(tx: Executor) -> None:
        await follows.accept_follow(tx, int(follow["id"]))

    return apply


async def on_reject(ctx: Context) -> Apply | None:
    follow = await _our_follow(ctx)

    async def apply(tx: Executor) -> None:
        await follows.remove(tx, int(follow["account_id"]), int(follow["target_account_id"]))

    return apply


async def on_undo_follow(ctx: Context, inner_id: str | None, inner: ParsedActivity | None) -> Apply | None:
    follow = await follows.get_by_uri(ctx.db, inner_id) if inner_id else None
    if follow is None and inner is not None and inner.actor == ctx.actor["uri"] and inner.object_id:
        target = await accounts.get_by_uri(ctx.db, inner.object_id)
        if target is not None:
            follow = await follows.get(ctx.db, ctx.actor_id, int(target["id"]))
    if follow is None:
        return None  # nothing to undo (already undone, or never seen)
    if int(follow["account_id"]) != ctx.actor_id:
        raise Ignored("Undo of someone else's Follow")

    async def apply(tx: Executor) -> None:
        await follows.remove(tx, ctx.actor_id, int(follow["target_account_id"]))

    return apply
