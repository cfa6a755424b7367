"""Errors that carry their HTTP status, and the handlers that turn any failure into a clear answer.

API and ActivityPub routes answer JSON (`{"error": "…"}`, Mastodon's shape); browsers get an HTML
page. No traceback ever reaches a client: unexpected exceptions are logged with the request id and
answered 500 with a generic message.
"""

from __future__ import annotations

import html
import logging

import orjson
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

log = logging.getLogger("atrium.errors")


class HTTPError(Exception):
    """An error with the status and message the client should see."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def not_found(what: str = "Record not found") -> HTTPError:
    return HTTPError(404, what)


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/oauth/token", "/oauth/revoke", "/.well-known/", "/nodeinfo", "/inbox")):
        return True
    accept = request.headers.get("accept", "")
    if "json" in accept and "text/html" not in accept:
        return True
    return request.method == "POST" and path.endswith(("/inbox", "/outbox"))


_REASONS = {
    400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
    406: "Not acceptable", 409: "Conflict", 410: "Gone", 413: "Request body too large", 415: "Unsupported media type",
    422: "Validation failed", 429: "Too many requests", 500: "Internal server error", 503: "Service unavailable",
}


def error_response(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    if wants_json(request):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    title = _REASONS.get(status, "Error")
    body = (
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content='width=device-width'>"
        f"<title>{status} {html.escape(title)}</title><link rel=stylesheet href='/static/atrium.css'></head>"
        f"<body class=error-page><main><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
        "<p><a href='/'>Back to Atrium</a></p></main></body></html>"
    )
    return HTMLResponse(body, status_code=status, headers=headers)


async def handle_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPError)
    return error_response(request, exc.status, exc.message, exc.headers)


async def handle_starlette_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if exc.detail and exc.detail != _REASONS.get(exc.status_code) else None
    if exc.status_code == 404:
        message = message or "The page or record you asked for does not exist"
    elif exc.status_code == 405:
        message = message or f"{request.method} is not allowed here"
    return error_response(request, exc.status_code, message or _REASONS.get(exc.status_code, "Error"),
                          dict(exc.headers or {}))


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    request_id = request.scope.get("state", {}).get("request_id", "-")
    log.exception("unhandled error on %s %s (request %s)", request.method, request.url.path, request_id)
    return error_response(request, 500, f"Something went wrong on our side (request {request_id})")


def json_bytes(value: object) -> bytes:
    return orjson.dumps(value)
