"""/api/v1/push/subscription: the Web Push subscription of the calling access token (create or
replace, show, change its alerts and policy, remove). Sending: server/services/web_push.py."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from storage import web_push

from ..errors import HTTPError
from ..services import web_push as push_service
from . import auth, params
from .responses import ctx_of, json
from .routing import route

MAX_ENDPOINT = 2000


def _alerts(data: params.Params, current: dict[str, bool] | None = None) -> dict[str, bool]:
    given = data.sub("alerts")
    return {name: bool(given.bool(name, False)) for name in web_push.ALERTS} if given.data or current is None \
        else current


def _policy(data: params.Params, default: str | None) -> str | None:
    policy = data.str("policy", max_length=20)
    if not policy:
        return default
    if policy not in web_push.POLICIES:
        raise params.invalid(f"Policy must be one of {', '.join(web_push.POLICIES)}")
    return policy


async def _answer(request: Request, who: auth.Auth) -> Response:
    ctx = ctx_of(request)
    row = await web_push.of_token(ctx.db, who.token_id)
    if row is None:
        raise HTTPError(404, "Record not found")
    return json(push_service.subscription_entity(row, await push_service.vapid_public_key(ctx)))


async def create(request: Request) -> Response:
    who = await auth.require_user(request, "push")
    ctx = ctx_of(request)
    body = await params.body(request)
    subscription = body.sub("subscription")
    keys = subscription.sub("keys")
    endpoint = (subscription.str("endpoint", max_length=MAX_ENDPOINT) or "").strip()
    p256dh = keys.str("p256dh", max_length=200) or ""
    secret = keys.str("auth", max_length=200) or ""
    if not push_service.check_endpoint(endpoint):
        raise params.invalid("subscription[endpoint] must be an https URL")
    if not push_service.check_keys(p256dh, secret):
        raise params.invalid("subscription[keys] must hold a P-256 public key (p256dh) and a 16-byte secret (auth)")
    data = body.sub("data")
    policy = _policy(data, "all")
    assert policy is not None
    async with ctx.db.transaction() as tx:
        await web_push.subscribe(tx, account_id=who.account_id, token_id=who.token_id, endpoint=endpoint, p256dh=p256dh,
                                 auth=secret, alerts=_alerts(data), policy=policy,
                                 standard=bool(subscription.bool("standard", False)))
    return await _answer(request, who)


async def show(request: Request) -> Response:
    who = await auth.require_user(request, "push")
    return await _answer(request, who)


async def update(request: Request) -> Response:
    who = await auth.require_user(request, "push")
    ctx = ctx_of(request)
    row = await web_push.of_token(ctx.db, who.token_id)
    if row is None:
        raise HTTPError(404, "Record not found")
    data = (await params.body(request)).sub("data")
    current: dict[str, Any] = push_service.subscription_entity(row, "")["alerts"]
    await web_push.update(ctx.db, int(row["id"]), alerts=_alerts(data, current), policy=_policy(data, None))
    return await _answer(request, who)


async def delete(request: Request) -> Response:
    who = await auth.require_user(request, "push")
    ctx = ctx_of(request)
    row = await web_push.of_token(ctx.db, who.token_id)
    if row is not None:
        await web_push.delete(ctx.db, int(row["id"]))
    return json({})


routes = [
    route("/api/v1/push/subscription", {"POST": create, "GET": show, "PUT": update, "DELETE": delete}),
]
