"""A named Atrium node for in-process federation tests: its own database, a FederationRuntime and a
minimal ASGI front (inboxes, actors, posts, WebFinger) on 127.0.0.1, talking real signed HTTP.

It stands in for the full server only where federation needs one; the end-to-end suite runs real
`atrium serve` processes instead.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from activitypub.builders import build_webfinger
from activitypub.constants import ACTIVITY_JSON
from federation import render
from federation.inbox import InboxError, read_limited
from federation.instance import Instance
from federation.runner import FederationRuntime
from storage import accounts, hydrate, peers, statuses
from storage.db import Row, SQLiteDatabase
from tests.federation.rig import local_account, open_db


class Node:
    """`async with Node(tmp_path, "paris") as paris:`; peers are added with `trust(other)`."""

    def __init__(self, tmp_path: Path, name: str) -> None:
        self.name = name
        self._tmp = tmp_path
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.domain = f"127.0.0.1:{self.port}"
        self.instance = Instance.create(base_url=f"http://{self.domain}", company_audience="https://company.test/ns")
        self.db: SQLiteDatabase
        self.runtime: FederationRuntime
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def trust(self, *others: Node) -> None:
        for other in others:
            await peers.add(self.db, other.domain)
        await self.instance.policy.reload(self.db)

    async def account(self, username: str, *, locked: bool = False) -> Row:
        return await local_account(self.db, self.instance, username, locked=locked)

    # --- HTTP front -------------------------------------------------------------------------------

    async def _inbox(self, request: Request) -> Response:
        recipient = None
        username = request.path_params.get("username")
        if username is not None:
            row = await accounts.get_local_by_username(self.db, username)
            if row is None:
                return Response(status_code=404)
            recipient = int(row["id"])
        try:
            body = await read_limited(request.stream(), self.instance.max_body_bytes, request.headers.get("content-length"))
            await self.runtime.receive(
                request.method, request.scope.get("raw_path") or request.url.path.encode(),
                request.scope.get("query_string", b""), list(request.scope["headers"]), body, recipient,
            )
        except InboxError as error:
            return JSONResponse({"error": error.message}, status_code=error.status)
        return Response(status_code=202)

    async def _actor(self, request: Request) -> Response:
        row = await accounts.get_local_by_username(self.db, request.path_params["username"])
        if row is None:
            return Response(status_code=404)
        return _activity(render.actor_document(row, self.instance))

    async def _instance_actor(self, request: Request) -> Response:
        row = await accounts.get_by_uri(self.db, self.instance.urls.instance_actor)
        assert row is not None
        return _activity(render.actor_document(row, self.instance))

    async def _status(self, request: Request) -> Response:
        row = await statuses.get(self.db, int(request.path_params["status_id"]))
        if row is None or row["visibility"] not in ("public", "unlisted"):
            return Response(status_code=404)
        bundle = await hydrate.load_status(self.db, int(row["id"]))
        assert bundle is not None
        return _activity(render.note_object(bundle, self.instance))

    async def _webfinger(self, request: Request) -> Response:
        resource = request.query_params.get("resource", "")
        user = resource.removeprefix("acct:").rsplit("@", 1)[0]
        row = await accounts.get_local_by_username(self.db, user)
        if row is None:
            return Response(status_code=404)
        return JSONResponse(build_webfinger(subject=f"acct:{row['username']}@{self.domain}", actor_id=row["uri"]),
                            media_type="application/jrd+json")

    async def __aenter__(self) -> Node:
        self.db = await open_db(self._tmp, self.name)
        self.runtime = FederationRuntime(self.db, self.instance, poll_interval=0.05)
        await self.runtime.start(run_workers=False)
        app = Starlette(routes=[
            Route("/inbox", self._inbox, methods=["POST"]),
            Route("/users/{username}/inbox", self._inbox, methods=["POST"]),
            Route("/users/{username}", self._actor),
            Route("/users/{username}/statuses/{status_id:int}", self._status),
            Route("/actor", self._instance_actor),
            Route("/.well-known/webfinger", self._webfinger),
        ])
        config = uvicorn.Config(app, log_level="error", lifespan="off", ws="none", http="h11")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        for _ in range(500):
            if self._server.started:
                break
            await asyncio.sleep(0.01)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None and self._task is not None
        self._server.should_exit = True
        await self._task
        await self.runtime.stop()
        await self.db.close()


def _activity(document: dict[str, Any]) -> Response:
    return JSONResponse(document, media_type=ACTIVITY_JSON)


async def settle(*nodes: Node, rounds: int = 30) -> None:
    """Drain every node's queues until a whole round does nothing (no sleeping on timers)."""
    for _ in range(rounds):
        handled = 0
        for node in nodes:
            handled += await node.runtime.drain()
        if not handled:
            return
    raise AssertionError("the queues did not settle")
