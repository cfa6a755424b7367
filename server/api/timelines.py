"""/api/v1/timelines: home, public (local, remote, and Atrium's company-wide), hashtag, list."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from activitypub.content import normalize_hashtag
from storage import adoption, lists, timelines

from ..errors import HTTPError
from . import auth, params
from .responses import ctx_of, paginated
from .routing import route
from .shown import statuses_shown


async def home(request: Request) -> Response:
    who = await auth.require_user(request, "read:statuses")
    ctx = ctx_of(request)
    page = params.page(params.query(request))
    ids = await timelines.home(ctx.db, who.account_id, page)
    if page.max_id is None:
        await adoption.record_read(ctx.db, who.account_id)   # once a day per process, not per poll
    return paginated(request, await statuses_shown(ctx, who, "home", ids), ids)


async def public(request: Request) -> Response:
    who = await auth.optional_user(request, "read:statuses")
    ctx = ctx_of(request)
    query = params.query(request)
    page = params.page(query)
    if query.bool("company"):
        scope = "company"
    elif query.bool("local"):
        scope = "local"
    elif query.bool("remote"):
        scope = "remote"
    else:
        scope = "all"
    ids = await timelines.public(ctx.db, auth.viewer_of(who), page, scope=scope, only_media=bool(query.bool("only_media")))
    return paginated(request, await statuses_shown(ctx, who, "public", ids), ids)


async def tag(request: Request) -> Response:
    who = await auth.optional_user(request, "read:statuses")
    ctx = ctx_of(request)
    query = params.query(request)
    page = params.page(query)
    name = normalize_hashtag(str(request.path_params["hashtag"])[:200].lstrip("#"))
    ids = await timelines.tag(ctx.db, auth.viewer_of(who), name, page, local_only=bool(query.bool("local")))
    return paginated(request, await statuses_shown(ctx, who, "public", ids), ids)


async def list_timeline(request: Request) -> Response:
    who = await auth.require_user(request, "read:lists")
    ctx = ctx_of(request)
    list_id = params.path_id(request)
    if await lists.get(ctx.db, who.account_id, list_id) is None:
        raise HTTPError(404, "Record not found")
    page = params.page(params.query(request))
    ids = await lists.timeline(ctx.db, who.account_id, list_id, page)
    # Lists are part of the home feed: Mastodon applies `home` filters to them.
    return paginated(request, await statuses_shown(ctx, who, "home", ids), ids)


routes = [
    route("/api/v1/timelines/home", home, "GET"),
    route("/api/v1/timelines/public", public, "GET"),
    route("/api/v1/timelines/tag/{hashtag}", tag, "GET"),
    route("/api/v1/timelines/list/{id}", list_timeline, "GET"),
]
