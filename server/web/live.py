"""New posts as they arrive, for the signed-in browser: server-sent events at /web/streaming.

The client API's streaming endpoint takes OAuth tokens; the web UI has a session cookie instead.
This endpoint reuses the same in-process hub (`ctx.extras["streaming_hub"]`, started by the
streaming subsystem) and only tells the page *that* something arrived (`event: update`): the page
then fetches the new posts as HTML, with the same rendering and visibility rules as any page. When
no hub runs it answers 204, which tells EventSource to stop, and the script falls back to polling.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from .. import sessions
from ..errors import HTTPError

HEARTBEAT_SECONDS = 15.0
STREAMS = {"user": "user", "public:local": "public:local", "public": "public", "hashtag": "hashtag"}


async def stream(request: Request) -> Response:
    session = await sessions.current(request)
    if session is None:
        raise HTTPError(401, "Sign in first.")
    ctx = request.app.state.ctx
    hub = ctx.extras.get("streaming_hub")
    name = STREAMS.get(request.query_params.get("stream", ""))
    if hub is None or name is None:
        return Response(status_code=204)
    from ..streaming import Connection, SubscriptionError, check_subscription

    try:
        sub = await check_subscription(ctx, session.account_id, name, {"tag": request.query_params.get("tag")})
    except SubscriptionError as exc:
        raise HTTPError(400, str(exc)) from None
    connection = Connection(session.account_id, {sub})
    hub.add(connection)
    return StreamingResponse(_events(hub, connection), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _events(hub: Any, connection: Any) -> AsyncIterator[bytes]:
    try:
        yield b"retry: 10000\n\n"
        while True:
            try:
                message = await asyncio.wait_for(connection.queue.get(), timeout=HEARTBEAT_SECONDS)
            except TimeoutError:
                yield b":\n\n"
                continue
            if message is None:
                return
            if message.get("event") in ("update", "status.update"):
                # Only the signal: the page fetches the posts as HTML, through the usual rules.
                yield b"event: update\ndata: {}\n\n"
    finally:
        hub.remove(connection)


routes = [Route("/web/streaming", stream, methods=["GET"])]
