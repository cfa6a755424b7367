"""Fetching remote actors, keys and objects, signed as the instance actor.

Every answer is checked before use: an ActivityStreams Content-Type (SECURITY-CASES 5), an `id`
equal to the URL asked for (SECURITY-CASES 4; a same-host `id` that differs is fetched once more
by that id, as Mastodon does), a size cap and a total deadline (federation.http). Nothing on our
own host is ever fetched (SECURITY-CASES 7), and a host the policy refuses is never contacted.

`key_lookup` is the key source for federation.httpsig.verify_request: keys are cached in the
accounts table and in memory; a refetch after a failed verification (a peer rotating its key)
happens at most once per host per interval (SECURITY-CASES 13).
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urldefrag

import orjson

from activitypub.constants import ACTIVITY_JSON, LD_JSON_PROFILE
from activitypub.parse_actor import ParsedActor
from activitypub.parse_discovery import is_activitypub_media_type
from activitypub.values import DocumentError, first_id
from federation import convert
from federation.http import HttpClient, HttpError, Signer
from federation.httpsig import SignatureError
from federation.instance import Instance
from federation.policy import domain_of
from storage import accounts, hosts
from storage.db import Executor, IntegrityError, Row
from storage.ids import now_ms

ACCEPT = f'{ACTIVITY_JSON}, {LD_JSON_PROFILE}'
# How old a cached remote actor may be before a lookup refreshes it from its origin.
ACTOR_MAX_AGE_MS = 24 * 3600 * 1000

T = TypeVar("T")


class FetchError(Exception):
    """A remote document could not be fetched or was not acceptable.

    `retryable` is True when trying later may help (no answer, 5xx, 429); `gone` when the origin
    said 404 or 410.
    """

    def __init__(self, message: str, *, retryable: bool = False, gone: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.gone = gone


class Fetcher:
    """Remote lookups for one instance, sharing its HTTP client and database."""

    def __init__(
        self,
        db: Executor,
        instance: Instance,
        http: HttpClient,
        *,
        key_refetch_interval: float = 60.0,
        key_cache_ttl: float = 300.0,
        key_cache_size: int = 10_000,
        max_bytes: int = 1024 * 1024,
    ) -> None:
        self.db = db
        self.instance = instance
        self.http = http
        self.key_refetch_interval_ms = int(key_refetch_interval * 1000)
        self.key_cache_ttl = key_cache_ttl
        self.key_cache_size = key_cache_size
        self.max_bytes = max_bytes
        # key id -> (public key PEM, owner actor id, monotonic expiry)
        self._keys: OrderedDict[str, tuple[str, str, float]] = OrderedDict()
        self._recent_key_fetch: dict[str, float] = {}
        self._inflight: dict[tuple[str, str], asyncio.Future[Any]] = {}
        self.fetches = 0  # documents requested (tests count them)

    async def _once(self, key: tuple[str, str], make: Callable[[], Awaitable[T]]) -> T:
        """Run `make()` once for concurrent callers with the same `key`; the others share its outcome.

        A new peer's first activities often arrive together: each would fetch (and sign for, and
        store) the same actor. A caller that is cancelled does not cancel the fetch for the others.
        """
        running = self._inflight.get(key)
        if running is None:
            running = asyncio.ensure_future(make())
            self._inflight[key] = running
            running.add_done_callback(lambda done: self._settled(key, done))
        result: T = await asyncio.shield(running)
        return result

    def _settled(self, key: tuple[str, str], done: asyncio.Future[Any]) -> None:
        if self._inflight.get(key) is done:
            del self._inflight[key]
        if not done.cancelled():
            done.exception()  # retrieved: a failure nobody awaited any more is not logged as lost

    # --- documents ------------------------------------------------------------------------------

    def _signer(self) -> Signer | None:
        actor = self.instance.actor
        return None if actor is None else Signer(actor.key_id, actor.private_key_pem)

    async def fetch_document(self, url: str) -> dict[str, Any]:
        """The ActivityStreams document at `url`, whose `id` is `url`; FetchError otherwise."""
        document = await self._get_json(url)
        found = document.get("id")
        if found == url:
            return document
        # Mastodon answers a profile URL with the actor, whose id differs: fetch that id, once,
        # and only on the same host (SECURITY-CASES 4).
        if isinstance(found, str) and domain_of(found) == domain_of(url):
            document = await self._get_json(found)
            if document.get("id") == found:
                return document
        raise FetchError(f"the document at {url[:200]} has another id: {str(found)[:200]}")

    async def _get_json(self, url: str) -> dict[str, Any]:
        domain = domain_of(url)
        if not domain or domain == self.instance.domain:
            raise FetchError(f"not fetching {url[:200]}: not a remote http(s) URL")
        self.fetches += 1
        try:
            response = await self.http.get(url, accept=ACCEPT, signer=self._signer(), max_bytes=self.max_bytes)
        except HttpError as error:
            raise FetchError(str(error), retryable=error.retryable) from None
        if response.status != 200:
            raise FetchError(
                f"{url[:200]} answered {response.status}",
                retryable=response.status >= 500 or response.status == 429,
                gone=response.status in (404, 410),
            )
        if not is_activitypub_media_type(response.content_type):
            raise FetchError(f"{url[:200]} is {response.content_type[:100]!r}, not an ActivityStreams document")
        try:
            document = orjson.loads(response.body)
        except orjson.JSONDecodeError as error:  # also JSON nested too deep (SECURITY-CASES 16)
            raise FetchError(f"{url[:200]} is not JSON: {error}") from None
        if not isinstance(document, dict):
            raise FetchError(f"{url[:200]} is not a JSON object")
        return document

    # --- actors -------------------------------------------------------------------------------

    async def get_actor(self, uri: str, *, refresh: bool = False) -> Row:
        """The account row of actor `uri`: ours, cached, or fetched from its origin and stored."""
        if self.instance.is_local(uri):
            row = await accounts.get_by_uri(self.db, uri)
            if row is None:
                raise FetchError(f"no local actor {uri[:200]}")
            return row
        if not refresh:
            row = await accounts.get_by_uri(self.db, uri)
            if row is not None and (now_ms() - int(row["fetched_at"] or 0)) < ACTOR_MAX_AGE_MS:
                return row
            if row is not None:
                try:
                    return await self.refresh_actor(uri)
                except FetchError:
                    return row  # stale beats nothing when the origin is briefly away
        return await self.refresh_actor(uri)

    async def refresh_actor(self, uri: str) -> Row:
        """Fetch actor `uri` from its origin and store what it says (keys included)."""
        return await self._once(("actor", uri), lambda: self._refresh_actor(uri))

    async def _refresh_actor(self, uri: str) -> Row:
        document = await self.fetch_document(uri)
        try:
            actor = ParsedActor.from_document(document)
        except DocumentError as error:
            raise FetchError(f"{uri[:200]} is not a usable actor: {error}") from None
        return await self.store_actor(actor)

    async def store_actor(self, actor: ParsedActor, *, trust_keys: bool = True) -> Row:
        """Insert or refresh the account of a parsed actor (its keys only when `trust_keys`)."""
        row = await accounts.get(self.db, await self._store_actor(actor, trust_keys=trust_keys))
        assert row is not None
        return row

    async def _store_actor(self, actor: ParsedActor, *, trust_keys: bool = True) -> int:
        """store_actor without reading the row back: its account id (a key fetch needs no row)."""
        values = convert.actor_values(actor)
        if not trust_keys:
            for name in convert.KEY_FIELDS:
                values.pop(name, None)
        domain = domain_of(actor.id)
        try:
            account_id = await accounts.upsert_remote(self.db, actor.id, domain, values)
        except IntegrityError:
            if await accounts.get_by_uri(self.db, actor.id) is None:
                # Another actor of that host already has this username (a Group and a Person, a
                # renamed account): keep both, telling them apart by a suffix.
                values["username"] = f"{values['username']}_{zlib.crc32(actor.id.encode()) % 10_000}"
            # else a concurrent fetch stored it first: this upsert becomes an update.
            account_id = await accounts.upsert_remote(self.db, actor.id, domain, values)
        if actor.public_key_id and actor.public_key_pem and trust_keys:
            self._remember_key(actor.public_key_id, actor.public_key_pem, actor.id)
        return account_id

    # --- keys (for verify_request) ------------------------------------------------------------

    async def key_lookup(self, key_id: str, refresh: bool) -> str | None:
        """The public key PEM of `key_id`, for federation.httpsig.verify_request.

        Raises SignatureError(403) for a key on a host we do not federate with, before any fetch
        (SECURITY-CASES 12), and SignatureError(401) for a key claiming to be ours.
        """
        key_id = key_id.strip()
        domain = domain_of(key_id)
        if not domain:
            raise SignatureError(401, "keyId is not an http(s) URL")
        if domain == self.instance.domain:
            raise SignatureError(401, "keyId names a key of this instance")
        if not self.instance.policy.allow(domain):
            raise SignatureError(403, f"{domain} is not a host this instance federates with")
        if not refresh:
            cached = self._cached_key(key_id)
            if cached is not None:
                return cached
            row = await accounts.get_by_key_id(self.db, key_id)
            if row is not None and row["public_key_pem"]:
                self._remember_key(key_id, row["public_key_pem"], row["uri"])
                return str(row["public_key_pem"])
            return await self._fetch_key(key_id)
        # The cached key did not verify. Refetch once, unless we just did (a first-time fetch
        # already got the current key) or this host used up its refetch allowance.
        recent = self._recent_key_fetch.get(key_id)
        if recent is not None and time.monotonic() - recent < 10.0:
            return self._cached_key(key_id)
        if not await hosts.claim_key_refetch(self.db, domain, now=now_ms(), interval_ms=self.key_refetch_interval_ms):
            return None
        self._keys.pop(key_id, None)
        return await self._fetch_key(key_id)

    async def key_owner(self, key_id: str) -> str | None:
        """The actor id owning `key_id`, as recorded when the key was last looked up."""
        entry = self._keys.get(key_id)
        if entry is not None:
            return entry[1]
        row = await accounts.get_by_key_id(self.db, key_id)
        return None if row is None else str(row["uri"])

    async def _fetch_key(self, key_id: str) -> str | None:
        return await self._once(("key", key_id), lambda: self._fetch_key_now(key_id))

    async def _fetch_key_now(self, key_id: str) -> str | None:
        self._recent_key_fetch[key_id] = time.monotonic()
        if len(self._recent_key_fetch) > self.key_cache_size:
            self._recent_key_fetch.clear()
        owner = urldefrag(key_id)[0]
        try:
            document = await self.fetch_document(owner)
            if document.get("publicKeyPem") is not None and "inbox" not in document:
                # A bare key document (GoToSocial serves one at the key id): follow its owner.
                owner = first_id(document.get("owner")) or ""
                if domain_of(owner) != domain_of(key_id):
                    return None
                document = await self.fetch_document(owner)
            actor = ParsedActor.from_document(document)
        except (FetchError, DocumentError):
            return None
        if actor.public_key_id != key_id or actor.public_key_pem is None:
            return None
        await self._store_actor(actor)
        return actor.public_key_pem

    def _cached_key(self, key_id: str) -> str | None:
        entry = self._keys.get(key_id)
        if entry is None:
            return None
        if entry[2] < time.monotonic():
            del self._keys[key_id]
            return None
        self._keys.move_to_end(key_id)
        return entry[0]

    def _remember_key(self, key_id: str, pem: str, owner: str) -> None:
        self._keys[key_id] = (pem, owner, time.monotonic() + self.key_cache_ttl)
        self._keys.move_to_end(key_id)
        while len(self._keys) > self.key_cache_size:
            self._keys.popitem(last=False)

    def forget_key(self, key_id: str) -> None:
        self._keys.pop(key_id, None)
