"""Inbox routes: the shared inbox and per-actor inboxes. Thin: read the bounded body, hand it to
federation (verify, check origin, deduplicate, store), answer 202 once it is durable."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.inbox import InboxError, read_limited
from storage import accounts

from .context import Context
from .errors import HTTPError
from .federation_wiring import runtime_of
from .inbox_throttle import InboxThrottle, claimed_host, per_minute
from .routes_ap import check_signed_host, ctx_of


async def _receive(request: Request, recipient_id: int | None) -> Response:
    ctx = ctx_of(request)
    runtime = runtime_of(ctx)
    if runtime is None:
        raise HTTPError(503, "Federation is not running on this process")
    check_signed_host(request)
    throttle = throttle_of(ctx)
    host = claimed_host(request.headers)
    wait = throttle.retry_after(host) if host else None
    if wait is not None:
        return JSONResponse({"error": "Too many deliveries from your instance"}, status_code=429,
                            headers={"Retry-After": str(wait)})
    try:
        body = await read_limited(request.stream(), ctx.settings.max_body_bytes, request.headers.get("content-length"))
        receipt = await runtime.receive(
            request.method, request.scope.get("raw_path", request.url.path.encode()) or request.url.path,
            request.scope.get("query_string", b""), list(request.headers.items()), body, recipient_id,
        )
    except InboxError as exc:
        if exc.status in (400, 403) and host:
            throttle.count(host)   # signed, then refused: it counts (401s are not known to be theirs)
        return JSONResponse({"error": exc.message}, status_code=exc.status)
    throttle.count(host)
    return JSONResponse({"id": receipt.activity_id, "duplicate": receipt.duplicate}, status_code=202)


def throttle_of(ctx: Context) -> InboxThrottle:
    """This worker's per-peer inbox rate limit (server/inbox_throttle.py)."""
    throttle = ctx.extras.get("inbox_throttle")
    if not isinstance(throttle, InboxThrottle):
        throttle = ctx.extras["inbox_throttle"] = InboxThrottle(per_minute(ctx.settings.inbox_peer_rate_per_minute))
    return throttle


async def shared_inbox(request: Request) -> Response:
    return await _receive(request, None)


async def actor_inbox(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await accounts.get_local_by_username(ctx.db, request.path_params["username"])
    if account is None or account["suspended_at"] is not None:
        raise HTTPError(404, "No such account")
    return await _receive(request, int(account["id"]))


async def instance_actor_inbox(request: Request) -> Response:
    return await _receive(request, None)


routes = [
    Route("/inbox", shared_inbox, methods=["POST"]),
    Route("/actor/inbox", instance_actor_inbox, methods=["POST"]),
    Route("/users/{username}/inbox", actor_inbox, methods=["POST"]),
]
