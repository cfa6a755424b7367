"""Notifications (mentions, replies, likes, boosts, follows, follow requests, polls) and bookmarks."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response

from storage import accounts as account_store
from storage import hydrate, interactions, listings, timelines
from storage import notifications as notification_store
from webui.render import AccountView, StatusView, absolute, account_view, iso, relative, status_views

from .base import Web, page

PAGE = 30
SEEN_COOKIE = "atrium_seen_notifications"


@dataclass
class NotificationView:
    id: int
    type: str
    who: AccountView
    status: StatusView | None
    created_iso: str
    created_title: str
    ago: str
    pending: bool = False     # a follow request still waiting for an answer


@page("/notifications")
async def notifications(web: Web) -> Response:
    page_args = web.page_args(limit=PAGE)
    rows = await notification_store.list_for(web.ctx.db, web.user.id, page_args)
    people = await account_store.get_many(web.ctx.db, [r["from_account_id"] for r in rows])
    status_ids = await timelines.filter_visible(web.ctx.db, web.viewer, [int(r["status_id"]) for r in rows if r["status_id"]])
    bundles = await hydrate.load_statuses(web.ctx.db, status_ids, web.user.id)
    rc = web.rc
    by_id = {v.id: v for v in status_views(bundles, rc)}
    waiting = await listings.pending_request_ids(web.ctx.db, web.user.id)
    items = []
    for row in rows:
        who = people.get(int(row["from_account_id"]))
        if who is None:
            continue
        created = int(row["created_at"])
        items.append(NotificationView(
            id=int(row["id"]), type=row["type"], who=account_view(who, rc),
            status=by_id.get(int(row["status_id"])) if row["status_id"] else None,
            created_iso=iso(created), created_title=absolute(created, rc), ago=relative(created, rc),
            pending=row["type"] == "follow_request" and int(row["from_account_id"]) in waiting,
        ))
    more = f"?max_id={rows[-1]['id']}" if len(rows) >= PAGE else None
    response = await web.render("notifications.html", items=items, more=more, pending_count=len(waiting))
    if rows and page_args.max_id is None:
        response.set_cookie(SEEN_COOKIE, str(rows[0]["id"]), max_age=365 * 86400, path="/", httponly=True,
                            samesite="lax", secure=web.ctx.settings.scheme == "https")
    return response


@page("/bookmarks")
async def bookmarks(web: Web) -> Response:
    page_args = web.page_args(limit=20)
    rows = await interactions.bookmarks_of(web.ctx.db, web.user.id, page_args)
    ids = await timelines.filter_visible(web.ctx.db, web.viewer, [int(r["status_id"]) for r in rows])
    bundles = await hydrate.load_statuses(web.ctx.db, ids, web.user.id)
    more = f"?max_id={rows[-1]['id']}" if len(rows) >= page_args.limit else None
    return await web.render("timeline.html", kind="bookmarks", title=web._("Bookmarks"),
                            statuses=status_views(bundles, web.rc), more=more, stream=None)


routes = [notifications, bookmarks]
