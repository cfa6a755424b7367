"""Block, Undo(Block) and Flag (a report from another instance).

A Flag becomes a report about one of our accounts, with the reported posts that are ours, and
every admin and moderator of this instance is notified (issue 3: a report reaches the reported
account's admins). Flags about accounts of other instances are not ours to handle.
"""

from __future__ import annotations

from activitypub.html import sanitize_plain
from activitypub.parse_activity import ParsedActivity
from federation.handling import Apply, Context, Ignored
from storage import accounts, follows, notifications, remote, reports, statuses
from storage.db import Executor

MAX_COMMENT = 1000
MAX_REPORTED_POSTS = 20


async def on_block(ctx: Context) -> Apply | None:
    target_uri = ctx.activity.object_id
    if not target_uri or not ctx.instance.is_local(target_uri):
        raise Ignored("Block of an actor that is not ours")
    target = await accounts.get_by_uri(ctx.db, target_uri)
    if target is None:
        raise Ignored("Block of an unknown local actor")
    block_uri = ctx.activity.id

    async def apply(tx: Executor) -> None:
        await follows.block(tx, ctx.actor_id, int(target["id"]), block_uri)

    return apply


async def on_undo_block(ctx: Context, inner_id: str | None, inner: ParsedActivity | None) -> Apply | None:
    block = await remote.get_block_by_uri(ctx.db, inner_id) if inner_id else None
    target_id: int | None = None
    if block is not None:
        if int(block["account_id"]) != ctx.actor_id:
            raise Ignored("Undo of someone else's Block")
        target_id = int(block["target_account_id"])
    elif inner is not None and inner.actor == ctx.actor["uri"] and inner.object_id:
        target = await accounts.get_by_uri(ctx.db, inner.object_id)
        target_id = int(target["id"]) if target is not None else None
    if target_id is None:
        return None

    async def apply(tx: Executor) -> None:
        await follows.unblock(tx, ctx.actor_id, target_id)

    return apply


async def on_flag(ctx: Context) -> Apply | None:
    target_id: int | None = None
    status_ids: list[int] = []
    for uri in ctx.activity.object_ids:
        if not ctx.instance.is_local(uri):
            continue
        account = await accounts.get_by_uri(ctx.db, uri)
        if account is not None:
            target_id = target_id or int(account["id"])
            continue
        status = await statuses.get_by_uri(ctx.db, uri)
        if status is not None and len(status_ids) < MAX_REPORTED_POSTS:
            status_ids.append(int(status["id"]))
            target_id = target_id or int(status["account_id"])
    if target_id is None:
        raise Ignored("Flag of nothing of ours")
    # Only the reported account's own posts belong in its report.
    owned = await statuses.get_many(ctx.db, status_ids)
    status_ids = [s for s in status_ids if s in owned and int(owned[s]["account_id"]) == target_id]
    comment = sanitize_plain(ctx.activity.content or "", MAX_COMMENT)
    reporter_id = ctx.actor_id
    flag_uri = ctx.activity.id
    report_target = target_id

    async def apply(tx: Executor) -> None:
        report_id = await reports.create(
            tx, reporter_id=reporter_id, target_account_id=report_target, status_ids=status_ids,
            comment=comment, uri=flag_uri,
        )
        if report_id is None:
            return  # the same Flag again
        for moderator_id in await reports.moderator_ids(tx):
            await notifications.notify(tx, moderator_id, reporter_id, "admin.report", report_id=report_id)

    return apply
