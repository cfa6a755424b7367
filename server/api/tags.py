"""GET /api/v1/tags/:name (with `following`), following and unfollowing hashtags, and
GET /api/v1/followed_tags. Posts with a followed tag reach the home feed: storage.followed_tags."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from activitypub.content import extract_hashtags, normalize_hashtag
from storage import followed_tags, tags
from storage.db import Row

from ..errors import HTTPError
from ..mastodon import statuses as status_entities
from . import auth, params
from .present import Presenter
from .responses import ctx_of, json, paginated
from .routing import route

MAX_NAME = 200


def _name(request: Request) -> str:
    raw = str(request.path_params["name"])
    name = normalize_hashtag(raw.lstrip("#")) if len(raw) <= MAX_NAME else ""
    if not name:
        raise HTTPError(404, "Record not found")
    return name


async def show(request: Request) -> Response:
    who = await auth.optional_user(request, "read:statuses")
    ctx = ctx_of(request)
    row = await tags.get(ctx.db, _name(request))
    if row is None:
        raise HTTPError(404, "Record not found")
    following = await followed_tags.is_following(ctx.db, who.account_id, int(row["id"])) if who is not None else None
    return json(status_entities.tag_entity(row, Presenter(ctx, auth.viewer_id_of(who)).rc, following=following))


async def _answer(request: Request, who: auth.Auth, row: Row) -> Response:
    ctx = ctx_of(request)
    following = await followed_tags.is_following(ctx.db, who.account_id, int(row["id"]))
    return json(status_entities.tag_entity(row, Presenter(ctx, who.account_id).rc, following=following))


async def follow(request: Request) -> Response:
    who = await auth.require_user(request, "write:follows")
    ctx = ctx_of(request)
    name = _name(request)
    if extract_hashtags("#" + name) != [name]:
        # Only what could be a hashtag in a post is created (no spaces, no punctuation, not all digits).
        raise params.invalid("Name is not a valid hashtag")
    async with ctx.db.transaction() as tx:
        if await followed_tags.count(tx, who.account_id) >= followed_tags.MAX_FOLLOWED:
            raise params.invalid(f"You can follow at most {followed_tags.MAX_FOLLOWED} hashtags")
        row = await followed_tags.ensure_tag(tx, name)
        await followed_tags.follow(tx, who.account_id, int(row["id"]))
    return await _answer(request, who, row)


async def unfollow(request: Request) -> Response:
    who = await auth.require_user(request, "write:follows")
    ctx = ctx_of(request)
    row = await tags.get(ctx.db, _name(request))
    if row is None:
        raise HTTPError(404, "Record not found")
    await followed_tags.unfollow(ctx.db, who.account_id, int(row["id"]))
    return await _answer(request, who, row)


async def followed(request: Request) -> Response:
    who = await auth.require_user(request, "read:follows")
    ctx = ctx_of(request)
    page = params.page(params.query(request), max_limit=200, default=100)
    rows = await followed_tags.followed(ctx.db, who.account_id, page)
    rc = Presenter(ctx, who.account_id).rc
    return paginated(request, [status_entities.tag_entity(r, rc, following=True) for r in rows],
                     [int(r["follow_id"]) for r in rows], full=len(rows) == page.limit)


routes = [
    route("/api/v1/tags/{name}", show, "GET"),
    route("/api/v1/tags/{name}/follow", follow, "POST"),
    route("/api/v1/tags/{name}/unfollow", unfollow, "POST"),
    route("/api/v1/followed_tags", followed, "GET"),
]
