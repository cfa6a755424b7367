"""/api/v1/polls: read a poll and vote in it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from storage import hydrate, timelines
from storage import polls as poll_store

from ..errors import HTTPError
from ..mastodon import statuses as status_entities
from ..services import statuses as status_service
from . import auth, params
from .present import Presenter
from .responses import ctx_of, json
from .routing import route


async def _render(request: Request, who: auth.Auth | None, poll_id: int) -> Response:
    ctx = ctx_of(request)
    poll = await poll_store.get(ctx.db, poll_id)
    if poll is None or poll["status_id"] is None or not await timelines.can_see(ctx.db, auth.viewer_of(who),
                                                                                 int(poll["status_id"])):
        raise HTTPError(404, "Record not found")
    viewer_id = auth.viewer_id_of(who)
    bundles = await hydrate.load_polls(ctx.db, [poll_id], viewer_id)
    return json(status_entities.poll(bundles[poll_id], Presenter(ctx, viewer_id).rc))


async def show(request: Request) -> Response:
    who = await auth.optional_user(request, "read:statuses")
    return await _render(request, who, params.path_id(request))


async def vote(request: Request) -> Response:
    who = await auth.require_user(request, "write:statuses")
    assert who.account is not None
    poll_id = params.path_id(request)
    body = await params.body(request)
    choices = [params.to_int(c, "choices") for c in body.list("choices")]
    await status_service.vote(ctx_of(request), who.account, poll_id, choices)
    return await _render(request, who, poll_id)


routes = [
    route("/api/v1/polls/{id}", show, "GET"),
    route("/api/v1/polls/{id}/votes", vote, "POST"),
]
