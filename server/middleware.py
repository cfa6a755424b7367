"""ASGI middleware, one concern each: request ids, body size limits, security headers."""

from __future__ import annotations

import gc
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .config import Settings


class RequestIdMiddleware:
    """Gives each request an id (logged, and returned as `X-Request-Id`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuses bodies over the limit with 413, also when sent chunked without Content-Length: the
    body is counted as it arrives and never buffered past the limit (SECURITY-CASES 15)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.default_limit = settings.max_body_bytes
        self.media_limit = settings.max_media_bytes

    def _limit(self, scope: Scope) -> int:
        path = scope.get("path", "")
        if path.startswith(("/api/v1/media", "/api/v2/media", "/api/v1/accounts/update_credentials", "/settings",
                            "/statuses")):
            return self.media_limit + 64 * 1024
        if path.startswith(("/api/", "/oauth/")) or not path.endswith("inbox"):
            return max(self.default_limit, 1024 * 1024)
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _plain(send, 400, b'{"error":"Invalid Content-Length"}')
                    return
                if declared > limit:
                    await _plain(send, 413, b'{"error":"Request body too large"}')
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _plain(send, 413, b'{"error":"Request body too large"}')


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data: blob:; "
    "media-src 'self' https:; connect-src 'self' ws: wss:; font-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; manifest-src 'self'"
)


def security_headers(https: bool) -> list[tuple[bytes, bytes]]:
    """The headers every response carries (the lean inbox path adds the same ones)."""
    headers = [
        (b"content-security-policy", CSP.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"permissions-policy", b"interest-cohort=()"),
    ]
    if https:
        headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
    return headers


class SecurityHeadersMiddleware:
    """Strict CSP (no inline script) and the usual hardening headers on every response."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.https = settings.scheme == "https"
        self._headers = security_headers(self.https)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                headers.extend((k, v) for k, v in self._headers if k not in present)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class FreezeAfterStartupMiddleware:
    """Once the app has started, moves every object then alive out of the cyclic collector's reach
    (`gc.freeze()`); back in at shut-down (`gc.unfreeze()`, so a test process that starts many apps
    does not keep them).

    Why: the modules, routes, templates and caches loaded at start-up are most of the heap and never
    become garbage, yet each full collection walked them all: 100-150 ms pauses under load, the
    latency tail of inbox deliveries (bench/README.md, (F-a)). Objects made afterwards are collected
    as before; reference counting frees frozen ones as usual.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_and_freeze(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                gc.freeze()
            elif message["type"].startswith("lifespan.shutdown"):
                gc.unfreeze()
            await send(message)

        await self.app(scope, receive, send_and_freeze)
