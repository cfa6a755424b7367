"""Endpoints apps call that have little to do here, answered with Mastodon's shapes: custom emojis,
trends, preferences, announcements, the directory, suggestions, and empty collections."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from storage import accounts as account_store
from storage import announcements, preferences, social_graph

from ..errors import HTTPError
from ..mastodon import misc
from . import auth, params
from .present import Presenter
from .responses import ctx_of, json
from .routing import route


async def public_empty(request: Request) -> Response:
    """Nothing to show, to anyone (no custom emojis, no trends on a company network)."""
    return json([])


async def featured_tags(request: Request) -> Response:
    await auth.require_user(request, "read:accounts")
    return json([])


async def follows_empty(request: Request) -> Response:
    await auth.require_user(request, "read:follows")
    return json([])


async def preferences_show(request: Request) -> Response:
    who = await auth.require_user(request, "read:accounts")
    return json(misc.preferences(await preferences.get_all(ctx_of(request).db, who.account_id)))


async def announcements_index(request: Request) -> Response:
    who = await auth.require_user(request, "read")
    include_read = bool(params.query(request).bool("with_dismissed", False))
    rows = await announcements.current(ctx_of(request).db, who.account_id, include_read=include_read)
    return json([misc.announcement(row, read=read) for row, read in rows])


async def announcement_dismiss(request: Request) -> Response:
    who = await auth.require_user(request, "write:accounts")
    if not await announcements.mark_read(ctx_of(request).db, params.path_id(request), who.account_id):
        raise HTTPError(404, "Record not found")
    return json({})


async def directory(request: Request) -> Response:
    who = await auth.optional_user(request, "read:accounts")
    ctx = ctx_of(request)
    query = params.query(request)
    order = query.str("order", "active", max_length=20)
    rows = await account_store.directory(
        ctx.db, local_only=bool(query.bool("local", False)), limit=query.int("limit", 40, low=1, high=80) or 40,
        offset=query.int("offset", 0, low=0, high=100_000) or 0, order="new" if order == "new" else "active",
        department=query.str("department", max_length=200),
    )
    viewer_id = auth.viewer_id_of(who)
    return json(await Presenter(ctx, viewer_id).account_rows(rows))


async def _suggested(request: Request) -> tuple[auth.Auth, list[dict[str, object]], list[str]]:
    who = await auth.require_user(request, "read")
    ctx = ctx_of(request)
    limit = params.query(request).int("limit", 40, low=1, high=80) or 40
    rows = await social_graph.suggestions(ctx.db, who.account_id, limit=limit)
    department = who.account["department"] if who.account is not None else None
    sources = ["featured" if department and r["department"] == department else "most_followed" for r in rows]
    return who, await Presenter(ctx, who.account_id).account_rows(rows), sources


async def suggestions_v1(request: Request) -> Response:
    _, accounts, _ = await _suggested(request)
    return json(accounts)


async def suggestions_v2(request: Request) -> Response:
    _, accounts, sources = await _suggested(request)
    return json([misc.suggestion(a, s) for a, s in zip(accounts, sources, strict=True)])


async def suggestion_dismiss(request: Request) -> Response:
    await auth.require_user(request, "read")
    return json({})


routes = [
    route("/api/v1/custom_emojis", public_empty, "GET"),
    route("/api/v1/trends", public_empty, "GET"),
    route("/api/v1/trends/tags", public_empty, "GET"),
    route("/api/v1/trends/statuses", public_empty, "GET"),
    route("/api/v1/trends/links", public_empty, "GET"),
    route("/api/v1/preferences", preferences_show, "GET"),
    route("/api/v1/announcements", announcements_index, "GET"),
    route("/api/v1/announcements/{id}/dismiss", announcement_dismiss, "POST"),
    route("/api/v1/directory", directory, "GET"),
    route("/api/v1/suggestions", suggestions_v1, "GET"),
    route("/api/v2/suggestions", suggestions_v2, "GET"),
    route("/api/v1/suggestions/{id}", suggestion_dismiss, "DELETE"),
    route("/api/v1/endorsements", follows_empty, "GET"),
    route("/api/v1/featured_tags", featured_tags, "GET"),
    route("/api/v1/domain_blocks", follows_empty, "GET"),
]
