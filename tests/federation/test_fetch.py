"""federation.fetch: checked documents, cached actors and keys (SECURITY-CASES 4, 5, 7, 12, 13, 14, 21)."""

from __future__ import annotations

import pytest

from federation.fetch import Fetcher, FetchError
from federation.httpsig import SignatureError
from federation.instance import Instance
from storage import accounts
from storage.db import SQLiteDatabase
from tests.federation.rig import FakeHttp, keypair, remote_actor, store_remote

BOB = remote_actor("lyon.example", "bob")


def _fetcher(db: SQLiteDatabase, paris: Instance) -> tuple[Fetcher, FakeHttp]:
    http = FakeHttp(paris.policy)
    return Fetcher(db, paris, http, key_refetch_interval=60), http  # type: ignore[arg-type]


async def test_a_document_is_accepted_only_with_its_own_id_and_an_activitystreams_type(
    db: SQLiteDatabase, paris: Instance
) -> None:
    fetcher, http = _fetcher(db, paris)
    note = "https://lyon.example/notes/1"
    http.serve(note, {"id": note, "type": "Note"})
    assert (await fetcher.fetch_document(note))["type"] == "Note"
    # SECURITY-CASES 5: an HTML or plain JSON answer is discarded
    http.serve(note, {"id": note, "type": "Note"}, content_type="application/json")
    with pytest.raises(FetchError):
        await fetcher.fetch_document(note)
    http.serve(note, {"id": note}, content_type='application/ld+json; profile="https://www.w3.org/ns/activitystreams"')
    assert await fetcher.fetch_document(note)
    # SECURITY-CASES 4: a document claiming another host's id is discarded
    http.serve(note, {"id": "https://evil.example/notes/1", "type": "Note"})
    with pytest.raises(FetchError):
        await fetcher.fetch_document(note)


async def test_a_same_host_id_that_differs_is_fetched_once_more_by_that_id(db: SQLiteDatabase, paris: Instance) -> None:
    fetcher, http = _fetcher(db, paris)
    http.serve("https://lyon.example/@bob", BOB.document())
    http.serve(BOB.uri, BOB.document())
    assert (await fetcher.fetch_document("https://lyon.example/@bob"))["id"] == BOB.uri
    http.serve("https://lyon.example/@eve", {"id": "https://lyon.example/users/eve"})
    http.serve("https://lyon.example/users/eve", {"id": "https://lyon.example/users/mallory"})
    with pytest.raises(FetchError):
        await fetcher.fetch_document("https://lyon.example/@eve")


async def test_nothing_is_fetched_from_our_host_or_a_host_we_do_not_federate_with(
    db: SQLiteDatabase, paris: Instance
) -> None:
    fetcher, http = _fetcher(db, paris)
    for url in ("https://paris.example/users/alice", "https://evil.example/users/x", "file:///etc/passwd"):
        with pytest.raises(FetchError):
            await fetcher.fetch_document(url)
    assert http.requests == []


async def test_failures_say_whether_to_retry(db: SQLiteDatabase, paris: Instance) -> None:
    fetcher, http = _fetcher(db, paris)
    http.serve("https://lyon.example/gone", {}, status=410)
    http.serve("https://lyon.example/busy", {}, status=503)
    http.documents["https://lyon.example/junk"] = (200, "application/activity+json", b"[" * 5000)
    with pytest.raises(FetchError) as gone:
        await fetcher.fetch_document("https://lyon.example/gone")
    assert gone.value.gone and not gone.value.retryable
    with pytest.raises(FetchError) as busy:
        await fetcher.fetch_document("https://lyon.example/busy")
    assert busy.value.retryable
    with pytest.raises(FetchError):
        await fetcher.fetch_document("https://lyon.example/junk")


async def test_a_fetched_actor_is_stored_sanitized(db: SQLiteDatabase, paris: Instance) -> None:
    fetcher, http = _fetcher(db, paris)
    http.serve(BOB.uri, BOB.document(
        name="Bob\u202e<script>alert(1)</script>", summary='<p onclick="x()">Hi<script>alert(1)</script></p>',
        attachment=[{"type": "PropertyValue", "name": "Site", "value": '<a href="javascript:alert(1)">x</a>'}],
    ))
    row = await fetcher.get_actor(BOB.uri)
    assert row["domain"] == "lyon.example" and row["username"] == "bob"
    # Names are plain text (templates escape them); bidi overrides are gone. HTML is sanitized.
    assert row["display_name"] == "Bob<script>alert(1)</script>"
    assert "onclick" not in row["note"] and "<script" not in row["note"]
    assert "javascript:" not in row["fields"]
    assert row["public_key_pem"] == BOB.public_key_pem
    # A second lookup uses the stored row
    await fetcher.get_actor(BOB.uri)
    assert http.fetched() == [BOB.uri]


async def test_key_lookup_refuses_hosts_we_do_not_federate_with_without_fetching(
    db: SQLiteDatabase, paris: Instance
) -> None:
    fetcher, http = _fetcher(db, paris)
    with pytest.raises(SignatureError) as outsider:
        await fetcher.key_lookup("https://evil.example/users/x#main-key", False)
    assert outsider.value.status == 403
    with pytest.raises(SignatureError) as ours:
        await fetcher.key_lookup("https://paris.example/users/alice#main-key", False)
    assert ours.value.status == 401
    assert http.requests == []


async def test_a_known_key_needs_no_fetch_and_an_unknown_one_fetches_its_actor(db: SQLiteDatabase, paris: Instance) -> None:
    fetcher, http = _fetcher(db, paris)
    await store_remote(db, BOB)
    assert await fetcher.key_lookup(BOB.key_id, False) == BOB.public_key_pem
    assert await fetcher.key_owner(BOB.key_id) == BOB.uri
    assert http.requests == []
    carol = remote_actor("lyon.example", "carol", key=3)
    http.serve(carol.uri, carol.document())
    assert await fetcher.key_lookup(carol.key_id, False) == carol.public_key_pem
    assert await accounts.get_by_key_id(db, carol.key_id) is not None


async def test_a_rotated_key_is_refetched_once_per_host_per_interval(db: SQLiteDatabase, paris: Instance) -> None:
    # Given bob's old key in our cache, and his origin now serving a new one
    fetcher, http = _fetcher(db, paris)
    await store_remote(db, BOB)
    _private, new_public = keypair(3)
    http.serve(BOB.uri, BOB.document(publicKey={"id": BOB.key_id, "owner": BOB.uri, "publicKeyPem": new_public}))
    assert await fetcher.key_lookup(BOB.key_id, False) == BOB.public_key_pem
    # When verification fails and asks for a refresh: one fetch, the new key
    assert await fetcher.key_lookup(BOB.key_id, True) == new_public
    assert await fetcher.key_lookup(BOB.key_id, False) == new_public
    # Then a second refresh from the same host within the interval fetches nothing
    dave = remote_actor("lyon.example", "dave", key=1)
    await store_remote(db, dave)
    assert await fetcher.key_lookup(dave.key_id, True) is None
    assert http.fetched() == [BOB.uri]


async def test_a_key_served_as_its_own_document_leads_to_its_owner(db: SQLiteDatabase, paris: Instance) -> None:
    fetcher, http = _fetcher(db, paris)
    key_id = "https://lyon.example/users/gts/main-key"
    gts = remote_actor("lyon.example", "gts")
    http.serve(key_id, {"id": key_id, "owner": gts.uri, "publicKeyPem": gts.public_key_pem})
    http.serve(gts.uri, gts.document(publicKey={"id": key_id, "owner": gts.uri, "publicKeyPem": gts.public_key_pem}))
    assert await fetcher.key_lookup(key_id, False) == gts.public_key_pem
    # A key whose owner is on another host is refused
    bad = "https://lyon.example/users/x/main-key"
    http.serve(bad, {"id": bad, "owner": "https://evil.example/users/x", "publicKeyPem": gts.public_key_pem})
    assert await fetcher.key_lookup(bad, False) is None


async def test_an_actor_whose_document_lists_another_key_gives_no_key(db: SQLiteDatabase, paris: Instance) -> None:
    fetcher, http = _fetcher(db, paris)
    http.serve(BOB.uri, BOB.document())
    assert await fetcher.key_lookup(f"{BOB.uri}#other-key", False) is None
