"""GET /api/v2/search (people, posts, hashtags; `@user@host` and URLs resolved through the federation)
(GET /api/v1/tags/:name is in server/api/tags.py)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from activitypub.content import normalize_hashtag
from storage import accounts as account_store
from storage import followed_tags, listings, timelines
from storage.db import Row

from ..mastodon import statuses as status_entities
from . import auth, params
from .lookup import account_by_url, find_account, split_handle, status_by_url
from .present import Presenter
from .responses import ctx_of, json
from .routing import route

TYPES = ("accounts", "statuses", "hashtags")


async def _accounts(request: Request, text: str, *, resolve: bool, limit: int) -> list[Row]:
    ctx = ctx_of(request)
    if text.startswith(("https://", "http://")):
        found = await account_by_url(ctx, text)
        return [found] if found is not None else []
    rows: list[Row] = []
    if split_handle(ctx, text) is not None:
        exact = await find_account(ctx, text, resolve=resolve)
        if exact is not None:
            rows.append(exact)
    seen = {int(r["id"]) for r in rows}
    for row in await account_store.search(ctx.db, text.lstrip("@").split("@")[0], limit=limit):
        if row["actor_type"] != "Application" and int(row["id"]) not in seen:
            rows.append(row)
            seen.add(int(row["id"]))
    return rows[:limit]


async def _statuses(request: Request, who: auth.Auth | None, text: str, *, resolve: bool, limit: int) -> list[int]:
    ctx = ctx_of(request)
    viewer = auth.viewer_of(who)
    if text.startswith(("https://", "http://")):
        found = await status_by_url(ctx, text, resolve=resolve)
        if found is None or not await timelines.can_see(ctx.db, viewer, found):
            return []
        return [found]
    if who is None:
        return []
    return await listings.search_statuses(ctx.db, viewer, text, limit=limit)


async def search(request: Request) -> Response:
    who = await auth.optional_user(request, "read:search")
    ctx = ctx_of(request)
    query = params.query(request)
    text = (query.str("q", "", max_length=500) or "").strip()
    kind = query.str("type", max_length=20)
    limit = query.int("limit", 20, low=1, high=40) or 20
    offset = query.int("offset", 0, low=0) or 0
    resolve = bool(query.bool("resolve")) and who is not None
    viewer_id = auth.viewer_id_of(who)
    presenter = Presenter(ctx, viewer_id)
    result: dict[str, Any] = {"accounts": [], "statuses": [], "hashtags": []}
    if not text or offset > 0 or (kind is not None and kind not in TYPES):
        return json(result)
    if kind in (None, "accounts"):
        rows = await _accounts(request, text, resolve=resolve, limit=limit)
        result["accounts"] = await presenter.account_rows(rows)
    if kind in (None, "statuses"):
        result["statuses"] = await presenter.statuses(await _statuses(request, who, text, resolve=resolve, limit=limit))
    if kind in (None, "hashtags") and not text.startswith(("https://", "http://")):
        names = await listings.search_tags(ctx.db, normalize_hashtag(text.lstrip("#")), limit=limit)
        followed = await followed_tags.following_names(ctx.db, viewer_id, names) if viewer_id is not None else set()
        result["hashtags"] = [{**status_entities.tag(n, presenter.rc), "history": [], "following": n in followed}
                              for n in names]
    return json(result)


routes = [
    route("/api/v2/search", search, "GET"),
]
