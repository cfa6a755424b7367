"""/api/v1/scheduled_statuses: list, show, reschedule and cancel posts scheduled with
POST /api/v1/statuses `scheduled_at` (publication: server/services/scheduling.py)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from storage import scheduled
from storage.db import Row
from storage.ids import now_ms

from ..context import Context
from ..errors import HTTPError
from ..mastodon import scheduled as entities
from ..mastodon.statuses import media_attachment
from ..services import scheduling
from . import auth, params
from .present import Presenter
from .responses import ctx_of, paginated
from .responses import json as json_response
from .routing import route


async def present(ctx: Context, viewer_id: int, rows: list[Row]) -> list[dict[str, Any]]:
    rc = Presenter(ctx, viewer_id).rc
    media = await scheduled.media_of(ctx.db, rows)
    return [entities.scheduled_status(row, [media_attachment(media[int(m)], rc) for m in json.loads(row["media_ids"])
                                            if int(m) in media]) for row in rows]


async def show_one(ctx: Context, viewer_id: int, row_id: int) -> dict[str, Any]:
    row = await scheduled.get(ctx.db, viewer_id, row_id)
    assert row is not None
    return (await present(ctx, viewer_id, [row]))[0]


async def _owned(request: Request, who: auth.Auth) -> Row:
    row = await scheduled.get(ctx_of(request).db, who.account_id, params.path_id(request))
    if row is None:
        raise HTTPError(404, "Record not found")
    return row


async def index(request: Request) -> Response:
    who = await auth.require_user(request, "read:statuses")
    ctx = ctx_of(request)
    page = params.page(params.query(request))
    rows = await scheduled.of_account(ctx.db, who.account_id, page)
    return paginated(request, await present(ctx, who.account_id, rows), [int(r["id"]) for r in rows],
                     full=len(rows) == page.limit)


async def show(request: Request) -> Response:
    who = await auth.require_user(request, "read:statuses")
    row = await _owned(request, who)
    return json_response((await present(ctx_of(request), who.account_id, [row]))[0])


async def update(request: Request) -> Response:
    """Only the time can change, as in Mastodon."""
    who = await auth.require_user(request, "write:statuses")
    ctx = ctx_of(request)
    row = await _owned(request, who)
    body = await params.body(request)
    value = body.str("scheduled_at", max_length=64)
    if value:
        at = scheduling.parse_time(value)
        scheduling.check_time(at, now_ms())
        if not await scheduled.reschedule(ctx.db, who.account_id, int(row["id"]), at):
            raise HTTPError(422, "This post is being published")
        row = await _owned(request, who)
    return json_response((await present(ctx, who.account_id, [row]))[0])


async def delete(request: Request) -> Response:
    who = await auth.require_user(request, "write:statuses")
    row = await _owned(request, who)
    if not await scheduled.delete(ctx_of(request).db, who.account_id, int(row["id"])):
        raise HTTPError(422, "This post is being published")
    return json_response({})


routes = [
    route("/api/v1/scheduled_statuses", index, "GET"),
    route("/api/v1/scheduled_statuses/{id}", {"GET": show, "PUT": update, "DELETE": delete}),
]
