"""Following people, here and on other instances, and answering follow requests."""

from __future__ import annotations

from federation import render
from storage import accounts as account_store
from storage import follows, outbox
from storage.db import Row

from ..context import Context
from .statuses import ServiceError


async def follow(ctx: Context, account: Row, target: Row, *, reblogs: bool | None = None, notify: bool | None = None) -> Row:
    """Follow `target`: at once when unlocked and local, as a request when locked, or by a Follow
    activity when remote (then pending until its Accept arrives)."""
    if target["id"] == account["id"]:
        raise ServiceError(422, "You cannot follow yourself")
    if target["suspended_at"] is not None:
        raise ServiceError(404, "Record not found")
    if await follows.is_blocked_either_way(ctx.db, int(account["id"]), int(target["id"])):
        raise ServiceError(403, "You cannot follow this account")
    async with ctx.db.transaction() as tx:
        existing = await follows.get(tx, int(account["id"]), int(target["id"]))
        if existing is not None:
            row = existing
        elif target["domain"] is None:
            row, _ = await follows.request(tx, int(account["id"]), int(target["id"]), None, accept=not target["locked"])
        else:
            row, _ = await follows.request(tx, int(account["id"]), int(target["id"]), None, accept=False)
            follow_id = ctx.urls.activity(account["username"], "follows", row["id"])
            await tx.execute("UPDATE follows SET uri = ? WHERE id = ?", (follow_id, row["id"]))
            body = render.follow_activity(account, target, follow_id)
            await outbox.enqueue(tx, activity_id=follow_id, activity_type="Follow", account_id=int(account["id"]),
                                 body=body, audience={"accounts": [int(target["id"])]}, object_uri=target["uri"])
        if reblogs is not None or notify is not None:
            await follows.set_options(tx, int(row["id"]), show_reblogs=reblogs, notify=notify)
        fresh = await follows.get(tx, int(account["id"]), int(target["id"]))
    assert fresh is not None
    return fresh


async def unfollow(ctx: Context, account: Row, target: Row) -> None:
    async with ctx.db.transaction() as tx:
        removed = await follows.remove(tx, int(account["id"]), int(target["id"]))
        if removed is not None and target["domain"] is not None:
            follow_id = removed["uri"] or ctx.urls.activity(account["username"], "follows", removed["id"])
            body = render.undo_follow_activity(account, target, follow_id)
            await outbox.enqueue(tx, activity_id=body["id"], activity_type="Undo", account_id=int(account["id"]),
                                 body=body, audience={"accounts": [int(target["id"])]}, object_uri=target["uri"])


async def answer_request(ctx: Context, account: Row, requester: Row, *, accept: bool) -> None:
    """Accept or reject a pending follow request made to `account`."""
    async with ctx.db.transaction() as tx:
        row = await follows.get(tx, int(requester["id"]), int(account["id"]))
        if row is None or row["state"] != "pending":
            raise ServiceError(404, "Record not found")
        if accept:
            await follows.accept_follow(tx, int(row["id"]))
        else:
            await follows.remove(tx, int(requester["id"]), int(account["id"]))
        if requester["domain"] is not None and row["uri"]:
            answer = render.accept_follow_activity if accept else render.reject_follow_activity
            body = answer(account, requester, row["uri"])
            await outbox.enqueue(tx, activity_id=body["id"], activity_type=body["type"], account_id=int(account["id"]),
                                 body=body, audience={"accounts": [int(requester["id"])]}, object_uri=row["uri"])


async def block(ctx: Context, account: Row, target: Row) -> None:
    async with ctx.db.transaction() as tx:
        await follows.block(tx, int(account["id"]), int(target["id"]))
        if target["domain"] is not None:
            block_id = ctx.urls.activity(account["username"], "blocks", target["id"])
            body = render.block_activity(account, target, block_id)
            await outbox.enqueue(tx, activity_id=block_id, activity_type="Block", account_id=int(account["id"]),
                                 body=body, audience={"accounts": [int(target["id"])]}, object_uri=target["uri"])


async def unblock(ctx: Context, account: Row, target: Row) -> None:
    async with ctx.db.transaction() as tx:
        if await follows.unblock(tx, int(account["id"]), int(target["id"])) and target["domain"] is not None:
            block_id = ctx.urls.activity(account["username"], "blocks", target["id"])
            body = render.undo_block_activity(account, target, block_id)
            await outbox.enqueue(tx, activity_id=body["id"], activity_type="Undo", account_id=int(account["id"]),
                                 body=body, audience={"accounts": [int(target["id"])]}, object_uri=target["uri"])


async def get_account_or_404(ctx: Context, account_id: int) -> Row:
    row = await account_store.get(ctx.db, account_id)
    if row is None or row["suspended_at"] is not None or row["actor_type"] == "Application":
        raise ServiceError(404, "Record not found")
    return row
