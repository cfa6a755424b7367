"""/api/v1/conversations: direct-message threads the employee is part of."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from storage import conversations, timelines

from ..errors import HTTPError
from ..mastodon import misc
from . import auth, params
from .present import Presenter
from .responses import ctx_of, json, paginated
from .routing import route


async def index(request: Request) -> Response:
    who = await auth.require_user(request, "read:statuses")
    ctx = ctx_of(request)
    page = params.page(params.query(request))
    threads = await conversations.latest_per_thread(ctx.db, who.account_id, page)
    last_ids = [int(t["last_id"]) for t in threads]
    presenter = Presenter(ctx, who.account_id)
    statuses = {int(s["id"]): s for s in await presenter.statuses(last_ids)}
    people = await conversations.participants(ctx.db, last_ids)
    others = {sid: [a for a in dict.fromkeys(ids) if a != who.account_id] for sid, ids in people.items()}
    accounts = {int(a["id"]): a for a in await presenter.accounts([a for ids in others.values() for a in ids])}
    items = [
        misc.conversation(int(t["thread_id"]), [accounts[a] for a in others.get(int(t["last_id"]), []) if a in accounts],
                          statuses.get(int(t["last_id"])))
        for t in threads
    ]
    return paginated(request, items, last_ids)


async def mark_read(request: Request) -> Response:
    who = await auth.require_user(request, "write:conversations")
    ctx = ctx_of(request)
    thread_id = params.path_id(request)
    if not await timelines.can_see(ctx.db, who.viewer, thread_id):
        raise HTTPError(404, "Record not found")
    presenter = Presenter(ctx, who.account_id)
    return json(misc.conversation(thread_id, [], await presenter.status(thread_id)))


async def remove(request: Request) -> Response:
    await auth.require_user(request, "write:conversations")
    params.path_id(request)
    return json({})


routes = [
    route("/api/v1/conversations", index, "GET"),
    route("/api/v1/conversations/{id}/read", mark_read, "POST"),
    route("/api/v1/conversations/{id}", remove, "DELETE"),
]
