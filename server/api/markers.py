"""/api/v1/markers: where the employee stopped reading home and notifications, shared across apps."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from storage import markers

from ..mastodon import misc
from . import auth, params
from .responses import ctx_of, json
from .routing import route


async def show(request: Request) -> Response:
    who = await auth.require_user(request, "read:statuses")
    wanted = params.query(request).strs("timeline", max_length=20)
    found = await markers.get(ctx_of(request).db, who.account_id, wanted or list(markers.TIMELINES))
    return json({name: misc.marker(row) for name, row in found.items()})


async def save(request: Request) -> Response:
    who = await auth.require_user(request, "write:statuses")
    ctx = ctx_of(request)
    body = await params.body(request)
    changes = {}
    for timeline in markers.TIMELINES:
        last_read_id = body.sub(timeline).id("last_read_id") if timeline in body else None
        if last_read_id is not None:
            changes[timeline] = last_read_id
    if not changes:
        raise params.invalid("home[last_read_id] or notifications[last_read_id] is required")
    async with ctx.db.transaction() as tx:
        for timeline, last_read_id in changes.items():
            await markers.save(tx, who.account_id, timeline, last_read_id)
    found = await markers.get(ctx.db, who.account_id, list(changes))
    return json({name: misc.marker(row) for name, row in found.items()})


routes = [route("/api/v1/markers", {"GET": show, "POST": save})]
