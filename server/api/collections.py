"""The employee's own collections: bookmarks, favourites, blocks, mutes, pending follow requests."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from storage import follows, interactions, timelines

from ..mastodon import accounts as account_entities
from ..services import follows as follow_service
from . import auth, params
from .present import Presenter
from .responses import ctx_of, json, paginated
from .routing import route


async def _status_collection(request: Request, kind: str) -> Response:
    scope = "read:bookmarks" if kind == "bookmarks" else "read:favourites"
    who = await auth.require_user(request, scope)
    ctx = ctx_of(request)
    page = params.page(params.query(request))
    fetch = interactions.bookmarks_of if kind == "bookmarks" else interactions.favourites_of
    rows = await fetch(ctx.db, who.account_id, page)
    # Kept earlier, a post may since have become one the reader can no longer open.
    visible = await timelines.filter_visible(ctx.db, who.viewer, [int(r["status_id"]) for r in rows])
    statuses = await Presenter(ctx, who.account_id).statuses(visible)
    return paginated(request, statuses, [int(r["id"]) for r in rows], full=len(rows) == page.limit)


async def bookmarks(request: Request) -> Response:
    return await _status_collection(request, "bookmarks")


async def favourites(request: Request) -> Response:
    return await _status_collection(request, "favourites")


async def blocks(request: Request) -> Response:
    who = await auth.require_user(request, "read:blocks")
    ctx = ctx_of(request)
    page = params.page(params.query(request), max_limit=80, default=40)
    rows = await follows.blocked_ids(ctx.db, who.account_id, page)
    accounts = await Presenter(ctx, who.account_id).accounts([int(r["account_id"]) for r in rows])
    return paginated(request, accounts, [int(r["id"]) for r in rows], full=len(rows) == page.limit)


async def mutes(request: Request) -> Response:
    who = await auth.require_user(request, "read:mutes")
    ctx = ctx_of(request)
    page = params.page(params.query(request), max_limit=80, default=40)
    rows = await follows.muted_ids(ctx.db, who.account_id, page)
    accounts = await Presenter(ctx, who.account_id).accounts([int(r["account_id"]) for r in rows])
    items = [account_entities.mute_expiry(a, None) for a in accounts]
    return paginated(request, items, [int(r["id"]) for r in rows], full=len(rows) == page.limit)


async def follow_requests(request: Request) -> Response:
    who = await auth.require_user(request, "read:follows")
    ctx = ctx_of(request)
    page = params.page(params.query(request), max_limit=80, default=40)
    rows = await follows.pending_requests(ctx.db, who.account_id, page)
    accounts = await Presenter(ctx, who.account_id).accounts([int(r["account_id"]) for r in rows])
    return paginated(request, accounts, [int(r["follow_id"]) for r in rows], full=len(rows) == page.limit)


async def _answer(request: Request, accept: bool) -> Response:
    who = await auth.require_user(request, "write:follows")
    ctx = ctx_of(request)
    assert who.account is not None
    requester = await follow_service.get_account_or_404(ctx, params.path_id(request))
    await follow_service.answer_request(ctx, who.account, requester, accept=accept)
    return json(await Presenter(ctx, who.account_id).relationship(int(requester["id"])))


async def authorize(request: Request) -> Response:
    return await _answer(request, True)


async def reject(request: Request) -> Response:
    return await _answer(request, False)


routes = [
    route("/api/v1/bookmarks", bookmarks, "GET"),
    route("/api/v1/favourites", favourites, "GET"),
    route("/api/v1/blocks", blocks, "GET"),
    route("/api/v1/mutes", mutes, "GET"),
    route("/api/v1/follow_requests", follow_requests, "GET"),
    route("/api/v1/follow_requests/{id}/authorize", authorize, "POST"),
    route("/api/v1/follow_requests/{id}/reject", reject, "POST"),
]
