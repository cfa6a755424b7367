"""A post's followers get it before the API answers, up to a threshold; bigger audiences finish in
the background (server.services.statuses.fan_out_now, storage.fanout)."""

from __future__ import annotations

import pytest

from federation.fanout_worker import fanout_worker
from server.services import follows as follow_service
from server.services import statuses as status_service
from server.services.accounts import create_account
from server.services.statuses import PostInput
from storage import accounts, fanout


async def _employee(ctx, name: str):
    created = await create_account(ctx, name, password="a long password")
    return await accounts.get(ctx.db, created.account_id)


async def _fed(ctx, status_id: int) -> set[int]:
    rows = await ctx.db.fetchall("SELECT account_id FROM home_feed WHERE status_id = ?", (status_id,))
    return {int(r["account_id"]) for r in rows}


async def _status_events(ctx, status_id: int) -> int:
    rows = await ctx.db.fetchall("SELECT payload FROM stream_events WHERE stream = 'status' AND event = 'update'")
    return sum(1 for r in rows if f'"status_id": {status_id}' in r["payload"])


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fanout, "BATCH", 2)
    monkeypatch.setattr(status_service, "INLINE_FANOUT_ROWS", 4)


async def test_under_the_threshold_every_follower_has_the_post_when_the_service_returns(ctx, small_batches) -> None:
    alice = await _employee(ctx, "alice")
    followers = [await _employee(ctx, f"reader{n}") for n in range(3)]
    for follower in followers:
        await follow_service.follow(ctx, follower, alice)
    status_id = await status_service.create_status(ctx, alice, PostInput(text="all hands at 3"))
    assert await _fed(ctx, status_id) == {int(alice["id"]), *(int(f["id"]) for f in followers)}
    assert await fanout.pending(ctx.db) == 0
    assert await _status_events(ctx, status_id) == 1   # written once, after the followers' rows


async def test_over_the_threshold_the_rest_is_left_to_the_workers(ctx, small_batches) -> None:
    alice = await _employee(ctx, "alice")
    followers = [await _employee(ctx, f"reader{n}") for n in range(9)]
    for follower in followers:
        await follow_service.follow(ctx, follower, alice)
    status_id = await status_service.create_status(ctx, alice, PostInput(text="company update"))

    # The request fed the first INLINE_FANOUT_ROWS followers and released the job to the workers
    assert len(await _fed(ctx, status_id) - {int(alice["id"])}) == 4
    assert await fanout.pending(ctx.db) == 1
    assert await _status_events(ctx, status_id) == 0
    assert await fanout_worker(ctx.db).drain() == 1   # claimable at once, not after a lock expiry

    assert await _fed(ctx, status_id) == {int(alice["id"]), *(int(f["id"]) for f in followers)}
    assert await fanout.pending(ctx.db) == 0
    assert await _status_events(ctx, status_id) == 1
