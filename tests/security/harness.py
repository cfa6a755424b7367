"""The world the security suite attacks: Paris, a real Atrium app in process, and who talks to it.

- `paris.test` is the full ASGI app (`server.app.create_app`, every subsystem started, the federation
  runtime with its real guarded HTTP client; workers are drained by hand with `world.drain()`).
- `lyon.test` is the one company peer: a recording HTTP listener on loopback, pinned as lyon's address,
  so whatever Paris delivers there is recorded (tests/federation/receiver.py).
- `evil.test` is an outsider: its actor is even stored as a remote account (as if known from the
  past), so refusals come from the policy, not from ignorance.
- People: alice (the author), fred (local follower of alice), dina (local, mentioned), claire (local
  colleague who follows nobody); bob@lyon (follows alice), dave@lyon (mentioned), carl@lyon (company,
  follows nobody), mallory@evil (outsider).

Every outgoing request the app makes is recorded through the HTTP client's request hook
(`world.outgoing`), and the canary must never be reached. Hostile requests go through `refused(...)`,
which asserts the status and that no table changed, and records the attempt in the tally.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from activitypub.constants import ACTIVITY_JSON, AS_PUBLIC
from federation.httpsig import sign_request
from federation.runner import FederationRuntime
from server import sessions
from server.app import create_app
from server.config import load_settings
from server.context import Context
from server.services import statuses as status_service
from server.services.accounts import create_account
from server.services.oauth import mint_token
from server.services.statuses import PostInput
from storage import accounts, follows
from storage import sessions as session_store
from storage.db import Row
from tests.federation.receiver import Receiver
from tests.federation.rig import RemoteActor, remote_actor, store_remote
from tests.security.canary import Canary
from tests.security.tally import TALLY

DOMAIN = "paris.test"
BASE = f"http://{DOMAIN}"
PEER = "lyon.test"
OUTSIDER = "evil.test"
COMPANY = "https://company.atrium.test/ns/members"
AP = {"Accept": ACTIVITY_JSON}

# Tables a refused request may legitimately touch: the last-use time of the caller's own token or
# session, and the caller's own activity day (adoption analytics). Nothing else.
VOLATILE: frozenset[str] = frozenset({"oauth_tokens", "web_sessions", "activity_days"})


def remote(domain: str, name: str, key: int) -> RemoteActor:
    return remote_actor(domain, name, key=key, scheme="http")


@dataclass
class World:
    """Paris and everyone around it; see the module docstring."""

    app: Starlette
    lyon: Receiver
    canary: Canary
    client: httpx.AsyncClient
    people: dict[str, Row] = field(default_factory=dict)
    remotes: dict[str, RemoteActor] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    outgoing: list[str] = field(default_factory=list)

    @property
    def ctx(self) -> Context:
        return self.app.state.ctx

    @property
    def runtime(self) -> FederationRuntime:
        return self.ctx.extras["federation"]

    @property
    def db(self) -> Any:
        return self.ctx.db

    # --- people and posts ---------------------------------------------------------------------

    def id_of(self, name: str) -> int:
        return int(self.people[name]["id"])

    async def post(self, author: str, text: str, visibility: str = "public", **extra: Any) -> int:
        row = await accounts.get(self.db, self.id_of(author))
        assert row is not None
        return await status_service.create_status(self.ctx, row, PostInput(text=text, visibility=visibility, **extra))

    async def add_remote(self, name: str, actor: RemoteActor) -> Row:
        """Store a remote actor as if fetched from its origin, known here as `name`."""
        self.remotes[name] = actor
        self.people[name] = row = await store_remote(self.db, actor)
        return row

    async def follow(self, follower: str, target: str, *, uri: str | None = None) -> None:
        async with self.db.transaction() as tx:
            await follows.request(tx, self.id_of(follower), self.id_of(target), uri, accept=True)

    # --- requests -----------------------------------------------------------------------------

    def signed_headers(self, actor: RemoteActor, method: str, path: str, body: bytes | None = None,
                       headers: dict[str, str] | None = None, *, key_id: str | None = None,
                       pem: str | None = None) -> dict[str, str]:
        base = dict(headers or ({"Content-Type": ACTIVITY_JSON} if body is not None else AP))
        return sign_request(method, BASE + path, base, body, key_id or actor.key_id, pem or actor.private_key_pem)

    async def signed_get(self, actor: RemoteActor, path: str, accept: str = ACTIVITY_JSON) -> httpx.Response:
        return await self.client.get(path, headers=self.signed_headers(actor, "GET", path, None, {"Accept": accept}))

    async def inbox(self, actor: RemoteActor, activity: Any, path: str = "/inbox", **sign: Any) -> httpx.Response:
        body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
        return await self.client.post(path, content=body, headers=self.signed_headers(actor, "POST", path, body, **sign))

    def api(self, name: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"} if name else {}

    def browser(self, name: str | None) -> dict[str, str]:
        return {"Cookie": f"{sessions.COOKIE}={self.cookies[name]}", "Accept": "text/html"} if name else {"Accept": "text/html"}

    async def drain(self) -> int:
        return await self.runtime.drain()

    # --- what changed -------------------------------------------------------------------------

    async def snapshot(self) -> dict[str, tuple[int, str]]:
        """Row count and a digest of the contents of every table."""
        names = [r["name"] for r in await self.db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        found = {}
        for name in names:
            rows = await self.db.fetchall(f"SELECT * FROM {name} ORDER BY 1")
            digest = hashlib.sha256(json.dumps([list(dict(r).values()) for r in rows], default=str).encode()).hexdigest()
            found[name] = (len(rows), digest)
        return found

    @staticmethod
    def changes(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]],
                ignore: frozenset[str] = frozenset()) -> dict[str, int]:
        """Tables that changed → rows added or removed (at least 1 when only updated)."""
        changed = {}
        for name, (count, digest) in after.items():
            if name in VOLATILE or name in ignore:
                continue
            old = before.get(name, (0, ""))
            if old[1] != digest:
                changed[name] = max(1, abs(count - old[0]))
        return changed

    async def count(self, sql: str, *params: Any) -> int:
        return int(await self.db.fetchval(sql, params) or 0)

    def delivered(self) -> list[dict[str, Any]]:
        """Activities POSTed to lyon so far."""
        return [json.loads(r.body) for r in self.lyon.posts()]

    # --- refusals -----------------------------------------------------------------------------

    async def refused(self, case: str, what: str, send: Any, expect: int | tuple[int, ...], *,
                      drain: bool = True, ignore: frozenset[str] = frozenset(), fetches: tuple[str, ...] | None = None,
                      may_fetch: tuple[str, ...] = (),
                      accepted: Callable[[httpx.Response], bool] | None = None) -> httpx.Response:
        """Send a hostile request (`send` is an awaitable factory) and assert it is refused with
        `expect`, that no table changed (also after the workers ran) and nothing went out but
        `fetches` (the requests the refusal legitimately needed, e.g. the one fetch that was refused),
        or some of `may_fetch` (a key refetch the per-host allowance may or may not permit).
        `accepted` judges a 2xx answer whose body is the refusal (an empty search result)."""
        await self.drain()   # whatever the setup queued leaves first
        before = await self.snapshot()
        sent_before = len(self.outgoing)
        response = await send()
        if drain:
            await self.drain()
        changed = self.changes(before, await self.snapshot(), ignore)
        expected = expect if isinstance(expect, tuple) else (expect,)
        TALLY.attempt(case, what, response.status_code, sum(changed.values()),
                      accepted=accepted(response) if accepted is not None else None)
        assert response.status_code in expected, f"{what}: {response.status_code} {response.text[:300]}"
        assert not changed, f"{what}: rows written {changed}"
        went = self.outgoing[sent_before:]
        if fetches is not None or not may_fetch:
            assert went == list(fetches or ()), f"{what}: outgoing requests {went}"
        else:
            assert all(went.count(r) <= 1 and r in may_fetch for r in went), f"{what}: outgoing requests {went}"
        return response

    async def ignored(self, case: str, what: str, send: Any, *, expect: int = 202, fetches: tuple[str, ...] = (),
                      ignore: frozenset[str] = frozenset(), states: tuple[str, ...] = ("ignored",)) -> httpx.Response:
        """A hostile activity the inbox must store (it cannot judge it yet) and processing must
        then ignore: its raw row is kept in `inbox_items` (state `ignored`, or one of `states`: `queued`
        when a fetch it needed failed in a way that may pass) and nothing else changes."""
        await self.drain()   # whatever the setup queued leaves first
        before = await self.snapshot()
        sent_before = len(self.outgoing)
        response = await send()
        await self.drain()
        after = await self.snapshot()
        changed = self.changes(before, after, frozenset({"inbox_items"}) | ignore)
        state = await self.db.fetchval("SELECT state FROM inbox_items ORDER BY id DESC LIMIT 1")
        TALLY.attempt(case, what, response.status_code, sum(changed.values()),
                      accepted=bool(changed) or (state == "done" and "done" not in states))
        assert response.status_code == expect, f"{what}: {response.status_code} {response.text[:300]}"
        assert state in states, f"{what}: the activity was {state}"
        assert not changed, f"{what}: rows written {changed}"
        assert self.outgoing[sent_before:] == list(fetches), f"{what}: outgoing requests {self.outgoing[sent_before:]}"
        return response


def note(actor: RemoteActor, n: int | str, *, to: list[str] | None = None, cc: list[str] | None = None,
         **extra: Any) -> dict[str, Any]:
    """A Note by `actor` with id `<actor>/notes/<n>`."""
    return {"id": f"{actor.uri}/notes/{n}", "type": "Note", "attributedTo": actor.uri,
            "content": f"<p>note {n}</p>", "to": to if to is not None else [AS_PUBLIC],
            "cc": cc if cc is not None else [actor.followers], "published": "2025-01-01T00:00:00Z", **extra}


def create(actor: RemoteActor, obj: dict[str, Any], *, activity_id: str | None = None) -> dict[str, Any]:
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": activity_id or f"{obj['id']}/activity",
            "type": "Create", "actor": actor.uri, "to": obj.get("to", []), "cc": obj.get("cc", []), "object": obj}


def activity(actor: RemoteActor, kind: str, obj: Any, n: int | str = 1, **extra: Any) -> dict[str, Any]:
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor.uri}/{kind.lower()}s/{n}",
            "type": kind, "actor": actor.uri, "object": obj, **extra}


async def _session_cookie(ctx: Context, account_id: int) -> str:
    token = secrets.token_urlsafe(32)
    await session_store.create(ctx.db, token_hash=sessions.token_hash(token), account_id=account_id,
                               user_agent="security-suite", ip="127.0.0.1")
    return sessions._signer(ctx, "atrium.session").sign(token).decode()


@asynccontextmanager
async def world(tmp_path: Path, canary: Canary, *, mode: str = "closed", env: dict[str, str] | None = None
                ) -> AsyncIterator[World]:
    """Start Paris with lyon as its company peer; yield the World; stop everything."""
    data = tmp_path / f"{mode}-data"
    async with Receiver() as lyon:
        settings = load_settings({
            "ATRIUM_DOMAIN": DOMAIN, "ATRIUM_SCHEME": "http", "ATRIUM_DATA_DIR": str(data),
            "ATRIUM_DATABASE_URL": f"sqlite:///{data / 'atrium.db'}",
            "ATRIUM_COMPANY_AUDIENCE": COMPANY, "ATRIUM_RUN_WORKERS": "false", "ATRIUM_FEDERATION_MODE": mode,
            "ATRIUM_PEERS": PEER, "ATRIUM_PEER_ADDRESSES": f"{PEER}={lyon.domain}", "ATRIUM_LOG_LEVEL": "error",
            **(env or {}),
        })
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE, follow_redirects=False) as client:
                w = World(app, lyon, canary, client)

                async def record(request: httpx.Request) -> None:
                    w.outgoing.append(f"{request.method} {request.url}")

                w.runtime.http._client.event_hooks["request"].append(record)
                await _populate(w)
                yield w


async def _populate(w: World) -> None:
    ctx = w.ctx
    for name in ("alice", "fred", "dina", "claire"):
        created = await create_account(ctx, name, display_name=name.title())
        row = await accounts.get(ctx.db, created.account_id)
        assert row is not None
        w.people[name] = row
        w.tokens[name] = await mint_token(ctx, created.account_id, ["read", "write", "follow"])
        w.cookies[name] = await _session_cookie(ctx, created.account_id)
    for name, domain, key in (("bob", PEER, 2), ("dave", PEER, 3), ("carl", PEER, 3), ("mallory", OUTSIDER, 2)):
        actor = remote(domain, name, key)
        w.remotes[name] = actor
        w.people[name] = await store_remote(ctx.db, actor)
    await w.follow("fred", "alice")
    await w.follow("bob", "alice", uri=f"{w.remotes['bob'].uri}/follows/alice")
