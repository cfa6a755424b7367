"""Update and Delete of an actor by itself, and Move of an account to another.

An actor may only update or delete itself (SECURITY-CASES 3). Its profile is refetched from its
origin rather than read from the pushed document, so a key change can only come from the origin
(SECURITY-CASES 14); when the origin is unreachable, the pushed profile is applied without its key.
"""

from __future__ import annotations

import json

from activitypub.parse_actor import ParsedActor
from federation import render
from federation.fetch import FetchError
from federation.handling import Apply, Context, Ignored
from storage import accounts, follows, remote
from storage.db import Executor


async def on_update_actor(ctx: Context) -> Apply | None:
    if ctx.activity.object_id != ctx.actor["uri"]:
        raise Ignored("an actor may only update itself")
    try:
        await ctx.fetcher.refresh_actor(str(ctx.actor["uri"]))
    except FetchError:
        pushed = ctx.activity.object
        if not isinstance(pushed, ParsedActor) or pushed.id != ctx.actor["uri"]:
            raise Ignored("the actor could not be refetched and sent no usable profile") from None
        await ctx.fetcher.store_actor(pushed, trust_keys=False)
    return None


async def on_delete_actor(ctx: Context) -> Apply | None:
    if ctx.activity.object_id != ctx.actor["uri"]:
        raise Ignored("an actor may only delete itself")
    actor_id = ctx.actor_id
    key_id = ctx.actor["public_key_id"]

    async def apply(tx: Executor) -> None:
        # Their follows of our people go with them: recount those people afterwards.
        partners = set(await remote.followed_local_ids(tx, actor_id))
        partners |= set(await remote.following_local_ids(tx, actor_id))
        await accounts.delete(tx, actor_id)
        await accounts.refresh_counters(tx, sorted(partners))

    if key_id:
        ctx.fetcher.forget_key(str(key_id))
    return apply


async def on_move(ctx: Context) -> Apply | None:
    """Move: our accounts following the mover follow its new account instead (as Mastodon does)."""
    origin_uri = ctx.activity.object_id or ctx.activity.actor
    target_uri = ctx.activity.target
    if origin_uri != ctx.actor["uri"] or not target_uri or target_uri == origin_uri:
        raise Ignored("an actor may only move itself, to another account")
    if ctx.instance.is_local(target_uri):
        target = await accounts.get_by_uri(ctx.db, target_uri)
        if target is None:
            raise Ignored("Move to an unknown local account")
    else:
        # The target must name the mover among its aliases, as its origin says now.
        ctx.spend_fetch(target_uri)
        try:
            target = await ctx.fetcher.refresh_actor(target_uri)
        except FetchError as error:
            raise Ignored(f"the Move target could not be fetched: {error}") from None
    aliases = json.loads(target["also_known_as"] or "[]")
    if origin_uri not in aliases:
        raise Ignored("the Move target does not list the mover in alsoKnownAs")
    mover_id = ctx.actor_id
    target_id = int(target["id"])

    async def apply(tx: Executor) -> None:
        await accounts.set_moved_to(tx, mover_id, target_id)
        for follower_id in await follows.follower_ids(tx, mover_id, local_only=True):
            if follower_id == target_id or await follows.get(tx, follower_id, target_id) is not None:
                continue
            follower = await accounts.get(tx, follower_id)
            if follower is None:
                continue
            if target["domain"] is None:
                await follows.request(tx, follower_id, target_id, None, accept=not target["locked"])
                continue
            follow_uri = f"{follower['uri']}#follows/moved/{target_id}"
            await follows.request(tx, follower_id, target_id, follow_uri, accept=False)
            await ctx.enqueue(
                tx, render.follow_activity(follower, target, follow_uri),
                account_id=follower_id, audience={"accounts": [target_id]},
            )

    return apply
