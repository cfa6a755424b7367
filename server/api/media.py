"""/api/v1/media and /api/v2/media: upload an image (processed at once), read and describe it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..mastodon import statuses as status_entities
from ..services import media as media_service
from . import auth, params
from .present import Presenter
from .responses import ctx_of, json
from .routing import route


def _focus(body: params.Params) -> tuple[float, float] | None:
    try:
        return media_service.parse_focus(body.str("focus", max_length=40))
    except ValueError as exc:
        raise params.invalid(str(exc)) from None


async def upload(request: Request) -> Response:
    who = await auth.require_user(request, "write:media")
    ctx = ctx_of(request)
    assert who.account is not None
    body = await params.body(request)
    file = body.file("file")
    if file is None:
        raise params.invalid("File can't be blank")
    try:
        data = await file.read()
    finally:
        await file.close()
    for extra in body.files.values():
        await extra.close()
    media_id = await media_service.save_upload(ctx, who.account, data, description=body.str("description", max_length=5000),
                                               focus=_focus(body))
    row = await media_service.get_own(ctx, who.account, media_id)
    return json(status_entities.media_attachment(row, Presenter(ctx, who.account_id).rc))


async def show(request: Request) -> Response:
    who = await auth.require_user(request, "write:media")
    ctx = ctx_of(request)
    assert who.account is not None
    row = await media_service.get_own(ctx, who.account, params.path_id(request))
    return json(status_entities.media_attachment(row, Presenter(ctx, who.account_id).rc))


async def update(request: Request) -> Response:
    who = await auth.require_user(request, "write:media")
    ctx = ctx_of(request)
    assert who.account is not None
    body = await params.body(request)
    row = await media_service.describe(ctx, who.account, params.path_id(request),
                                       description=body.str("description", max_length=5000), focus=_focus(body))
    return json(status_entities.media_attachment(row, Presenter(ctx, who.account_id).rc))


routes = [
    route("/api/v2/media", upload, "POST", budget="media"),
    route("/api/v1/media", upload, "POST", budget="media"),
    route("/api/v1/media/{id}", {"GET": show, "PUT": update}),
]
