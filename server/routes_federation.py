"""Inbox routes: the shared inbox and per-actor inboxes. Thin: read the bounded body, hand it to
federation (verify, check origin, deduplicate, store), answer 202 once it is durable.

`answer_inbox` is framework-free (ASGI method, raw path, raw headers, body chunks) so that the lean
path in server/inbox_fast.py, which serves every inbox POST ahead of the router and middleware
chain, and the Starlette routes below give the same answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.inbox import InboxError, read_limited
from federation.policy import domain_of
from storage import accounts

from .context import Context
from .errors import HTTPError
from .federation_wiring import runtime_of
from .inbox_throttle import InboxThrottle, claimed_host, per_minute
from .routes_ap import ctx_of

RawHeaders = Sequence[tuple[bytes, bytes]]
# (status, JSON payload, extra response headers)
InboxAnswer = tuple[int, dict[str, Any], dict[str, str]]


def first_values(raw: RawHeaders) -> dict[str, str]:
    """Lowercased header names to their first value (as Starlette's `Headers.get` reads them)."""
    found: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        if key not in found:
            found[key] = value.decode("latin-1")
    return found


async def answer_inbox(
    ctx: Context, method: str, raw_path: bytes, query: bytes, raw_headers: RawHeaders,
    chunks: AsyncIterable[bytes], recipient_id: int | None,
) -> InboxAnswer:
    """One inbox POST: refusals as (status, {"error": …}), success as (202, receipt). Raises HTTPError
    for a refusal the app answers the same way elsewhere (503 without federation, 401 wrong host)."""
    runtime = runtime_of(ctx)
    if runtime is None:
        raise HTTPError(503, "Federation is not running on this process")
    headers = first_values(raw_headers)
    # A signed request must be addressed to us: the Host it carries (and its signature covers) is
    # our domain, so a request signed for another server cannot be replayed here (SECURITY-CASES 10;
    # routes_ap.check_signed_host does the same for Starlette requests).
    if domain_of(f"{ctx.instance.scheme}://{headers.get('host', '')}/") != ctx.instance.domain:
        raise HTTPError(401, "The request was signed for another host")
    throttle = throttle_of(ctx)
    host = claimed_host(headers)
    wait = throttle.retry_after(host) if host else None
    if wait is not None:
        return 429, {"error": "Too many deliveries from your instance"}, {"Retry-After": str(wait)}
    try:
        body = await read_limited(chunks, ctx.settings.max_body_bytes, headers.get("content-length"))
        receipt = await runtime.receive(method, raw_path, query, raw_headers, body, recipient_id)
    except InboxError as exc:
        if exc.status in (400, 403) and host:
            throttle.count(host)   # signed, then refused: it counts (401s are not known to be theirs)
        return exc.status, {"error": exc.message}, {}
    throttle.count(host)
    return 202, {"id": receipt.activity_id, "duplicate": receipt.duplicate}, {}


async def recipient_of(ctx: Context, username: str) -> int:
    """The id of the local account whose inbox is `/users/<username>/inbox`; HTTPError(404) if none."""
    account = await accounts.get_local_by_username(ctx.db, username)
    if account is None or account["suspended_at"] is not None:
        raise HTTPError(404, "No such account")
    return int(account["id"])


def throttle_of(ctx: Context) -> InboxThrottle:
    """This worker's per-peer inbox rate limit (server/inbox_throttle.py)."""
    throttle = ctx.extras.get("inbox_throttle")
    if not isinstance(throttle, InboxThrottle):
        throttle = ctx.extras["inbox_throttle"] = InboxThrottle(per_minute(ctx.settings.inbox_peer_rate_per_minute))
    return throttle


async def _receive(request: Request, recipient_id: int | None) -> Response:
    scope = request.scope
    status, payload, headers = await answer_inbox(
        ctx_of(request), request.method, scope.get("raw_path") or request.url.path.encode(),
        scope.get("query_string", b""), scope["headers"], _stream(request), recipient_id,
    )
    return JSONResponse(payload, status_code=status, headers=headers or None)


async def _stream(request: Request) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        yield chunk


async def shared_inbox(request: Request) -> Response:
    return await _receive(request, None)


async def actor_inbox(request: Request) -> Response:
    return await _receive(request, await recipient_of(ctx_of(request), request.path_params["username"]))


async def instance_actor_inbox(request: Request) -> Response:
    return await _receive(request, None)


# Served by server/inbox_fast.py in the app; kept as routes for apps built without it and so the
# router still knows these paths (405 for other methods).
routes = [
    Route("/inbox", shared_inbox, methods=["POST"]),
    Route("/actor/inbox", instance_actor_inbox, methods=["POST"]),
    Route("/users/{username}/inbox", actor_inbox, methods=["POST"]),
]
