"""federation.fetch: concurrent lookups of one unknown actor or key fetch it once (single flight)."""

from __future__ import annotations

import asyncio

import pytest

from federation.fetch import Fetcher, FetchError
from federation.instance import Instance
from storage.db import SQLiteDatabase
from tests.federation.rig import FakeHttp, remote_actor

CAROL = remote_actor("lyon.example", "carol", key=3)


def _fetcher(db: SQLiteDatabase, paris: Instance) -> tuple[Fetcher, FakeHttp]:
    http = FakeHttp(paris.policy)
    return Fetcher(db, paris, http), http  # type: ignore[arg-type]


async def test_concurrent_lookups_of_a_new_key_fetch_and_store_its_actor_once(db: SQLiteDatabase, paris: Instance) -> None:
    # Given carol, unknown here, whose first ten activities arrive together
    fetcher, http = _fetcher(db, paris)
    http.serve(CAROL.uri, CAROL.document())
    # When each is verified
    keys = await asyncio.gather(*(fetcher.key_lookup(CAROL.key_id, False) for _ in range(10)))
    actors = await asyncio.gather(*(fetcher.refresh_actor(CAROL.uri) for _ in range(5)))
    # Then every one got her key, from one fetch (and one more for the five refreshes together)
    assert keys == [CAROL.public_key_pem] * 10
    assert http.requests == [("GET", CAROL.uri)] * 2
    assert len({int(a["id"]) for a in actors}) == 1
    assert await fetcher.key_owner(CAROL.key_id) == CAROL.uri


async def test_a_failed_fetch_is_shared_then_forgotten(db: SQLiteDatabase, paris: Instance) -> None:
    fetcher, http = _fetcher(db, paris)
    outcomes = await asyncio.gather(*(fetcher.refresh_actor(CAROL.uri) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(o, FetchError) for o in outcomes) and len(http.requests) == 1
    # the next lookup, once carol's server answers, tries again
    http.serve(CAROL.uri, CAROL.document())
    assert (await fetcher.refresh_actor(CAROL.uri))["uri"] == CAROL.uri


async def test_a_cancelled_caller_does_not_cancel_the_fetch_for_the_others(db: SQLiteDatabase, paris: Instance) -> None:
    fetcher, http = _fetcher(db, paris)
    http.serve(CAROL.uri, CAROL.document())
    first = asyncio.create_task(fetcher.refresh_actor(CAROL.uri))
    second = asyncio.create_task(fetcher.refresh_actor(CAROL.uri))
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert (await second)["uri"] == CAROL.uri
    assert len(http.requests) == 1
