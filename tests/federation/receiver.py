"""A real HTTP peer for tests: a tiny Starlette app served by uvicorn on 127.0.0.1, random port.

It records every request, verifies HTTP signatures with federation.httpsig against the keys it is
given, and answers what the test configured (by path), including slow and oversized answers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from activitypub.constants import ACTIVITY_JSON
from federation.httpsig import SignatureError, verify_request


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    signed_by: str | None     # the key id that verified, if any
    signature_error: str | None


@dataclass
class Answer:
    status: int = 202
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    trickle: float | None = None     # seconds between single bytes of `body`
    delay: float = 0.0

    @classmethod
    def document(cls, doc: Any, *, status: int = 200, content_type: str = ACTIVITY_JSON) -> Answer:
        return cls(status, json.dumps(doc).encode(), {"content-type": content_type})


class Receiver:
    """Start with `async with Receiver() as peer:`; `peer.port`, `peer.requests`, `peer.answers`."""

    def __init__(self, *, ssl_certfile: str | None = None, ssl_keyfile: str | None = None) -> None:
        self.requests: list[Recorded] = []
        self.answers: dict[str, Answer] = {}
        self.default = Answer()
        self.keys: dict[str, str] = {}
        self.on_request: Callable[[Recorded], None] | None = None
        self._ssl = (ssl_certfile, ssl_keyfile)
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.port = 0
        self.scheme = "https" if ssl_certfile else "http"

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.domain}{path}"

    def posts(self, path: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and (path is None or r.path == path)]

    async def _lookup(self, key_id: str, refresh: bool) -> str | None:
        return self.keys.get(key_id)

    async def _endpoint(self, request: Request) -> Response:
        body = await request.body()
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        query = request.scope.get("query_string", b"")
        signed_by = error = None
        if "signature" in request.headers or "signature-input" in request.headers:
            try:
                verified = await verify_request(
                    request.method, raw_path, query, list(request.scope["headers"]), body, self._lookup,
                    scheme=self.scheme,
                )
                signed_by = verified.key_id
            except SignatureError as failure:
                error = failure.message
        record = Recorded(
            request.method, request.url.path, query.decode("latin-1"), dict(request.headers), body, signed_by, error
        )
        self.requests.append(record)
        if self.on_request is not None:
            self.on_request(record)
        answer = self.answers.get(request.url.path, self.default)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        if answer.trickle is not None:
            interval = answer.trickle

            async def drip() -> AsyncIterator[bytes]:
                for byte in answer.body:
                    yield bytes([byte])
                    await asyncio.sleep(interval)

            return StreamingResponse(drip(), status_code=answer.status, headers=answer.headers)
        return Response(answer.body, status_code=answer.status, headers=answer.headers)

    async def __aenter__(self) -> Receiver:
        methods = ["GET", "POST", "PUT", "DELETE"]
        app = Starlette(routes=[Route("/{path:path}", self._endpoint, methods=methods)])
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="error", lifespan="off", ws="none", http="h11",
            ssl_certfile=self._ssl[0], ssl_keyfile=self._ssl[1],
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(500):
            if self._server.started:
                break
            await asyncio.sleep(0.01)
        assert self._server.started, "the test receiver did not start"
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None and self._task is not None
        self._server.should_exit = True
        await self._task
