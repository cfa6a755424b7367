"""Web Push: the subscription API, the VAPID key in the instance and app entities, and encrypted,
signed delivery to a push endpoint on loopback (HTTPS with a test CA), decrypted here as a browser
would."""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import http_ece
import httpx
import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from federation.http import HttpClient
from federation.policy import Peer
from server.services.web_push import Pusher, PushPolicy
from tests.api.conftest import Api, post


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Browser:
    """A subscriber's keys, as a browser's PushManager makes them."""

    private: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: b"0123456789abcdef")

    @property
    def p256dh(self) -> str:
        return b64url(self.private.public_key().public_bytes(serialization.Encoding.X962,
                                                             serialization.PublicFormat.UncompressedPoint))

    def decrypt(self, body: bytes) -> dict[str, Any]:
        return json.loads(http_ece.decrypt(body, private_key=self.private, auth_secret=self.auth, version="aes128gcm"))


@dataclass
class Endpoint:
    """A push service on 127.0.0.1 over HTTPS: records each request, answers `status`."""

    port: int
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    status: int = 201

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/push/abc"


async def _serve(endpoint_box: list[Endpoint], reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    endpoint = endpoint_box[0]
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    path = lines[0].split(" ")[1]
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    endpoint.received.append((path, headers, body))
    writer.write(f"HTTP/1.1 {endpoint.status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode())
    await writer.drain()
    writer.close()


@pytest.fixture
async def endpoint(tmp_path: Path) -> AsyncIterator[tuple[Endpoint, str]]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    box: list[Endpoint] = []
    server = await asyncio.start_server(lambda r, w: _serve(box, r, w), "127.0.0.1", 0, ssl=context)
    box.append(Endpoint(server.sockets[0].getsockname()[1]))
    try:
        yield box[0], str(ca_file)
    finally:
        server.close()
        await server.wait_closed()


def pusher_for(api: Api, endpoint: Endpoint, ca_file: str) -> Pusher:
    domain = f"127.0.0.1:{endpoint.port}"
    client = HttpClient(PushPolicy({domain: Peer(domain=domain)}), ca_file=ca_file)
    return Pusher(api.ctx, client=client, lag_ms=0)


async def _subscribe(client: httpx.AsyncClient, browser: Browser, url: str, **alerts: bool) -> httpx.Response:
    return await client.post("/api/v1/push/subscription", json={
        "subscription": {"endpoint": url, "keys": {"p256dh": browser.p256dh, "auth": b64url(browser.auth)}},
        "data": {"alerts": alerts, "policy": "all"}})


async def test_subscription_api_and_the_vapid_key(api: Api) -> None:
    alice = await api.client("alice", "read write push")
    browser = Browser()
    assert (await alice.get("/api/v1/push/subscription")).status_code == 404
    made = await _subscribe(alice, browser, "https://push.example/send/1", mention=True, follow=True)
    assert made.status_code == 200, made.text
    entity = made.json()
    server_key = (await alice.get("/api/v2/instance")).json()["configuration"]["vapid"]["public_key"]
    assert entity["server_key"] == server_key and len(base64.urlsafe_b64decode(server_key + "=")) == 65
    assert entity["endpoint"] == "https://push.example/send/1" and entity["policy"] == "all"
    assert entity["alerts"]["mention"] is True and entity["alerts"]["favourite"] is False
    app = (await api.anonymous().post("/api/v1/apps", data={"client_name": "x",
                                                            "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"})).json()
    assert app["vapid_key"] == server_key
    # PUT changes alerts (as a whole) and policy; the token's subscription is the same.
    changed = (await alice.put("/api/v1/push/subscription", json={"data": {"alerts": {"favourite": True},
                                                                          "policy": "followed"}})).json()
    assert changed["id"] == entity["id"] and changed["policy"] == "followed"
    assert changed["alerts"]["favourite"] is True and changed["alerts"]["mention"] is False
    # Another token of alice's has its own subscription.
    other = await api.client("alice", "push")
    assert (await other.get("/api/v1/push/subscription")).status_code == 404
    # Refused: no https endpoint, broken keys, unknown policy.
    for subscription, data in (
        ({"endpoint": "http://push.example/1", "keys": {"p256dh": browser.p256dh, "auth": b64url(browser.auth)}}, {}),
        ({"endpoint": "https://push.example/1", "keys": {"p256dh": "AAAA", "auth": b64url(browser.auth)}}, {}),
        ({"endpoint": "https://push.example/1", "keys": {"p256dh": browser.p256dh, "auth": "short"}}, {}),
        ({"endpoint": "https://push.example/1", "keys": {"p256dh": browser.p256dh, "auth": b64url(browser.auth)}},
         {"policy": "everyone"}),
    ):
        response = await alice.post("/api/v1/push/subscription", json={"subscription": subscription, "data": data})
        assert response.status_code == 422, (subscription, response.text)
    assert (await alice.delete("/api/v1/push/subscription")).json() == {}
    assert (await alice.get("/api/v1/push/subscription")).status_code == 404


async def test_a_mention_is_pushed_encrypted_and_signed(api: Api, endpoint: tuple[Endpoint, str]) -> None:
    push_server, ca_file = endpoint
    alice = await api.client("alice", "read write push")
    carol = await api.client("carol")
    browser = Browser()
    pusher = pusher_for(api, push_server, ca_file)
    try:
        await pusher.run_once()       # the keys and the cursor exist from here on
        assert (await _subscribe(alice, browser, push_server.url, mention=True)).status_code == 200
        alice_id = (await alice.get("/api/v1/accounts/verify_credentials")).json()["id"]
        await post(carol, "@alice the build is green")
        await carol.post(f"/api/v1/accounts/{alice_id}/follow")       # follow alerts are off
        assert await pusher.run_once() == 1
        assert await pusher.run_once() == 0                          # pushed once
        [(path, headers, body)] = push_server.received
        assert path == "/push/abc" and headers["content-encoding"] == "aes128gcm" and int(headers["ttl"]) > 0
        message = browser.decrypt(body)
        assert message["notification_type"] == "mention" and message["title"] == "Carol Manager mentioned you"
        assert message["body"] == "@alice the build is green"
        notifications = (await alice.get("/api/v1/notifications", params={"types[]": "mention"})).json()
        assert message["notification_id"] == notifications[0]["id"]
        # VAPID: signed by the instance's key, for the push service's origin.
        assert Vapid02.verify(headers["authorization"])
        server_key = (await alice.get("/api/v2/instance")).json()["configuration"]["vapid"]["public_key"]
        assert headers["authorization"].endswith(f"k={server_key}")

        # The push service says the subscription is gone: it is forgotten.
        push_server.status = 410
        await post(carol, "@alice are you there?")
        assert await pusher.run_once() == 0
        assert len(push_server.received) == 2
        assert (await alice.get("/api/v1/push/subscription")).status_code == 404
    finally:
        await pusher.stop()
        await pusher.client.aclose()


async def test_nothing_reaches_a_private_address_without_trust(api: Api, endpoint: tuple[Endpoint, str]) -> None:
    push_server, ca_file = endpoint
    alice = await api.client("alice", "read write push")
    carol = await api.client("carol")
    pusher = Pusher(api.ctx, client=HttpClient(PushPolicy(), ca_file=ca_file), lag_ms=0)
    try:
        await pusher.run_once()
        await _subscribe(alice, Browser(), push_server.url, mention=True)
        await post(carol, "@alice hello")
        assert await pusher.run_once() == 0
        assert push_server.received == []
    finally:
        await pusher.stop()
        await pusher.client.aclose()
