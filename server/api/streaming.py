"""/api/v1/streaming: Mastodon's streaming API, as a multiplexed WebSocket and as server-sent events.

WebSocket: `{"type": "subscribe", "stream": "hashtag", "tag": "news"}` and `unsubscribe` messages;
events arrive as `{"stream": ["hashtag", "news"], "event": "update", "payload": "<JSON>"}`. The token
comes in the Authorization header, the `access_token` query parameter, or (as Mastodon's web app
sends it) the Sec-WebSocket-Protocol header. SSE: one stream per request, `event:`/`data:` lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

# A module import (not names): server.streaming renders with this package's presenter.
from .. import streaming as live
from ..context import Context
from ..errors import HTTPError
from ..oauth import scopes as scope_model
from . import auth
from .routing import route

HEARTBEAT_SECONDS = 15.0
RECHECK_TOKEN_SECONDS = 60.0
MAX_MESSAGE = 4096
MAX_SUBSCRIPTIONS = 50


def _hub(ctx: Context) -> live.Hub:
    hub = ctx.extras.get("streaming_hub")
    if hub is None:
        raise HTTPError(503, "Streaming is not available on this server right now")
    return hub


def _scopes_for(stream: str) -> tuple[str, ...]:
    return live.STREAM_SCOPES.get(stream, live.DEFAULT_SCOPES)


def _stream_params(values: Any) -> dict[str, Any]:
    return {"tag": values.get("tag"), "list": values.get("list")}


# --- server-sent events ----------------------------------------------------------------------------

def _sse_endpoint(stream: str | None) -> Any:
    async def endpoint(request: Request) -> Response:
        ctx = request.app.state.ctx
        name = stream or str(request.query_params.get("stream", ""))[:40]
        who = await auth.require_user(request, *_scopes_for(name))
        hub = _hub(ctx)
        try:
            sub = await live.check_subscription(ctx, who.account_id, name, _stream_params(request.query_params))
        except live.SubscriptionError as exc:
            raise HTTPError(400, str(exc)) from None
        connection = live.Connection(who.account_id, {sub})
        hub.add(connection)
        return StreamingResponse(_events(hub, connection), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    return endpoint


async def _events(hub: live.Hub, connection: live.Connection) -> AsyncIterator[bytes]:
    try:
        yield b":)\n"
        while True:
            try:
                message = await asyncio.wait_for(connection.queue.get(), timeout=HEARTBEAT_SECONDS)
            except TimeoutError:
                yield b":thump\n"
                continue
            if message is None:
                return
            yield f"event: {message['event']}\ndata: {message['payload']}\n\n".encode()
    finally:
        hub.remove(connection)


async def health(request: Request) -> Response:
    return PlainTextResponse("OK")


# --- WebSocket ---------------------------------------------------------------------------------------

def _ws_token(websocket: WebSocket) -> tuple[str | None, str | None]:
    """(token, subprotocol to echo) from the header, the query, or Sec-WebSocket-Protocol."""
    token = auth.bearer_token(websocket)
    if token is not None:
        return token, None
    protocol = websocket.headers.get("sec-websocket-protocol", "").split(",")[0].strip()
    return (protocol or None), (protocol or None)


async def _subscribe(websocket: WebSocket, connection: live.Connection, granted: frozenset[str], data: dict[str, Any]) -> None:
    ctx = websocket.app.state.ctx
    stream = str(data.get("stream") or "")[:40]
    try:
        if not scope_model.allows(granted, _scopes_for(stream)):
            raise live.SubscriptionError("Access token does not have the required scopes")
        sub = await live.check_subscription(ctx, connection.account_id, stream, _stream_params(data))
    except live.SubscriptionError as exc:
        connection.push({"error": str(exc), "status": 400})
        return
    if data.get("type") == "unsubscribe":
        connection.subscriptions.discard(sub)
    elif len(connection.subscriptions) < MAX_SUBSCRIPTIONS:
        connection.subscriptions.add(sub)


async def _read(websocket: WebSocket, connection: live.Connection, granted: frozenset[str]) -> None:
    while not connection.closed:
        text = await websocket.receive_text()
        if len(text) > MAX_MESSAGE:
            connection.push({"error": "Message too long", "status": 400})
            continue
        try:
            data = json.loads(text)
        except ValueError:
            connection.push({"error": "Invalid JSON", "status": 400})
            continue
        if not isinstance(data, dict) or data.get("type") not in ("subscribe", "unsubscribe"):
            connection.push({"error": "Unknown message type", "status": 400})
            continue
        await _subscribe(websocket, connection, granted, data)


async def _write(websocket: WebSocket, connection: live.Connection) -> None:
    while True:
        message = await connection.queue.get()
        if message is None:
            return
        await websocket.send_text(json.dumps(message, ensure_ascii=False))


async def _watch_token(ctx: Context, token: str, connection: live.Connection) -> None:
    """Close the stream when its token is revoked or its account disabled."""
    while not connection.closed:
        await asyncio.sleep(RECHECK_TOKEN_SECONDS)
        try:
            await auth.token_auth(ctx, token)
        except HTTPError:
            connection.close()
            return


async def websocket_endpoint(websocket: WebSocket) -> None:
    ctx = websocket.app.state.ctx
    hub = ctx.extras.get("streaming_hub")
    token, subprotocol = _ws_token(websocket)
    try:
        who = await auth.token_auth(ctx, token) if token and hub is not None else None
    except HTTPError:
        who = None
    if who is None or who.account is None or not scope_model.allows(who.scopes, ("read:statuses", "read:notifications")):
        await websocket.close(code=1008)
        return
    await websocket.accept(subprotocol=subprotocol)
    connection = live.Connection(who.account_id)
    hub.add(connection)
    initial = websocket.query_params.get("stream")
    if initial:
        await _subscribe(websocket, connection, who.scopes, {"type": "subscribe", "stream": initial,
                                                             **_stream_params(websocket.query_params)})
    assert token is not None
    try:
        async with anyio.create_task_group() as group:
            # Whichever ends first (the client leaves, the queue closes, the token is revoked) ends all.
            for part in (_read(websocket, connection, who.scopes), _write(websocket, connection),
                         _watch_token(ctx, token, connection)):
                group.start_soon(_until_done, part, group.cancel_scope)
    finally:
        hub.remove(connection)
        with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
            await websocket.close()


async def _until_done(part: Awaitable[None], scope: anyio.CancelScope) -> None:
    try:
        await part
    except (WebSocketDisconnect, OSError, RuntimeError):
        pass   # the client went away: that is how a stream ends
    finally:
        scope.cancel()


routes: list[BaseRoute] = [
    WebSocketRoute("/api/v1/streaming", websocket_endpoint),
    WebSocketRoute("/api/v1/streaming/", websocket_endpoint),
    route("/api/v1/streaming/health", health, "GET"),
    route("/api/v1/streaming", _sse_endpoint(None), "GET"),
    *(route(f"/api/v1/streaming/{path}", _sse_endpoint(name), "GET") for path, name in (
        ("user", "user"), ("user/notification", "user:notification"), ("public", "public"),
        ("public/local", "public:local"), ("public/remote", "public:remote"), ("public/media", "public:media"),
        ("public/local/media", "public:local:media"), ("public/remote/media", "public:remote:media"),
        ("public/company", "public:company"), ("hashtag", "hashtag"), ("hashtag/local", "hashtag:local"),
        ("list", "list"), ("direct", "direct"),
    )),
]
