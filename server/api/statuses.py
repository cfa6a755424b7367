"""/api/v1/statuses: posting (with polls, media, content warnings, Idempotency-Key), reading, editing,
deleting, and favourites, boosts, bookmarks and pins."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from storage import hydrate, interactions, preferences, timelines
from storage import statuses as status_store
from storage.db import Row
from storage.ids import now_ms

from ..errors import HTTPError
from ..mastodon import statuses as status_entities
from ..mastodon.common import VISIBILITY_IN
from ..mastodon.instance import MAX_PINNED
from ..services import scheduling
from ..services import statuses as status_service
from ..services.statuses import PollInput, PostInput
from . import auth, filtering, params
from . import scheduled as scheduled_api
from .present import Presenter
from .responses import ctx_of, json, paginated
from .routing import route

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def _poll(body: params.Params) -> PollInput | None:
    poll = body.dict("poll")
    if not poll:
        return None
    sub = params.Params(poll)
    options = sub.strs("options", max_length=500)
    expires_in = sub.int("expires_in", None, low=1, high=10**9)
    if expires_in is None:
        raise params.invalid("poll[expires_in] can't be blank")
    return PollInput(options=options, expires_in=expires_in, multiple=bool(sub.bool("multiple", False)),
                     hide_totals=bool(sub.bool("hide_totals", False)))


def _visibility(body: params.Params, default: str) -> str:
    value = body.str("visibility", max_length=20)
    if body.bool("local_only"):
        return "local"
    if value is None or value == "":
        return default
    if value not in VISIBILITY_IN:
        raise params.invalid("Visibility is not included in the list")
    return VISIBILITY_IN[value]


def _language(body: params.Params) -> str | None:
    language = body.str("language", max_length=20)
    if not language:
        return None
    if not _LANGUAGE.match(language):
        raise params.invalid("language is not a language code")
    return language


def _media_ids(body: params.Params) -> list[int]:
    ids = body.ids("media_ids")
    if len(ids) > 4:
        raise params.invalid("Media ids must contain at most 4 items")
    return list(dict.fromkeys(ids))


async def _post_input(request: Request, body: params.Params, account_id: int) -> PostInput:
    ctx = ctx_of(request)
    prefs = await preferences.get_all(ctx.db, account_id)
    sensitive = body.bool("sensitive")
    return PostInput(
        text=body.str("status", "", max_length=ctx.settings.max_status_chars * 4) or "",
        visibility=_visibility(body, str(prefs.get("posting:default:visibility", "public"))),
        spoiler_text=body.str("spoiler_text", "", max_length=5000) or "",
        sensitive=bool(prefs.get("posting:default:sensitive", False)) if sensitive is None else sensitive,
        in_reply_to_id=body.id("in_reply_to_id"),
        media_ids=_media_ids(body),
        poll=_poll(body),
        language=_language(body) or prefs.get("posting:default:language"),
        idempotency_key=(request.headers.get("idempotency-key") or "")[:200] or None,
    )


async def create(request: Request) -> Response:
    who = await auth.require_user(request, "write:statuses")
    ctx = ctx_of(request)
    assert who.account is not None
    body = await params.body(request)
    post = await _post_input(request, body, who.account_id)
    scheduled_at = body.str("scheduled_at", max_length=64)
    if scheduled_at:
        # Mastodon: a time in the past publishes now; otherwise at least five minutes ahead.
        at = scheduling.parse_time(scheduled_at)
        if at > now_ms():
            row_id = await scheduling.schedule(ctx, who.account, post, at, application_id=who.app_id)
            return json(await scheduled_api.show_one(ctx, who.account_id, row_id))
    status_id = await status_service.create_status(ctx, who.account, post)
    return json(await Presenter(ctx, who.account_id).status(status_id))


async def _visible(request: Request, who: auth.Auth | None) -> Row:
    return await status_service.get_visible(ctx_of(request), auth.viewer_of(who), params.path_id(request))


async def show(request: Request) -> Response:
    who = await auth.optional_user(request, "read:statuses")
    row = await _visible(request, who)
    found = await Presenter(ctx_of(request), auth.viewer_id_of(who)).status(int(row["id"]))
    if found is None:
        raise HTTPError(404, "Record not found")
    return json(found)


async def show_many(request: Request) -> Response:
    who = await auth.optional_user(request, "read:statuses")
    ctx = ctx_of(request)
    ids = params.query(request).ids("id")[:40]
    visible = await timelines.filter_visible(ctx.db, auth.viewer_of(who), ids)
    return json(await Presenter(ctx, auth.viewer_id_of(who)).statuses(visible))


async def edit(request: Request) -> Response:
    who = await auth.require_user(request, "write:statuses")
    ctx = ctx_of(request)
    assert who.account is not None
    status_id = params.path_id(request)
    body = await params.body(request)
    current = await status_store.get(ctx.db, status_id)
    if current is None or current["account_id"] != who.account_id:
        raise HTTPError(404, "Record not found")
    media_ids = _media_ids(body)
    await _describe_media(request, who, body)
    post = PostInput(
        text=body.str("status", "", max_length=ctx.settings.max_status_chars * 4) or "",
        visibility=current["visibility"], spoiler_text=body.str("spoiler_text", "", max_length=5000) or "",
        sensitive=bool(body.bool("sensitive", False)), media_ids=media_ids, language=_language(body),
    )
    await status_service.edit_status(ctx, who.account, status_id, post)
    return json(await Presenter(ctx, who.account_id).status(status_id))


async def _describe_media(request: Request, who: auth.Auth, body: params.Params) -> None:
    """`media_attributes[][id|description|focus]` of an edit: alt texts changed with the post."""
    from ..services import media as media_service

    assert who.account is not None
    for item in body.list("media_attributes"):
        if not isinstance(item, dict):
            raise params.invalid("media_attributes must be a list of objects")
        sub = params.Params(item)
        media_id = sub.id("id")
        if media_id is None:
            continue
        try:
            focus = media_service.parse_focus(sub.str("focus", max_length=40))
        except ValueError as exc:
            raise params.invalid(str(exc)) from None
        await media_service.describe(ctx_of(request), who.account, media_id,
                                     description=sub.str("description", max_length=5000), focus=focus)


async def delete(request: Request) -> Response:
    who = await auth.require_user(request, "write:statuses")
    ctx = ctx_of(request)
    assert who.account is not None
    status_id = params.path_id(request)
    presenter = Presenter(ctx, who.account_id)
    bundles = await presenter.bundles([status_id])
    if not bundles or int(bundles[0].status["account_id"]) != who.account_id:
        raise HTTPError(404, "Record not found")
    # Rendered before it is gone, with its source text (the apps' "delete and redraft").
    rendered = presenter.status_of(bundles[0], source=True)
    await status_service.delete_status(ctx, who.account, status_id)
    return json(rendered)


async def context(request: Request) -> Response:
    who = await auth.optional_user(request, "read:statuses")
    ctx = ctx_of(request)
    row = await _visible(request, who)
    ancestors, descendants = await timelines.context(ctx.db, auth.viewer_of(who), row)
    presenter = Presenter(ctx, auth.viewer_id_of(who))
    thread = await filtering.for_viewer(ctx, auth.viewer_id_of(who), "thread", none_saved=auth.no_saved_filters(who))
    return json(status_entities.context(thread.statuses(await presenter.statuses(ancestors)),
                                        thread.statuses(await presenter.statuses(descendants))))


async def history(request: Request) -> Response:
    who = await auth.optional_user(request, "read:statuses")
    ctx = ctx_of(request)
    row = await _visible(request, who)
    presenter = Presenter(ctx, auth.viewer_id_of(who))
    bundle = await hydrate.load_status(ctx.db, int(row["id"]))
    if bundle is None:
        raise HTTPError(404, "Record not found")
    account_json = presenter.account(bundle.account)
    media = [status_entities.media_attachment(m, presenter.rc) for m in bundle.media]
    edits = await status_store.history(ctx.db, int(row["id"])) or [row]
    return json([status_entities.status_edit(e, account_json, media) for e in edits])


async def source(request: Request) -> Response:
    who = await auth.require_user(request, "read:statuses")
    row = await _visible(request, who)
    if row["account_id"] != who.account_id:
        raise HTTPError(404, "Record not found")
    return json(status_entities.status_source(row))


async def _who_list(request: Request, kind: str) -> Response:
    who = await auth.optional_user(request, "read:accounts")
    ctx = ctx_of(request)
    row = await _visible(request, who)
    page = params.page(params.query(request), max_limit=80, default=40)
    fetch = interactions.favourited_by if kind == "favourites" else interactions.reblogged_by
    rows = await fetch(ctx.db, int(row["id"]), page)
    accounts = await Presenter(ctx, auth.viewer_id_of(who)).accounts([int(r["account_id"]) for r in rows])
    return paginated(request, accounts, [int(r["id"]) for r in rows], full=len(rows) == page.limit)


async def favourited_by(request: Request) -> Response:
    return await _who_list(request, "favourites")


async def reblogged_by(request: Request) -> Response:
    return await _who_list(request, "reblogs")


async def _answer(request: Request, who: auth.Auth, status_id: int) -> Response:
    found = await Presenter(ctx_of(request), who.account_id).status(status_id)
    if found is None:
        raise HTTPError(404, "Record not found")
    return json(found)


async def favourite(request: Request) -> Response:
    who = await auth.require_user(request, "write:favourites")
    assert who.account is not None
    status_id = params.path_id(request)
    await status_service.favourite(ctx_of(request), who.account, status_id)
    return await _answer(request, who, status_id)


async def unfavourite(request: Request) -> Response:
    who = await auth.require_user(request, "write:favourites")
    assert who.account is not None
    status_id = params.path_id(request)
    await status_service.unfavourite(ctx_of(request), who.account, status_id)
    return await _answer(request, who, status_id)


async def reblog(request: Request) -> Response:
    who = await auth.require_user(request, "write:statuses")
    assert who.account is not None
    body = await params.body(request)
    visibility = body.str("visibility", "public", max_length=20) or "public"
    boost_id = await status_service.reblog(ctx_of(request), who.account, params.path_id(request),
                                           visibility="unlisted" if visibility == "unlisted" else "public")
    return await _answer(request, who, boost_id)


async def unreblog(request: Request) -> Response:
    who = await auth.require_user(request, "write:statuses")
    assert who.account is not None
    row = await _visible(request, who)
    await status_service.unreblog(ctx_of(request), who.account, int(row["id"]))
    return await _answer(request, who, int(row["id"]))


async def bookmark(request: Request) -> Response:
    who = await auth.require_user(request, "write:bookmarks")
    row = await _visible(request, who)
    await interactions.bookmark(ctx_of(request).db, who.account_id, int(row["reblog_of_id"] or row["id"]))
    return await _answer(request, who, int(row["id"]))


async def unbookmark(request: Request) -> Response:
    who = await auth.require_user(request, "write:bookmarks")
    row = await _visible(request, who)
    await interactions.unbookmark(ctx_of(request).db, who.account_id, int(row["reblog_of_id"] or row["id"]))
    return await _answer(request, who, int(row["id"]))


async def pin(request: Request) -> Response:
    who = await auth.require_user(request, "write:accounts")
    ctx = ctx_of(request)
    row = await _visible(request, who)
    if row["account_id"] != who.account_id or row["reblog_of_id"] is not None:
        raise params.invalid("You can only pin your own posts")
    if row["visibility"] not in status_entities.PINNABLE:
        raise params.invalid("Direct messages cannot be pinned")
    pinned = await interactions.pinned_ids(ctx.db, who.account_id)
    if int(row["id"]) not in pinned and len(pinned) >= MAX_PINNED:
        raise params.invalid(f"You can pin at most {MAX_PINNED} posts")
    await interactions.pin(ctx.db, who.account_id, int(row["id"]))
    return await _answer(request, who, int(row["id"]))


async def unpin(request: Request) -> Response:
    who = await auth.require_user(request, "write:accounts")
    row = await _visible(request, who)
    await interactions.unpin(ctx_of(request).db, who.account_id, int(row["id"]))
    return await _answer(request, who, int(row["id"]))


routes = [
    route("/api/v1/statuses", {"GET": show_many, "POST": create}, budget="statuses"),
    route("/api/v1/statuses/{id}", {"GET": show, "PUT": edit, "DELETE": delete}),
    route("/api/v1/statuses/{id}/context", context, "GET"),
    route("/api/v1/statuses/{id}/history", history, "GET"),
    route("/api/v1/statuses/{id}/source", source, "GET"),
    route("/api/v1/statuses/{id}/favourited_by", favourited_by, "GET"),
    route("/api/v1/statuses/{id}/reblogged_by", reblogged_by, "GET"),
    route("/api/v1/statuses/{id}/favourite", favourite, "POST"),
    route("/api/v1/statuses/{id}/unfavourite", unfavourite, "POST"),
    route("/api/v1/statuses/{id}/reblog", reblog, "POST"),
    route("/api/v1/statuses/{id}/unreblog", unreblog, "POST"),
    route("/api/v1/statuses/{id}/bookmark", bookmark, "POST"),
    route("/api/v1/statuses/{id}/unbookmark", unbookmark, "POST"),
    route("/api/v1/statuses/{id}/pin", pin, "POST"),
    route("/api/v1/statuses/{id}/unpin", unpin, "POST"),
]
