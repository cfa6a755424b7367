"""Removing someone from one's followers (Mastodon's remove_from_followers).

A local follower's follow is simply deleted. A remote follower's instance is told with a Reject of
its Follow, queued in the same transaction through the outbox as a rejected follow request is, so
that it stops counting the follow too.
"""

from __future__ import annotations

from federation import render
from storage import follows, outbox
from storage.db import Row

from ..context import Context


async def remove_follower(ctx: Context, account: Row, follower: Row) -> bool:
    """Remove `follower`'s accepted follow of `account`; False when there was none."""
    async with ctx.db.transaction() as tx:
        row = await follows.get(tx, int(follower["id"]), int(account["id"]))
        if row is None or row["state"] != "accepted":
            return False
        await follows.remove(tx, int(follower["id"]), int(account["id"]))
        if follower["domain"] is not None and row["uri"]:
            body = render.reject_follow_activity(account, follower, row["uri"])
            await outbox.enqueue(tx, activity_id=body["id"], activity_type="Reject", account_id=int(account["id"]),
                                 body=body, audience={"accounts": [int(follower["id"])]}, object_uri=row["uri"])
    return True
