"""How API routes are declared: `route(path, handler, "GET", …)` adds CORS, rate limits and the
mapping of service errors to HTTP answers, so handlers only parse, call and serialize.

CORS: any origin may call the API with a bearer token (no cookies are involved), as Mastodon's
`Access-Control-Allow-Origin: *`; preflight `OPTIONS` requests are answered here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence

import orjson
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import HTTPError
from ..services.statuses import ServiceError
from .ratelimit import RateLimiter

Handler = Callable[[Request], Awaitable[Response]]

ALLOW_HEADERS = "Authorization, Content-Type, Accept, Idempotency-Key, X-Requested-With"
EXPOSE_HEADERS = "Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id, Retry-After"


def limiter_of(scope: Scope) -> RateLimiter:
    extras = scope["app"].state.ctx.extras
    limiter = extras.get("api_rate_limiter")
    if limiter is None:
        limiter = extras["api_rate_limiter"] = RateLimiter()
    return limiter


def _bearer_key(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return hashlib.sha256(value[7:].strip()).hexdigest()[:32]
    return None


class ApiMiddleware:
    """CORS (with preflight), per-token and per-IP rate limits, and the route's own budget."""

    def __init__(self, app: ASGIApp, methods: Sequence[str], budget: str | None = None, cors: bool = True) -> None:
        self.app = app
        self.methods = ", ".join(m for m in methods if m != "OPTIONS")
        self.budget = budget
        self.cors = cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await self._preflight(scope, send)
            return
        limiter = limiter_of(scope)
        ip = (scope.get("client") or ("-", 0))[0]
        token = _bearer_key(scope)
        decisions = [limiter.hit("ip", ip)]
        if token is not None:
            decisions.append(limiter.hit("token", token))
        if self.budget is not None and scope["method"] != "GET":
            decisions.append(limiter.hit(self.budget, token or ip))
        refused = next((d for d in decisions if not d.allowed), None)
        shown = refused or min(decisions, key=lambda d: d.remaining)
        extra = [(k.lower().encode(), v.encode()) for k, v in shown.headers().items()]
        if self.cors:
            extra += [(b"access-control-allow-origin", b"*"), (b"access-control-expose-headers", EXPOSE_HEADERS.encode())]
        if refused is not None:
            retry = refused.retry_after(limiter.clock())
            body = orjson.dumps({"error": "Too many requests"})
            await send({"type": "http.response.start", "status": 429, "headers": [
                (b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry).encode()), *extra]})
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                headers.extend((k, v) for k, v in extra if k not in present)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _preflight(self, scope: Scope, send: Send) -> None:
        headers = [(b"allow", self.methods.encode()), (b"content-length", b"0")]
        if self.cors:
            requested = next((v for k, v in scope.get("headers", []) if k == b"access-control-request-headers"), None)
            headers += [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-allow-methods", self.methods.encode()),
                (b"access-control-allow-headers", requested[:1000] if requested else ALLOW_HEADERS.encode()),
                (b"access-control-max-age", b"86400"),
            ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps({"error": message}), status_code=status, headers=headers,
                    media_type="application/json; charset=utf-8")


def _mapped(handler: Handler) -> Handler:
    """Refusals become Mastodon's `{"error": …}` JSON whatever the path or Accept header."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ServiceError as exc:
            return _error(exc.status, exc.message)
        except HTTPError as exc:
            return _error(exc.status, exc.message, exc.headers)

    endpoint.__name__ = getattr(handler, "__name__", "endpoint")
    endpoint.__doc__ = handler.__doc__
    return endpoint


def _dispatch(handlers: Mapping[str, Handler]) -> Handler:
    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return endpoint


def route(path: str, handler: Handler | Mapping[str, Handler], *methods: str, budget: str | None = None,
          cors: bool = True) -> Route:
    """An API route: one handler for `methods` (default GET), or a {method: handler} map for a
    resource; OPTIONS is always answered (CORS preflight). `budget` is an extra rate limit on writes."""
    if isinstance(handler, Mapping):
        methods = tuple(handler)
        handler = _dispatch(handler)
    allowed = [*(methods or ("GET",)), "OPTIONS"]
    return Route(path, _mapped(handler), methods=allowed,
                 middleware=[Middleware(ApiMiddleware, methods=allowed, budget=budget, cors=cors)])


def routes_with_slash(path: str, handler: Handler, *methods: str) -> list[Route]:
    """A route and its trailing-slash twin (some apps call `/api/v1/instance/`)."""
    return [route(path, handler, *methods), route(path + "/", handler, *methods)]
