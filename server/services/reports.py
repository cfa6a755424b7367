"""Reporting an account (and some of its posts) to the moderators, and to its instance if asked."""

from __future__ import annotations

from collections.abc import Sequence

from activitypub.html import sanitize_plain
from federation import render
from storage import accounts as account_store
from storage import notifications, outbox, reports, timelines
from storage import statuses as status_store
from storage.db import Row
from storage.timelines import Viewer

from ..context import Context
from .profile import federation_instance
from .statuses import ServiceError

CATEGORIES = ("spam", "legal", "violation", "other")
MAX_COMMENT = 1000
MAX_STATUSES = 20


async def report(
    ctx: Context, reporter: Row, target: Row, *, status_ids: Sequence[int] = (), comment: str = "",
    category: str = "other", forward: bool = False,
) -> int:
    """File a report; moderators are notified; a remote target's instance gets a `Flag` from our
    instance actor (not from the reporter, who stays anonymous there) when `forward` is asked."""
    if target["id"] == reporter["id"]:
        raise ServiceError(422, "You cannot report yourself")
    if category not in CATEGORIES:
        raise ServiceError(422, f"Category must be one of {', '.join(CATEGORIES)}")
    if len(comment) > MAX_COMMENT:
        raise ServiceError(422, f"Comment is too long (at most {MAX_COMMENT} characters)")
    ids = list(dict.fromkeys(status_ids))[:MAX_STATUSES]
    viewer = Viewer(int(reporter["id"]), local=True)
    rows = await status_store.get_many(ctx.db, ids)
    visible = set(await timelines.filter_visible(ctx.db, viewer, ids))
    if any(i not in rows or rows[i]["account_id"] != target["id"] or i not in visible for i in ids):
        raise ServiceError(422, "Some of these posts are not from this account")
    comment = sanitize_plain(comment, MAX_COMMENT)
    async with ctx.db.transaction() as tx:
        report_id = await reports.create(tx, reporter_id=int(reporter["id"]), target_account_id=int(target["id"]),
                                         status_ids=ids, comment=comment, category=category,
                                         forward=forward and target["domain"] is not None)
        assert report_id is not None
        for moderator in await reports.moderator_ids(tx):
            await notifications.notify(tx, moderator, int(reporter["id"]), "admin.report", report_id=report_id)
        if forward and target["domain"] is not None:
            instance_actor = await account_store.get_by_uri(tx, ctx.urls.instance_actor)
            if instance_actor is not None:
                flag_id = f"{ctx.urls.instance_actor}#reports/{report_id}"
                body = render.flag_activity(federation_instance(ctx), target, [rows[i]["uri"] for i in ids], comment,
                                            flag_id)
                await outbox.enqueue(tx, activity_id=flag_id, activity_type="Flag", account_id=int(instance_actor["id"]),
                                     body=body, audience={"accounts": [int(target["id"])]}, object_uri=target["uri"])
    return report_id
