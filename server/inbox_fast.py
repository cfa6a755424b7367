"""The lean path for inbox POSTs: `POST /inbox`, `/actor/inbox` and `/users/<name>/inbox` answered
by one plain ASGI function, ahead of the router and the middleware chain.

Inbox POSTs are most of a federated instance's requests. Through Starlette each one went through
four middlewares (each wrapping `send` in a closure), the router's matching of every route, a
`Request` and a `JSONResponse`: about half of the server's time per delivery (bench/README.md,
(F-a)). Here the same duties are done once, inline:

- request id (scope state, `X-Request-Id`, bound for log lines), as RequestIdMiddleware;
- metrics (count, latency, in flight, by route template) and the access log, as MetricsMiddleware;
- the body limit, also for chunked bodies, with the same 400/413 answers as BodyLimitMiddleware;
- the security headers of SecurityHeadersMiddleware;
- JSON errors only, never a traceback: an unexpected exception is logged with the request id and
  answered 500, as errors.handle_unexpected does.

Anything else (other methods or paths, a root path, websockets, lifespan) goes to the app unchanged.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import AsyncIterator

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import access_log
from .access_log import RequestRecord
from .config import Settings
from .errors import HTTPError
from .metrics import RequestMetrics, define_request_metrics, registry_of
from .middleware import security_headers
from .routes_federation import answer_inbox, recipient_of

log = logging.getLogger("atrium.errors")

# path -> route template (the metrics label the router would give)
_FIXED = {"/inbox": "/inbox", "/actor/inbox": "/actor/inbox"}
_ACTOR_INBOX = re.compile(r"/users/([^/]+)/inbox")
ACTOR_TEMPLATE = "/users/{username}/inbox"


class _BodyTooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


class InboxFastPath:
    """ASGI middleware: serves inbox POSTs itself, passes everything else to `app`. Mount it first
    in the app's middleware list so nothing of the chain runs for an inbox POST."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.limit = settings.max_body_bytes
        self._security_headers = security_headers(settings.scheme == "https")
        self._metrics: tuple[object, RequestMetrics] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        route = _FIXED.get(path)
        username = None
        if route is None:
            match = _ACTOR_INBOX.fullmatch(path) if path.startswith("/users/") else None
            if match is None:
                await self.app(scope, receive, send)
                return
            route, username = ACTOR_TEMPLATE, match.group(1)
        await self._serve(scope, receive, send, route, username)

    def _request_metrics(self, app: object) -> RequestMetrics:
        cached = self._metrics
        if cached is None or cached[0] is not app:
            cached = self._metrics = (app, define_request_metrics(registry_of(app)))
        return cached[1]

    async def _serve(self, scope: Scope, receive: Receive, send: Send, route: str, username: str | None) -> None:
        started = time.perf_counter()
        request_id = os.urandom(8).hex()   # what secrets.token_hex(8) returns, without its three calls
        scope.setdefault("state", {})["request_id"] = request_id
        token = access_log.bind_request_id(request_id)
        metrics = self._request_metrics(scope["app"])
        metrics.in_flight.inc()
        status, sent = 500, 0
        try:
            try:
                status, body, headers = await self._answer(scope, receive, username)
            except _Disconnected:
                status = 499   # the client went away before its body arrived: nobody to answer
                return
            except Exception:
                log.exception("unhandled error on POST %s (request %s)", scope["path"], request_id)
                status, headers = 500, []
                body = orjson.dumps({"error": f"Something went wrong on our side (request {request_id})"})
            sent = len(body)
            await send({"type": "http.response.start", "status": status, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(sent).encode()), *headers,
                (b"x-request-id", request_id.encode()), *self._security_headers,
            ]})
            await send({"type": "http.response.body", "body": body})
        finally:
            metrics.in_flight.dec()
            elapsed = time.perf_counter() - started
            metrics.requests.inc("POST", route, str(status))
            metrics.latency.observe(elapsed, "POST", route)
            client = scope.get("client")
            access_log.log_request(RequestRecord(
                method="POST", path=scope["path"], route=route, status=status, duration=elapsed,
                request_id=request_id, client=client[0] if client else None, response_bytes=sent,
            ))
            access_log.unbind_request_id(token)

    async def _answer(self, scope: Scope, receive: Receive,
                      username: str | None) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        limit = self.limit
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    return 400, b'{"error":"Invalid Content-Length"}', []
                if declared > limit:
                    return 413, b'{"error":"Request body too large"}', []
        ctx = scope["app"].state.ctx
        try:
            recipient = None if username is None else await recipient_of(ctx, username)
            status, payload, extra = await answer_inbox(
                ctx, "POST", scope.get("raw_path") or scope["path"].encode(), scope.get("query_string", b""),
                scope["headers"], _chunks(receive, limit), recipient,
            )
        except HTTPError as exc:
            status, payload, extra = exc.status, {"error": exc.message}, exc.headers
        except _BodyTooLarge:
            return 413, b'{"error":"Request body too large"}', []
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
        return status, orjson.dumps(payload), headers


async def _chunks(receive: Receive, limit: int) -> AsyncIterator[bytes]:
    """The request body as it arrives, refused once past `limit` (never buffered beyond it)."""
    received = 0
    while True:
        message: Message = await receive()
        kind = message["type"]
        if kind == "http.disconnect":
            raise _Disconnected()
        if kind != "http.request":
            continue
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > limit:
            raise _BodyTooLarge()
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return
