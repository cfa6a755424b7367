"""Moderating accounts (issue 6): suspend, silence, delete — by an admin, from the admin API or the CLI,
each action written to the append-only audit log in the transaction that makes it.

- Suspended: every surface stops serving the account, its sessions and tokens stop working, and
  activities of a suspended remote actor are ignored (federation.process).
- Silenced: kept out of public timelines, as Mastodon's "limit".
- Deleted: a remote account goes with everything of it here. A local account must be suspended
  first; it then stays as a suspended tombstone (its name is never reused) with its profile cleared,
  and a Delete of the actor goes to its followers and the company's instances.
"""

from __future__ import annotations

from federation import render
from storage import accounts, audit, outbox, remote
from storage.db import Row

from ..context import Context
from .statuses import ServiceError

ACTIONS = ("suspend", "unsuspend", "silence", "unsilence", "delete")


async def moderate(ctx: Context, target_id: int, action: str, *, moderator_id: int | None, reason: str = "") -> Row | None:
    """Apply `action` to account `target_id`; returns the account row afterwards (None once deleted)."""
    if action not in ACTIONS:
        raise ServiceError(422, f"Unknown moderation action {action!r}: one of {', '.join(ACTIONS)}")
    target = await accounts.get(ctx.db, target_id)
    if target is None or target["actor_type"] == "Application":
        raise ServiceError(404, "Record not found")
    if moderator_id is not None and int(target["id"]) == moderator_id:
        raise ServiceError(422, "You cannot moderate your own account")
    local = target["domain"] is None
    if action == "delete" and local and target["suspended_at"] is None:
        raise ServiceError(422, "Suspend a local account before deleting it")
    async with ctx.db.transaction() as tx:
        if action in ("suspend", "unsuspend"):
            await accounts.set_suspended(tx, target_id, action == "suspend")
        elif action in ("silence", "unsilence"):
            await accounts.set_silenced(tx, target_id, action == "silence")
        elif local:
            body = render.delete_actor_activity(target)
            peers = [ctx.instance.peer_shared_inbox(d) for d in ctx.instance.policy.peer_domains()]
            await outbox.enqueue(tx, activity_id=body["id"], activity_type="Delete", account_id=target_id, body=body,
                                 audience={"followers": True, "inboxes": peers}, object_uri=target["uri"])
            await accounts.update_profile(tx, target_id, {"display_name": "", "note": "", "fields": []})
        else:
            partners = set(await remote.followed_local_ids(tx, target_id)) | set(await remote.following_local_ids(tx, target_id))
            await accounts.delete(tx, target_id)
            await accounts.refresh_counters(tx, sorted(partners))
        await audit.record(tx, actor_id=moderator_id, action=f"account.{action}", target_type="account",
                           target_id=str(target_id), data={"uri": target["uri"], "reason": reason[:1000]})
    return await accounts.get(ctx.db, target_id)
