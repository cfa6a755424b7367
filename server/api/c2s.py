"""ActivityPub client-to-server: the owner POSTs activities to their outbox with an OAuth bearer token,
and GETs their inbox (https://www.w3.org/TR/activitypub/#client-to-server-interactions).

Each activity is mapped onto the same service a Mastodon app's request would call, so C2S gets the
same validation, audiences, federation and events: Create (a bare Note is wrapped, §6.2.1),
Update and Delete of one's posts, Like, Announce, Follow, and Undo of the last three. The server
fills ids, `published` and addressing, and answers 201 with the new activity's id in `Location`.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from activitypub.audience import visibility_from_addressing
from activitypub.builders import build_ordered_collection_page
from activitypub.html import html_to_text
from federation import render
from storage import accounts as account_store
from storage import hydrate, listings, timelines
from storage.db import Row

from ..context import Context
from ..errors import HTTPError
from ..routes_ap import ACTIVITY_CONTENT_TYPE
from ..services import follows as follow_service
from ..services import statuses as status_service
from ..services.statuses import PostInput
from . import auth, params
from .responses import ctx_of
from .routing import route

NOTE_TYPES = ("Note", "Article", "Question")
PAGE_SIZE = 20


def _activity_response(document: dict[str, Any], *, status: int = 200, location: str | None = None) -> Response:
    headers = {"Cache-Control": "private, no-store", "Vary": "Authorization"}
    if location:
        headers["Location"] = location
    return Response(orjson.dumps(document), status_code=status, media_type=ACTIVITY_CONTENT_TYPE, headers=headers)


async def _owner(request: Request, *scopes: str) -> tuple[auth.Auth, Row]:
    who = await auth.require_user(request, *scopes)
    assert who.account is not None
    if who.account["username"].lower() != str(request.path_params["username"]).lower():
        raise HTTPError(403, "Only its owner may use this box")
    return who, who.account


def _id_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    return None


def _addresses(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [i for i in (_id_of(v) for v in items[:200]) if i]


def _text(note: dict[str, Any]) -> str:
    source = note.get("source")
    if isinstance(source, dict) and isinstance(source.get("content"), str):
        return source["content"]
    content = note.get("content")
    return html_to_text(content) if isinstance(content, str) else ""


async def _local_status(ctx: Context, uri: Any) -> int:
    status_id = await listings.status_by_url(ctx.db, _id_of(uri) or "") if _id_of(uri) else None
    if status_id is None:
        raise HTTPError(404, "Record not found")
    return status_id


async def _actor(ctx: Context, uri: Any) -> Row:
    target_uri = _id_of(uri)
    row = await account_store.get_by_uri(ctx.db, target_uri) if target_uri else None
    fetch = ctx.extras.get("fetch_remote_actor")
    if row is None and target_uri and fetch is not None and not ctx.is_local_uri(target_uri):
        row = await fetch(ctx, target_uri)
    if row is None:
        raise HTTPError(404, "Record not found")
    return await follow_service.get_account_or_404(ctx, int(row["id"]))


async def _create(ctx: Context, account: Row, activity: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    note = activity.get("object")
    if not isinstance(note, dict) or note.get("type") not in NOTE_TYPES:
        raise params.invalid("Create needs an embedded Note")
    to = _addresses(note.get("to", activity.get("to", [])))
    cc = _addresses(note.get("cc", activity.get("cc", [])))
    visibility = visibility_from_addressing(to, cc, account["followers_url"], ctx.settings.company_audience)
    reply_to = await _local_status(ctx, note["inReplyTo"]) if note.get("inReplyTo") else None
    summary = note.get("summary") if isinstance(note.get("summary"), str) else ""
    post = PostInput(text=_text(note), visibility=visibility, spoiler_text=html_to_text(summary) if summary else "",
                     sensitive=note.get("sensitive") is True, in_reply_to_id=reply_to)
    status_id = await status_service.create_status(ctx, account, post)
    bundle = await hydrate.load_status(ctx.db, status_id)
    assert bundle is not None
    return f"{bundle.status['uri']}/activity", render.create_activity(bundle, ctx.instance)


async def _update(ctx: Context, account: Row, activity: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    note = activity.get("object")
    if not isinstance(note, dict):
        raise params.invalid("Update needs the changed Note")
    status_id = await _local_status(ctx, note.get("id"))
    summary = note.get("summary") if isinstance(note.get("summary"), str) else ""
    await status_service.edit_status(ctx, account, status_id, PostInput(
        text=_text(note), spoiler_text=html_to_text(summary) if summary else "", sensitive=note.get("sensitive") is True))
    bundle = await hydrate.load_status(ctx.db, status_id)
    assert bundle is not None
    return f"{bundle.status['uri']}#updates/{bundle.status['edited_at']}", render.update_activity(bundle, ctx.instance)


async def _undo(ctx: Context, who: auth.Auth, account: Row, activity: dict[str, Any]) -> str:
    undone = activity.get("object")
    if not isinstance(undone, dict):
        raise params.invalid("Undo needs the activity it undoes, embedded")
    kind = undone.get("type")
    if kind == "Like":
        _need(who, "write:favourites")
        status_id = await _local_status(ctx, undone.get("object"))
        await status_service.unfavourite(ctx, account, status_id)
        return ctx.urls.activity(account["username"], "likes", status_id) + "/undo"
    if kind == "Announce":
        _need(who, "write:statuses")
        status_id = await _local_status(ctx, undone.get("object"))
        await status_service.unreblog(ctx, account, status_id)
        return ctx.urls.activity(account["username"], "boosts", status_id) + "/undo"
    if kind == "Follow":
        _need(who, "write:follows")
        target = await _actor(ctx, undone.get("object"))
        await follow_service.unfollow(ctx, account, target)
        return ctx.urls.activity(account["username"], "follows", target["id"]) + "/undo"
    raise params.invalid(f"Undo of {kind} is not supported")


def _need(who: auth.Auth, scope: str) -> None:
    from ..oauth import scopes as scope_model

    if not scope_model.allows(who.scopes, (scope,)):
        raise HTTPError(403, auth.OUT_OF_SCOPE)


async def outbox_post(request: Request) -> Response:
    ctx = ctx_of(request)
    who, account = await _owner(request, "write:statuses", "write:favourites", "write:follows")
    body = await params.body(request, with_query=False)
    activity = dict(body.data)
    kind = activity.get("type")
    if kind in NOTE_TYPES:
        activity = {"type": "Create", "object": activity, "to": activity.get("to", []), "cc": activity.get("cc", [])}
        kind = "Create"
    document: dict[str, Any] = {}
    if kind == "Create":
        _need(who, "write:statuses")
        location, document = await _create(ctx, account, activity)
    elif kind == "Update":
        _need(who, "write:statuses")
        location, document = await _update(ctx, account, activity)
    elif kind == "Delete":
        _need(who, "write:statuses")
        status_id = await _local_status(ctx, activity.get("object"))
        deleted = await status_service.delete_status(ctx, account, status_id)
        location = f"{deleted['uri']}#delete"
    elif kind == "Like":
        _need(who, "write:favourites")
        status_id = await _local_status(ctx, activity.get("object"))
        await status_service.favourite(ctx, account, status_id)
        location = ctx.urls.activity(account["username"], "likes", status_id)
    elif kind == "Announce":
        _need(who, "write:statuses")
        boost_id = await status_service.reblog(ctx, account, await _local_status(ctx, activity.get("object")))
        location = ctx.urls.activity(account["username"], "boosts", boost_id)
    elif kind == "Follow":
        _need(who, "write:follows")
        target = await _actor(ctx, activity.get("object"))
        row = await follow_service.follow(ctx, account, target)
        location = row["uri"] or ctx.urls.activity(account["username"], "follows", row["id"])
    elif kind == "Undo":
        location = await _undo(ctx, who, account, activity)
    else:
        raise params.invalid(f"Activity type {str(kind)[:40]!r} is not supported")
    return _activity_response({**document, "id": document.get("id", location)}, status=201, location=location)


async def inbox_get(request: Request) -> Response:
    """The owner's inbox, as the activities of their home timeline, newest first."""
    ctx = ctx_of(request)
    who, account = await _owner(request, "read:statuses")
    page = params.page(params.query(request), default=PAGE_SIZE)
    ids = await timelines.home(ctx.db, who.account_id, page)
    items = []
    for bundle in await hydrate.load_statuses(ctx.db, ids, who.account_id):
        try:
            items.append(render.announce_activity(bundle, ctx.instance) if bundle.reblog is not None
                         else render.create_activity(bundle, ctx.instance))
        except render.RenderError:
            continue   # local-only posts have no ActivityPub form
    inbox = account["inbox_url"]
    next_page = f"{inbox}?max_id={ids[-1]}" if len(ids) == page.limit else None
    page_id = f"{inbox}?max_id={page.max_id}" if page.max_id else f"{inbox}?page=true"
    return _activity_response(build_ordered_collection_page(page_id, part_of=inbox, items=items, next_page=next_page))


routes = [
    route("/users/{username}/outbox", outbox_post, "POST"),
    route("/users/{username}/inbox", inbox_get, "GET"),
]
