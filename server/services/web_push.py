"""Web Push: the instance's VAPID keys, subscription checks, and `Pusher`, the loop that sends each new
notification, encrypted (RFC 8291, aes128gcm, by pywebpush) and signed (VAPID, RFC 8292, by py_vapid),
to the push service endpoint of every subscription that wants it.

Endpoints are URLs chosen by clients, so they are reached through federation's guarded HTTP client
with a policy of its own: any host name, but only public addresses (no loopback, private or
link-local ranges), no redirects, bounded answers. Operators and tests may name extra hosts to dial
(`trusted` in `PushPolicy`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPusher

from activitypub.html import html_to_text
from federation.http import HttpClient, HttpError
from federation.policy import Peer
from storage import accounts as account_store
from storage import follows, web_push
from storage import statuses as status_store
from storage.db import Row

from ..context import Context
from ..mastodon.accounts import account as account_entity
from ..mastodon.common import RenderContext

log = logging.getLogger("atrium.push")

TTL_SECONDS = 48 * 3600
MAX_BODY_CHARS = 140


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def make_keys() -> tuple[str, str]:
    """A new VAPID key pair: (private key PEM, public key as Mastodon shows it: base64url point)."""
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    point = private.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return pem, b64url(point)


async def vapid_public_key(ctx: Context) -> str:
    """The instance's VAPID public key (created on first use, shared by every process)."""
    cached = ctx.extras.get("vapid_public_key")
    if cached is None:
        cached = ctx.extras["vapid_public_key"] = str((await web_push.state(ctx.db, make_keys))["vapid_public_key"])
    return str(cached)


def check_keys(p256dh: str, auth: str) -> bool:
    """Whether a subscription's keys are a P-256 public point and a 16-byte secret, base64url."""
    try:
        point = _unb64url(p256dh)
        secret = _unb64url(auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except (ValueError, binascii.Error):
        return False
    return len(secret) == 16


def check_endpoint(endpoint: str) -> bool:
    parts = urlsplit(endpoint)
    return parts.scheme == "https" and bool(parts.hostname) and not parts.username and not parts.password


class PushPolicy:
    """Federation's HTTP client asks this which hosts it may reach: every host, at public addresses,
    except the `trusted` ones (host[:port] → Peer), which are dialled as configured."""

    def __init__(self, trusted: Mapping[str, Peer] | None = None) -> None:
        self._trusted = dict(trusted or {})

    def allow(self, domain: str) -> bool:
        return True

    def peer(self, domain: str) -> Peer | None:
        return self._trusted.get(domain)


# --- what a notification says ---------------------------------------------------------------------

_TITLES = {
    "mention": "{name} mentioned you", "status": "{name} just posted", "reblog": "{name} boosted your post",
    "follow": "{name} is now following you", "follow_request": "{name} has requested to follow you",
    "favourite": "{name} favourited your post", "poll": "A poll has ended", "update": "{name} edited a post",
    "admin.sign_up": "{name} signed up", "admin.report": "{name} filed a report",
}


async def payload(ctx: Context, item: Mapping[str, Any]) -> dict[str, Any]:
    """Mastodon's push payload (without `access_token`: Atrium keeps only token hashes)."""
    sender = await account_store.get(ctx.db, int(item["from_account_id"]))
    name = (sender["display_name"] or sender["username"]) if sender is not None else "Someone"
    body = ""
    if item["status_id"] is not None:
        status = await status_store.get(ctx.db, int(item["status_id"]))
        if status is not None:
            body = status["spoiler_text"] or html_to_text(status["content"] or "")
    if len(body) > MAX_BODY_CHARS:
        body = body[: MAX_BODY_CHARS - 1] + "…"
    return {
        "notification_id": str(item["notification_id"]),
        "notification_type": item["type"],
        "preferred_locale": "en",
        "icon": account_entity(sender, RenderContext(urls=ctx.urls, domain=ctx.domain))["avatar"] if sender else "",
        "title": _TITLES.get(str(item["type"]), "{name}").format(name=name),
        "body": body,
    }


async def wanted(ctx: Context, item: Mapping[str, Any]) -> bool:
    """The subscription's alerts and policy (all, followed, follower, none) allow this notification."""
    alerts = json.loads(item["alerts"])
    if not alerts.get(str(item["type"]), False):
        return False
    policy = item["policy"]
    if policy == "all":
        return True
    if policy == "none":
        return False
    flags = (await follows.relationships(ctx.db, int(item["account_id"]), [int(item["from_account_id"])]))[
        int(item["from_account_id"])]
    return bool(flags["following"] if policy == "followed" else flags["followed_by"])


class Pusher:
    """Sends new notifications to their subscriptions, every `interval` seconds."""

    def __init__(self, ctx: Context, *, client: HttpClient | None = None, interval: float = 2.0, batch: int = 100,
                 concurrency: int = 8, lag_ms: int = web_push.LAG_MS) -> None:
        self.ctx = ctx
        self.lag_ms = lag_ms
        self.interval = interval
        self.batch = batch
        self._client = client
        self._own_client = client is None
        self._limit = asyncio.Semaphore(concurrency)
        self._vapid: Vapid02 | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    @property
    def client(self) -> HttpClient:
        if self._client is None:
            self._client = HttpClient(PushPolicy(), user_agent="Atrium (Web Push)", read_timeout=10.0, deadline=20.0)
        return self._client

    async def _signer(self) -> Vapid02:
        if self._vapid is None:
            state = await web_push.state(self.ctx.db, make_keys)
            vapid = Vapid02.from_pem(str(state["vapid_private_pem"]).encode())
            # `sub` is the instance's URL (py_vapid's strict check wants https or mailto; tests run on http).
            vapid.conf["no-strict"] = True
            self._vapid = vapid
        return self._vapid

    async def send(self, item: Mapping[str, Any]) -> int | None:
        """Encrypt, sign and POST one push; the push service's status, or None when it was not sent."""
        if not await wanted(self.ctx, item):
            return None
        data = json.dumps(await payload(self.ctx, item), ensure_ascii=False).encode()
        subscription = {"endpoint": item["endpoint"], "keys": {"p256dh": item["key_p256dh"], "auth": item["key_auth"]}}
        encoded = WebPusher(subscription).encode(data, "aes128gcm")
        endpoint = urlsplit(str(item["endpoint"]))
        vapid = await self._signer()
        headers = dict(vapid.sign({"aud": f"{endpoint.scheme}://{endpoint.netloc}", "sub": self.ctx.settings.base_url}))
        headers.update({"TTL": str(TTL_SECONDS), "Content-Encoding": "aes128gcm", "Urgency": "normal"})
        try:
            async with self._limit:
                response = await self.client.post(str(item["endpoint"]), bytes(encoded["body"]),
                                                  content_type="application/octet-stream", headers=headers)
        except HttpError as exc:
            log.info("push to %s failed: %s", endpoint.netloc[:200], exc)
            return None
        if response.status in (404, 410):
            await web_push.delete_gone(self.ctx.db, int(item["subscription_id"]), str(item["endpoint"]))
        elif response.status >= 400:
            log.info("push to %s refused: %s", endpoint.netloc[:200], response.status)
        return response.status

    async def run_once(self) -> int:
        """Push every notification that is ready; returns how many pushes were accepted (2xx)."""
        await self._signer()   # creates the keys and the cursor on first use
        accepted = 0
        while True:
            items = await web_push.take_batch(self.ctx.db, limit=self.batch, lag_ms=self.lag_ms)
            results = await asyncio.gather(*(self.send(item) for item in items), return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    log.error("a push failed", exc_info=result)
                elif result is not None and 200 <= result < 300:
                    accepted += 1
            if len(items) < self.batch:
                return accepted

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("web push: a round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval)

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self.run(), name="web-push")

    async def stop(self) -> None:
        if self._task is not None:
            self._stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout=30)
            self._task = None
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None


def subscription_entity(row: Row, server_key: str) -> dict[str, Any]:
    """Mastodon's WebPushSubscription."""
    alerts = json.loads(row["alerts"])
    return {
        "id": str(row["id"]), "endpoint": row["endpoint"], "standard": bool(row["standard"]),
        "alerts": {name: bool(alerts.get(name, False)) for name in web_push.ALERTS},
        "server_key": server_key, "policy": row["policy"],
    }
