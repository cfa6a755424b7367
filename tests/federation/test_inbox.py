"""federation.inbox.receive: verify, check origin, deduplicate, store (SECURITY-CASES 1, 2, 7, 9-12, 15, 16, 29)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from federation.fetch import Fetcher
from federation.httpsig import sign_request
from federation.inbox import InboxError, InboxWriter, Receipt, read_limited, receive
from federation.instance import Instance
from storage import inbox as inbox_store
from storage.db import SQLiteDatabase
from tests.federation.rig import FakeHttp, RemoteActor, remote_actor, signed_post, store_remote

BOB = remote_actor("lyon.example", "bob")
SHARED_INBOX = "https://paris.example/inbox"


def _create(actor: RemoteActor = BOB, *, note_id: str | None = None, activity_id: str | None = None) -> dict[str, Any]:
    note = note_id or f"https://{actor.domain}/notes/1"
    return {
        "id": activity_id or f"{note}/activity",
        "type": "Create",
        "actor": actor.uri,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"id": note, "type": "Note", "attributedTo": actor.uri, "content": "<p>Hi</p>"},
    }


class Setup:
    def __init__(self, db: SQLiteDatabase, instance: Instance) -> None:
        self.db = db
        self.instance = instance
        self.http = FakeHttp(instance.policy)
        self.fetcher = Fetcher(db, instance, self.http)  # type: ignore[arg-type]

    async def post(self, activity: dict[str, Any], *, actor: RemoteActor = BOB, now: datetime | None = None,
                   tamper: bytes | None = None, headers: dict[str, str] | None = None) -> Receipt:
        path, query, signed, body = signed_post(actor, SHARED_INBOX, activity)
        signed.update(headers or {})
        return await receive(self.db, self.instance, "POST", path, query, signed, tamper or body, None,
                             fetcher=self.fetcher, now=now)

    async def rows(self) -> int:
        return sum((await inbox_store.counts(self.db)).values())


@pytest.fixture
async def setup(db: SQLiteDatabase, paris: Instance) -> Setup:
    await store_remote(db, BOB)
    return Setup(db, paris)


async def test_a_signed_activity_is_stored_once_and_redeliveries_are_duplicates(setup: Setup) -> None:
    receipt = await setup.post(_create())
    again = await setup.post(_create())
    assert receipt.item_id is not None and not receipt.duplicate
    assert again.duplicate and again.item_id is None
    row = await inbox_store.get(setup.db, receipt.item_id)
    assert row is not None and row["state"] == "queued" and row["actor_uri"] == BOB.uri
    assert json.loads(row["body"])["object"]["content"] == "<p>Hi</p>"
    assert row["key_id"] == BOB.key_id


async def test_the_same_activity_three_times_at_once_is_one_row(setup: Setup) -> None:
    receipts = await asyncio.gather(*(setup.post(_create()) for _ in range(3)))
    assert sum(not r.duplicate for r in receipts) == 1
    assert await setup.rows() == 1


async def _refused(setup: Setup, status: int, **kwargs: Any) -> None:
    activity = kwargs.pop("activity", None) or _create()
    with pytest.raises(InboxError) as refused:
        await setup.post(activity, **kwargs)
    assert refused.value.status == status, refused.value.message
    assert await setup.rows() == 0


async def test_a_tampered_body_is_refused(setup: Setup) -> None:
    tampered = json.dumps(_create()).replace("Hi", "Bye").encode()
    await _refused(setup, 401, tamper=tampered)


async def test_a_stale_or_future_signature_is_refused(setup: Setup) -> None:
    await _refused(setup, 401, now=datetime.now(UTC) + timedelta(hours=2))
    await _refused(setup, 401, now=datetime.now(UTC) - timedelta(hours=2))


async def test_a_key_on_a_host_outside_the_allowlist_is_403_and_nothing_is_fetched(setup: Setup) -> None:
    mallory = remote_actor("evil.example", "mallory")
    await _refused(setup, 403, actor=mallory, activity=_create(mallory))
    assert setup.http.requests == []


async def test_an_actor_that_does_not_own_the_signing_key_is_refused(setup: Setup) -> None:
    carol = remote_actor("lyon.example", "carol", key=3)
    await store_remote(setup.db, carol)
    # carol signs an activity claiming to be bob's
    forged = {**_create(), "id": "https://lyon.example/notes/9/activity"}
    await _refused(setup, 401, actor=carol, activity=forged)


async def test_a_create_of_an_object_from_another_host_is_refused(setup: Setup) -> None:
    await _refused(setup, 403, activity=_create(note_id="https://montreal.example/notes/1",
                                                activity_id="https://lyon.example/activities/1"))


async def test_ids_on_our_own_host_or_another_host_are_refused(setup: Setup) -> None:
    await _refused(setup, 403, activity=_create(activity_id="https://paris.example/activities/1"))
    await _refused(setup, 403, activity=_create(activity_id="https://montreal.example/activities/1"))
    like = {"id": "https://lyon.example/likes/1", "type": "Like", "actor": BOB.uri,
            "object": "https://paris.example/users/alice/statuses/1"}
    assert not (await setup.post(like)).duplicate  # a Like's object is ours, as it should be


async def test_malformed_documents_are_400_never_500(setup: Setup) -> None:
    deep = {"id": "https://lyon.example/a/1", "type": "Create", "actor": BOB.uri}
    body = json.dumps(deep)[:-1] + ', "object": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path, query, headers, _ = signed_post(BOB, SHARED_INBOX, deep)
    headers = sign_request("POST", SHARED_INBOX, {"Content-Type": "application/activity+json"}, body.encode(),
                           BOB.key_id, BOB.private_key_pem)
    with pytest.raises(InboxError) as nested:
        await receive(setup.db, setup.instance, "POST", path, query, headers, body.encode(), None, fetcher=setup.fetcher)
    assert nested.value.status == 400
    await _refused(setup, 400, activity=["not", "an", "object"])  # type: ignore[arg-type]
    await _refused(setup, 400, activity={"type": "Create", "actor": BOB.uri})
    await _refused(setup, 400, activity={"id": "https://lyon.example/x", "actor": BOB.uri})


async def test_an_unknown_activity_type_is_stored_to_be_ignored_later(setup: Setup) -> None:
    listen = {"id": "https://lyon.example/listens/1", "type": "Listen", "actor": BOB.uri, "object": "https://x/y"}
    receipt = await setup.post(listen)
    assert receipt.activity_type == "Listen" and receipt.item_id is not None


async def test_an_oversized_body_is_413(setup: Setup, paris: Instance) -> None:
    paris.max_body_bytes = 100
    await _refused(setup, 413)


async def _chunks(n: int, size: int) -> AsyncIterator[bytes]:
    for _ in range(n):
        yield b"x" * size


async def test_read_limited_stops_at_the_limit_even_without_a_length() -> None:
    assert await read_limited(_chunks(3, 10), 30) == b"x" * 30
    with pytest.raises(InboxError) as chunked:
        await read_limited(_chunks(1_000_000, 1024), 1024 * 1024)
    assert chunked.value.status == 413
    with pytest.raises(InboxError):
        await read_limited(_chunks(1, 1), 10, content_length=str(1024 * 1024 + 1))


async def test_after_a_key_rotation_the_new_key_verifies_once_refetched_and_the_old_one_fails(setup: Setup) -> None:
    # Given bob's origin now publishing a rotated key
    rotated = remote_actor("lyon.example", "bob", key=3)
    setup.http.serve(BOB.uri, rotated.document())
    # When bob signs with the new key: one refetch of his actor, then accepted
    assert not (await setup.post(_create(), actor=rotated)).duplicate
    assert setup.http.fetched() == [BOB.uri]
    # Then a request signed with the old key fails, and triggers no second fetch (rate limited)
    second = {**_create(note_id="https://lyon.example/notes/2")}
    with pytest.raises(InboxError) as old:
        await setup.post(second, actor=BOB)
    assert old.value.status == 401 and setup.http.fetched() == [BOB.uri]


async def test_on_stored_is_called_for_new_items_only(setup: Setup) -> None:
    calls: list[int] = []
    path, query, headers, body = signed_post(BOB, SHARED_INBOX, _create())
    for _ in range(2):
        await receive(setup.db, setup.instance, "POST", path, query, headers, body, None,
                      fetcher=setup.fetcher, on_stored=lambda: calls.append(1))
    assert calls == [1]


async def test_concurrent_requests_share_a_commit_and_each_learns_its_own_fate(setup: Setup) -> None:
    writer = InboxWriter(setup.db, max_batch=7)
    activities = [_create(note_id=f"https://lyon.example/notes/{n % 20}") for n in range(40)]

    async def post(activity: dict[str, Any]) -> Receipt:
        path, query, headers, body = signed_post(BOB, SHARED_INBOX, activity)
        return await receive(setup.db, setup.instance, "POST", path, query, headers, body, None,
                             fetcher=setup.fetcher, writer=writer)

    receipts = await asyncio.gather(*(post(a) for a in activities))
    assert sum(not r.duplicate for r in receipts) == 20
    assert await setup.rows() == 20
