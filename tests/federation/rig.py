"""A test rig for federation: databases, named instances and actors, and a recording fake HTTP.

Instances are named by city (`paris`, `lyon`, `montreal`); actors by role (`alice_at_paris`).
The fake HTTP client serves documents from a dict and records every request; it stands in only
for servers that cannot run here (tests that need real HTTP use tests/federation/receiver.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from activitypub.constants import ACTIVITY_JSON
from activitypub.parse_actor import ParsedActor
from federation import convert
from federation.http import HttpResponse, RequestRefused, Signer
from federation.httpsig import generate_rsa_keypair, sign_request
from federation.instance import Instance, InstanceActor
from federation.policy import FederationPolicy, domain_of
from storage import accounts, migrate
from storage.db import Row, SQLiteDatabase, connect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# RSA key generation costs ~50 ms: a few pairs serve every test actor.
_KEYS = [generate_rsa_keypair() for _ in range(4)]


def keypair(index: int) -> tuple[str, str]:
    return _KEYS[index % len(_KEYS)]


async def open_db(tmp_path: Path, name: str = "atrium") -> SQLiteDatabase:
    db = await connect(f"sqlite:///{tmp_path / f'{name}.db'}")
    assert isinstance(db, SQLiteDatabase)
    await migrate.migrate(db)
    return db


def make_instance(
    domain: str,
    *,
    peers: tuple[str, ...] = (),
    mode: str = "closed",
    scheme: str = "https",
    peer_addresses: dict[str, str] | None = None,
) -> Instance:
    private_pem, _public = keypair(0)
    base = f"{scheme}://{domain}"
    instance = Instance.create(
        base_url=base,
        company_audience="https://company.example/ns/audience",
        federation_mode=mode,
        peers=peers,
        peer_addresses=peer_addresses,
    )
    instance.actor = InstanceActor(uri=f"{base}/actor", key_id=f"{base}/actor#main-key", private_key_pem=private_pem)
    return instance


async def local_account(db: Any, instance: Instance, username: str, *, locked: bool = False, key: int = 1) -> Row:
    private_pem, public_pem = keypair(key)
    urls = instance.urls
    account_id = await accounts.create_local_account(
        db,
        accounts.NewLocalAccount(
            username=username,
            uri=urls.actor(username),
            url=urls.profile(username),
            inbox_url=urls.inbox(username),
            outbox_url=urls.outbox(username),
            followers_url=urls.followers(username),
            following_url=urls.following(username),
            featured_url=urls.featured(username),
            shared_inbox_url=urls.shared_inbox,
            public_key_pem=public_pem,
            private_key_pem=private_pem,
            display_name=username.title(),
            locked=locked,
        ),
    )
    row = await accounts.get(db, account_id)
    assert row is not None
    return row


@dataclass
class RemoteActor:
    """An actor of another instance: its document and its private key (to sign as it)."""

    uri: str
    username: str
    private_key_pem: str
    public_key_pem: str
    shared_inbox: str | None

    @property
    def key_id(self) -> str:
        return f"{self.uri}#main-key"

    @property
    def domain(self) -> str:
        return domain_of(self.uri)

    @property
    def followers(self) -> str:
        return f"{self.uri}/followers"

    @property
    def inbox(self) -> str:
        return f"{self.uri}/inbox"

    def document(self, **extra: Any) -> dict[str, Any]:
        doc = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.uri,
            "type": "Person",
            "preferredUsername": self.username,
            "name": self.username.title(),
            "inbox": self.inbox,
            "outbox": f"{self.uri}/outbox",
            "followers": self.followers,
            "following": f"{self.uri}/following",
            "publicKey": {"id": self.key_id, "owner": self.uri, "publicKeyPem": self.public_key_pem},
        }
        if self.shared_inbox:
            doc["endpoints"] = {"sharedInbox": self.shared_inbox}
        doc.update(extra)
        return doc

    def signer(self) -> Signer:
        return Signer(self.key_id, self.private_key_pem)


def remote_actor(domain: str, username: str, *, key: int = 2, scheme: str = "https", shared: bool = True) -> RemoteActor:
    private_pem, public_pem = keypair(key)
    base = f"{scheme}://{domain}"
    return RemoteActor(
        uri=f"{base}/users/{username}",
        username=username,
        private_key_pem=private_pem,
        public_key_pem=public_pem,
        shared_inbox=f"{base}/inbox" if shared else None,
    )


async def store_remote(db: Any, actor: RemoteActor, **extra: Any) -> Row:
    """Store a remote actor as if fetched from its origin."""
    parsed = ParsedActor.from_document(actor.document(**extra))
    account_id = await accounts.upsert_remote(db, actor.uri, actor.domain, convert.actor_values(parsed))
    row = await accounts.get(db, account_id)
    assert row is not None
    return row


def signed_post(actor: RemoteActor, inbox_url: str, activity: dict[str, Any]) -> tuple[str, str, dict[str, str], bytes]:
    """(path, query, headers, body) of a POST signed by `actor`, as an inbox receives it."""
    body = json.dumps(activity).encode()
    headers = sign_request(
        "POST", inbox_url, {"Content-Type": ACTIVITY_JSON}, body, actor.key_id, actor.private_key_pem
    )
    path = "/" + inbox_url.split("://", 1)[1].split("/", 1)[1]
    return path, "", headers, body


@dataclass
class FakeHttp:
    """Serves documents by URL and records requests; refuses hosts the policy refuses, like HttpClient."""

    policy: FederationPolicy
    documents: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    posts: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)
    post_status: int = 202

    def serve(self, url: str, document: Any, *, status: int = 200, content_type: str = ACTIVITY_JSON) -> None:
        self.documents[url] = (status, content_type, json.dumps(document).encode())

    async def get(self, url: str, *, accept: str, signer: Signer | None = None, max_bytes: int | None = None,
                  deadline: float | None = None, max_redirects: int = 3) -> HttpResponse:
        if not self.policy.allow(domain_of(url)):
            raise RequestRefused(f"{domain_of(url)} not allowed")
        self.requests.append(("GET", url))
        status, content_type, body = self.documents.get(url, (404, "text/plain", b"not found"))
        return HttpResponse(status, httpx.Headers({"content-type": content_type}), body, url)

    async def post(self, url: str, body: bytes, *, content_type: str, signer: Signer | None = None,
                   deadline: float | None = None, headers: dict[str, str] | None = None) -> HttpResponse:
        if not self.policy.allow(domain_of(url)):
            raise RequestRefused(f"{domain_of(url)} not allowed")
        self.requests.append(("POST", url))
        self.posts.append((url, body, dict(headers or {})))
        return HttpResponse(self.post_status, httpx.Headers({}), b"", url)

    async def aclose(self) -> None:
        return None

    def fetched(self) -> list[str]:
        return [url for method, url in self.requests if method == "GET"]


def load_fixture(relative: str) -> dict[str, Any]:
    return json.loads((FIXTURES / relative).read_text())
