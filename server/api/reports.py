"""POST /api/v1/reports: report an account (and some of its posts) to the moderators."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from storage import reports as report_store

from ..errors import HTTPError
from ..services import follows as follow_service
from ..services import reports as report_service
from . import auth, params
from .present import Presenter
from .responses import ctx_of, json
from .routing import route


async def create(request: Request) -> Response:
    who = await auth.require_user(request, "write:reports")
    ctx = ctx_of(request)
    assert who.account is not None
    body = await params.body(request)
    target_id = body.id("account_id")
    if target_id is None:
        raise params.invalid("account_id can't be blank")
    target = await follow_service.get_account_or_404(ctx, target_id)
    report_id = await report_service.report(
        ctx, who.account, target, status_ids=body.ids("status_ids"), comment=body.str("comment", "", max_length=5000) or "",
        category=body.str("category", "other", max_length=20) or "other", forward=bool(body.bool("forward", False)),
    )
    row = await report_store.get(ctx.db, report_id)
    rendered = await Presenter(ctx, who.account_id).report(row) if row is not None else None
    if rendered is None:
        raise HTTPError(404, "Record not found")
    return json(rendered)


routes = [route("/api/v1/reports", create, "POST")]
