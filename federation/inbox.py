"""The inbox: verify, check origin, deduplicate, store durably; nothing else happens here.

`receive` is framework-free: the route passes the request's method, raw path and query, headers
and body bytes (read with `read_limited`), and maps an `InboxError` to its `status`. On success
the activity is in `inbox_items` (or was already) and the route answers 202; the workers apply
it later from that row (federation.process), so a crash loses nothing.

Checks, in order (SECURITY-CASES 1, 2, 7, 9-12, 15, 16):
size (413) → signature and key host (401/403, federation.httpsig + Fetcher.key_lookup) → JSON
(400) → the signer owns `actor` (401) → ids are on the actor's host and not on ours; for
Create/Update/Delete the object's id too (403) → dedup by activity id → store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from activitypub.values import first_id, get_types, is_iri
from federation.fetch import Fetcher
from federation.httpsig import SignatureError, verify_request
from federation.httpsig_common import HeaderInput
from federation.instance import Instance
from federation.policy import domain_of
from storage import inbox as inbox_store
from storage.db import Database, Executor

# Activities whose object must come from the actor's own host (an object from elsewhere is forged).
_SAME_ORIGIN_OBJECT = frozenset({"Create", "Update", "Delete"})


class InboxError(Exception):
    """A refused inbox request, with the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Receipt:
    """An accepted activity: stored now (`item_id`) or already stored before (`duplicate`)."""

    activity_id: str
    activity_type: str
    actor: str
    item_id: int | None
    duplicate: bool


class InboxWriter:
    """Stores incoming activities with group commits: requests arriving together share one commit.

    Each caller still waits for its own row to be durable before it answers 202; while one batch
    commits, the next one gathers. No timer is involved, so a lone request is never delayed.
    """

    def __init__(self, db: Database, *, max_batch: int = 500) -> None:
        self.db = db
        self.max_batch = max_batch
        self._pending: list[tuple[inbox_store.NewItem, asyncio.Future[int | None]]] = []
        self._flushing = False
        self._task: asyncio.Task[None] | None = None

    async def insert(self, item: inbox_store.NewItem) -> int | None:
        """Store `item`; its row id, or None when its activity id was already stored."""
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if not self._flushing:
            self._flushing = True
            self._task = asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
                try:
                    ids = await inbox_store.insert_many(self.db, [item for item, _ in batch])
                except Exception as error:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (_, future), item_id in zip(batch, ids, strict=True):
                    if not future.done():
                        future.set_result(item_id)
        finally:
            self._flushing = False


async def read_limited(chunks: AsyncIterable[bytes], limit: int, content_length: str | None = None) -> bytes:
    """Read a request body of at most `limit` bytes, or raise InboxError(413) without buffering more.

    Works for chunked bodies without Content-Length too (SECURITY-CASES 15).
    """
    if content_length is not None:
        declared = content_length.strip()
        if declared.isdigit() and int(declared) > limit:
            raise InboxError(413, f"body larger than {limit} bytes")
    buffer = bytearray()
    async for chunk in chunks:
        if len(buffer) + len(chunk) > limit:
            raise InboxError(413, f"body larger than {limit} bytes")
        buffer += chunk
    return bytes(buffer)


async def receive(
    db: Executor,
    instance: Instance,
    method: str,
    path: str | bytes,
    query: str | bytes,
    headers: HeaderInput,
    body: bytes,
    recipient_account_id: int | None,
    *,
    fetcher: Fetcher,
    now: datetime | None = None,
    on_stored: Callable[[], None] | None = None,
    writer: InboxWriter | None = None,
) -> Receipt:
    """Accept one inbox POST (shared inbox: `recipient_account_id` None) or raise InboxError."""
    if len(body) > instance.max_body_bytes:
        raise InboxError(413, f"body larger than {instance.max_body_bytes} bytes")
    try:
        verified = await verify_request(
            method, path, query, headers, body, fetcher.key_lookup, now, scheme=instance.scheme
        )
    except SignatureError as error:
        raise InboxError(error.status, error.message) from None

    document = _load(body)
    activity_id, activity_type, actor = _identity(document)
    owner = await fetcher.key_owner(verified.key_id)
    if owner is None or owner != actor:
        # SECURITY-CASES 2: only the key's owner may act as `actor`.
        raise InboxError(401, "the activity's actor is not the owner of the signing key")
    _check_origin(instance, document, activity_id, activity_type, actor)

    item = inbox_store.NewItem(activity_id, activity_type, actor, verified.key_id, body.decode("utf-8"), recipient_account_id)
    if writer is not None:
        item_id = await writer.insert(item)
    else:
        item_id = await inbox_store.insert(
            db, activity_id=item.activity_id, activity_type=item.activity_type, actor_uri=item.actor_uri,
            key_id=item.key_id, body=item.body, recipient_account_id=item.recipient_account_id,
        )
    if item_id is not None and on_stored is not None:
        on_stored()
    return Receipt(activity_id, activity_type, actor, item_id, duplicate=item_id is None)


def _load(body: bytes) -> dict[str, Any]:
    try:
        document = orjson.loads(body)  # refuses nesting deeper than 1024 (SECURITY-CASES 16)
    except orjson.JSONDecodeError as error:
        raise InboxError(400, f"not JSON: {error}") from None
    if not isinstance(document, dict):
        raise InboxError(400, "not a JSON object")
    return document


def _identity(document: dict[str, Any]) -> tuple[str, str, str]:
    """(id, type, actor) of an activity, read leniently: handling decides later what it means."""
    activity_id = document.get("id")
    if not is_iri(activity_id) or not domain_of(activity_id):
        raise InboxError(400, "the activity has no http(s) id")
    types = get_types(document)
    if not types:
        raise InboxError(400, "the activity has no type")
    actor = first_id(document.get("actor"))
    if actor is None or not domain_of(actor):
        raise InboxError(400, "the activity has no http(s) actor")
    return activity_id, types[0], actor


def _check_origin(
    instance: Instance, document: dict[str, Any], activity_id: str, activity_type: str, actor: str
) -> None:
    actor_domain = domain_of(actor)
    if actor_domain == instance.domain or domain_of(activity_id) == instance.domain:
        raise InboxError(403, "a remote activity cannot claim an id on this instance")  # SECURITY-CASES 7
    if domain_of(activity_id) != actor_domain:
        raise InboxError(403, "the activity's id is not on its actor's host")
    if activity_type in _SAME_ORIGIN_OBJECT:
        object_id = first_id(document.get("object"))
        if object_id is None:
            raise InboxError(400, f"{activity_type} without an object")
        if domain_of(object_id) != actor_domain:
            raise InboxError(403, f"{activity_type} of an object from another host")  # SECURITY-CASES 1
