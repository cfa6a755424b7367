"""An in-process instance for HTTP-level tests of the client API, with named colleagues:
alice (Engineering, reports to carol), bob (Sales, locked account), carol (manager), and admin.

`api.client("alice")` is an httpx client on the ASGI app carrying a bearer token of alice's with
the scopes asked for (default `read write follow`), minted the way the CLI mints them.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette

from server.app import create_app
from server.config import Settings
from server.context import Context
from server.services.accounts import create_account
from server.services.oauth import mint_token
from storage import accounts as account_store
from tests.conftest import PG_URL, make_settings

PASSWORD = "correct horse battery staple"
BASE = "http://paris.test"


async def seed(ctx: Context) -> None:
    await create_account(ctx, "carol", password=PASSWORD, display_name="Carol Manager", department="Engineering",
                         title="Head of Engineering")
    await create_account(ctx, "alice", password=PASSWORD, display_name="Alice Martin", department="Engineering",
                         title="Developer", manager="carol", location="Paris")
    await create_account(ctx, "bob", password=PASSWORD, display_name="Bob Locked", department="Sales", locked=True)
    await create_account(ctx, "admin", password=PASSWORD, admin=True, display_name="Administrator")


def png(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (200, 30, 30), fmt: str = "PNG",
        **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format=fmt, **save)
    return out.getvalue()


@dataclass
class Api:
    app: Starlette
    settings: Settings
    opened: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def ctx(self) -> Context:
        return self.app.state.ctx

    async def account(self, username: str) -> Any:
        row = await account_store.get_local_by_username(self.ctx.db, username)
        assert row is not None
        return row

    async def token(self, username: str, scopes: str = "read write follow") -> str:
        account = await self.account(username)
        return await mint_token(self.ctx, int(account["id"]), scopes.split())

    def anonymous(self, **headers: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE, headers=headers)
        self.opened.append(client)
        return client

    async def client(self, username: str, scopes: str = "read write follow") -> httpx.AsyncClient:
        return self.anonymous(Authorization=f"Bearer {await self.token(username, scopes)}")


async def _postgres_database() -> str:
    """A fresh PostgreSQL database for one test (ATRIUM_TEST_API_ENGINE=postgresql)."""
    import asyncpg

    name = "api_" + secrets.token_hex(6)
    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return PG_URL.rsplit("/", 1)[0] + "/" + name


async def _drop_database(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")
    finally:
        await conn.close()


async def running_api(tmp_path: Path, **settings: object) -> AsyncIterator[Api]:
    """The app with its lifespan running and the colleagues seeded; on PostgreSQL when
    ATRIUM_TEST_API_ENGINE=postgresql (the whole API suite then runs on it)."""
    database_url = None
    if os.environ.get("ATRIUM_TEST_API_ENGINE") == "postgresql":
        database_url = await _postgres_database()
        settings = {"ATRIUM_DATABASE_URL": database_url, **settings}
    app = create_app(make_settings(tmp_path, **settings), run_subsystems=False)
    try:
        async with app.router.lifespan_context(app):
            await seed(app.state.ctx)
            api = Api(app, app.state.settings)
            try:
                yield api
            finally:
                for client in api.opened:
                    await client.aclose()
    finally:
        if database_url is not None:
            await _drop_database(database_url)


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    """A closed (company-only) instance, the default."""
    async for running in running_api(tmp_path):
        yield running


@pytest.fixture
async def open_api(tmp_path: Path) -> AsyncIterator[Api]:
    """An instance in open federation mode (anonymous reads of public posts are allowed)."""
    async for running in running_api(tmp_path, ATRIUM_FEDERATION_MODE="open"):
        yield running


@pytest.fixture
async def alice(api: Api) -> httpx.AsyncClient:
    return await api.client("alice")


@pytest.fixture
async def bob(api: Api) -> httpx.AsyncClient:
    return await api.client("bob")


@pytest.fixture
async def carol(api: Api) -> httpx.AsyncClient:
    return await api.client("carol")


async def post(client: httpx.AsyncClient, text: str, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/statuses", data={"status": text, **fields})
    assert response.status_code == 200, response.text
    return response.json()
