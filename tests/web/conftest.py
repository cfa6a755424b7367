"""An in-process instance for HTTP-level tests of the web UI, with named colleagues:
alice (Engineering, reports to carol), bob (Sales, locked account), carol (manager), and admin.

Each `Browser` is an httpx client on the ASGI app with its own cookie jar, so tests read like a
person using a browser: open a page, fill its form (with the CSRF token the page carries), follow
the redirect.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from server.app import create_app
from server.config import Settings, load_settings
from server.context import Context
from server.services.accounts import create_account

PASSWORD = "correct horse battery staple"
BASE = "http://paris.test"
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def web_settings(tmp_path: Path) -> Settings:
    return load_settings({
        "ATRIUM_DOMAIN": "paris.test", "ATRIUM_SCHEME": "http", "ATRIUM_DATA_DIR": str(tmp_path / "data"),
        "ATRIUM_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'atrium.db'}", "ATRIUM_RUN_WORKERS": "false",
        "ATRIUM_COMPANY_AUDIENCE": "https://company.atrium.test/ns/members",
    })


async def seed(ctx: Context) -> None:
    await create_account(ctx, "carol", password=PASSWORD, display_name="Carol Manager", department="Engineering",
                         title="Head of Engineering")
    await create_account(ctx, "alice", password=PASSWORD, display_name="Alice Martin", department="Engineering",
                         title="Developer", manager="carol", location="Paris")
    await create_account(ctx, "bob", password=PASSWORD, display_name="Bob Locked", department="Sales", locked=True)
    await create_account(ctx, "admin", password=PASSWORD, admin=True, display_name="Administrator")


@dataclass
class Browser:
    """One person's browser on the app."""

    client: httpx.AsyncClient

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, **kwargs)

    async def csrf(self, path: str = "/") -> str:
        found = CSRF.search((await self.get(path)).text)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    async def post(self, path: str, data: dict[str, Any] | None = None, *, csrf_from: str = "/", json: bool = False,
                   files: Any = None, csrf: str | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
        form = {"csrf_token": csrf if csrf is not None else await self.csrf(csrf_from), **(data or {})}
        sent = {"Accept": "application/json"} if json else {}
        sent.update(headers or {})
        return await self.client.post(path, data=form, files=files, headers=sent)

    async def sign_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        response = await self.post("/auth/sign_in", {"username": username, "password": password}, csrf_from="/auth/sign_in")
        assert response.status_code == 303, response.text
        return response


@dataclass
class Site:
    app: Starlette
    settings: Settings
    opened: list[httpx.AsyncClient]

    @property
    def ctx(self) -> Context:
        return self.app.state.ctx

    def browser(self, **headers: str) -> Browser:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE, follow_redirects=False,
                                   headers=headers)
        self.opened.append(client)
        return Browser(client)

    async def signed_in(self, username: str, **headers: str) -> Browser:
        browser = self.browser(**headers)
        await browser.sign_in(username)
        return browser


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    settings = web_settings(tmp_path)
    app = create_app(settings, run_subsystems=False)
    async with app.router.lifespan_context(app):
        await seed(app.state.ctx)
        running = Site(app, settings, [])
        try:
            yield running
        finally:
            for client in running.opened:
                await client.aclose()


@pytest.fixture
async def alice(site: Site) -> Browser:
    return await site.signed_in("alice")


SignedIn = Callable[[str], Browser]
