"""/api/v1/notifications (and the grouped /api/v2 variant): list, get, dismiss, clear, unread count."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from storage import markers
from storage import notifications as notification_store
from storage.db import Row
from storage.notifications import TYPES

from ..errors import HTTPError
from ..mastodon import notifications as notification_entities
from . import auth, filtering, params
from .present import Presenter
from .responses import ctx_of, json, paginated
from .routing import route

ADMIN_TYPES = ("admin.sign_up", "admin.report")


def _types(query: params.Params, name: str) -> list[str]:
    return [t for t in query.strs(name, max_length=40) if t in TYPES]


async def _rows(request: Request, who: auth.Auth) -> tuple[list[Row], int]:
    query = params.query(request)
    page = params.page(query, max_limit=80, default=40)
    types = _types(query, "types")
    exclude = _types(query, "exclude_types")
    if not who.is_admin:
        exclude = list(dict.fromkeys([*exclude, *ADMIN_TYPES]))
    if query.raw("types") is not None and not types:
        return [], page.limit   # only unknown types asked for: nothing matches
    rows = await notification_store.list_for(
        ctx_of(request).db, who.account_id, page, types=types or None, exclude_types=exclude or None,
        from_account_id=query.id("account_id"),
    )
    return rows, page.limit


async def index(request: Request) -> Response:
    who = await auth.require_user(request, "read:notifications")
    rows, limit = await _rows(request, who)
    items = await Presenter(ctx_of(request), who.account_id).notifications(rows)
    items = (await filtering.for_viewer(ctx_of(request), who.account_id, "notifications",
                                      none_saved=auth.no_saved_filters(who))).notifications(items)
    return paginated(request, items, [int(r["id"]) for r in rows], full=len(rows) == limit)


async def grouped(request: Request) -> Response:
    """/api/v2/notifications: every notification is its own group (Mastodon does so for mentions)."""
    who = await auth.require_user(request, "read:notifications")
    rows, limit = await _rows(request, who)
    presenter = Presenter(ctx_of(request), who.account_id)
    rendered = await presenter.notifications(rows)
    rendered = (await filtering.for_viewer(ctx_of(request), who.account_id, "notifications",
                                      none_saved=auth.no_saved_filters(who))).notifications(rendered)
    kept = {n["id"] for n in rendered}
    groups = [notification_entities.notification_group(r) for r in rows if str(r["id"]) in kept]
    accounts = {n["account"]["id"]: n["account"] for n in rendered}
    statuses = {n["status"]["id"]: n["status"] for n in rendered if "status" in n}
    body = {"accounts": list(accounts.values()), "statuses": list(statuses.values()), "notification_groups": groups}
    response = paginated(request, [], [int(r["id"]) for r in rows], full=len(rows) == limit)
    return json(body, headers={k: v for k, v in response.headers.items() if k.lower() == "link"})


async def show(request: Request) -> Response:
    who = await auth.require_user(request, "read:notifications")
    row = await notification_store.get(ctx_of(request).db, who.account_id, params.path_id(request))
    items = await Presenter(ctx_of(request), who.account_id).notifications([row]) if row is not None else []
    if not items:
        raise HTTPError(404, "Record not found")
    return json(items[0])


async def dismiss(request: Request) -> Response:
    who = await auth.require_user(request, "write:notifications")
    notification_id = params.path_id(request) if "id" in request.path_params else (await params.body(request)).id("id")
    if notification_id is None or not await notification_store.dismiss(ctx_of(request).db, who.account_id, notification_id):
        raise HTTPError(404, "Record not found")
    return json({})


async def clear(request: Request) -> Response:
    who = await auth.require_user(request, "write:notifications")
    await notification_store.clear(ctx_of(request).db, who.account_id)
    return json({})


async def unread_count(request: Request) -> Response:
    who = await auth.require_user(request, "read:notifications")
    ctx = ctx_of(request)
    limit = params.query(request).int("limit", 100, low=1, high=1000) or 100
    found = await markers.get(ctx.db, who.account_id, ["notifications"])
    last_read = int(found["notifications"]["last_read_id"]) if "notifications" in found else 0
    return json({"count": await notification_store.unread_count(ctx.db, who.account_id, last_read, limit)})


routes = [
    route("/api/v1/notifications", index, "GET"),
    route("/api/v1/notifications/unread_count", unread_count, "GET"),
    route("/api/v1/notifications/clear", clear, "POST"),
    route("/api/v1/notifications/dismiss", dismiss, "POST"),
    route("/api/v1/notifications/{id}", show, "GET"),
    route("/api/v1/notifications/{id}/dismiss", dismiss, "POST"),
    route("/api/v2/notifications", grouped, "GET"),
    route("/api/v2/notifications/unread_count", unread_count, "GET"),
]
