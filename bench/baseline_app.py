"""The HTTP baseline: a bare Starlette app doing one SQLite statement per request.

Served by uvicorn (one worker, same event loop and HTTP parser as `atrium serve`) over the same
database file as Atrium, it is the floor an HTTP request with one query costs on this machine:

- `GET /ids?account_id=…`: one `SELECT` of 40 ids (the materialised home page's ids) as JSON;
- `POST /insert`: one `INSERT` (autocommit, WAL, synchronous=NORMAL as Atrium) of the JSON body.

    BENCH_DB=/path/atrium.db python -m uvicorn bench.baseline_app:app --port 8124
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import AsyncIterator
from typing import Any

import aiosqlite
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SELECT_IDS = "SELECT status_id FROM home_feed WHERE account_id = ? ORDER BY status_id DESC LIMIT 40"
CREATE = (
    "CREATE TABLE IF NOT EXISTS bench_baseline_inserts"
    " (id INTEGER PRIMARY KEY, body TEXT NOT NULL, created_at BIGINT NOT NULL)"
)
INSERT = "INSERT INTO bench_baseline_inserts (body, created_at) VALUES (?, ?)"


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
    conn = await aiosqlite.connect(os.environ["BENCH_DB"], isolation_level=None)
    conn.row_factory = sqlite3.Row
    for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=10000"):
        await conn.execute(pragma)
    await conn.execute(CREATE)
    try:
        yield {"conn": conn}
    finally:
        await conn.close()


async def ids(request: Request) -> Response:
    account_id = int(request.query_params["account_id"])
    rows = await request.state.conn.execute_fetchall(SELECT_IDS, (account_id,))
    return JSONResponse([str(r[0]) for r in rows])


async def insert(request: Request) -> Response:
    body = await request.body()
    await request.state.conn.execute_insert(INSERT, (body.decode() or json.dumps({}), int(time.time() * 1000)))
    return JSONResponse({"ok": True})


async def ready(request: Request) -> Response:
    return JSONResponse({"ok": True})


app = Starlette(
    routes=[Route("/ids", ids), Route("/insert", insert, methods=["POST"]), Route("/ready", ready)],
    lifespan=lifespan,
)
