"""Baseline for the streaming benchmark: a bare Starlette app under uvicorn that sends one fixed
payload to every open WebSocket when `POST /emit` is called. What the transport alone costs."""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

SOCKETS: set[WebSocket] = set()
PAYLOAD = json.dumps({"stream": ["public:local"], "event": "update", "payload": json.dumps({"content": "x" * 2500})})


async def stream(websocket: WebSocket) -> None:
    await websocket.accept()
    SOCKETS.add(websocket)
    try:
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        SOCKETS.discard(websocket)


async def emit(request: Request) -> Response:
    for websocket in list(SOCKETS):
        try:
            await websocket.send_text(PAYLOAD)
        except (RuntimeError, OSError):
            SOCKETS.discard(websocket)
    return PlainTextResponse("ok")


async def ready(request: Request) -> Response:
    return PlainTextResponse("ok")


app = Starlette(routes=[WebSocketRoute("/api/v1/streaming", stream), Route("/emit", emit, methods=["POST"]),
                        Route("/ready", ready)])
