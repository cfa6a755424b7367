"""Scheduled posts: POST /api/v1/statuses with `scheduled_at`, /api/v1/scheduled_statuses, and the
publisher that posts them when due, exactly once however many publishers run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from server.services.scheduling import Publisher
from tests.api.conftest import Api, png, post


def _at(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


async def _make_due(api: Api, scheduled_id: str) -> None:
    await api.ctx.db.execute("UPDATE scheduled_statuses SET scheduled_at = 1 WHERE id = ?", (int(scheduled_id),))


async def test_schedule_list_move_cancel(api: Api, alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    when = _at(hours=2)
    response = await alice.post("/api/v1/statuses", data={
        "status": "Release notes are out", "scheduled_at": when, "visibility": "unlisted",
        "spoiler_text": "release", "language": "en"})
    assert response.status_code == 200, response.text
    item = response.json()
    assert item["scheduled_at"] == when and "content" not in item
    assert item["params"]["text"] == "Release notes are out" and item["params"]["visibility"] == "unlisted"
    assert item["params"]["spoiler_text"] == "release" and item["params"]["language"] == "en"
    assert item["media_attachments"] == [] and item["params"]["media_ids"] is None
    # Not published: not in any timeline yet.
    assert (await alice.get("/api/v1/timelines/home")).json() == []

    assert [s["id"] for s in (await alice.get("/api/v1/scheduled_statuses")).json()] == [item["id"]]
    assert (await alice.get(f"/api/v1/scheduled_statuses/{item['id']}")).json() == item
    assert (await carol.get(f"/api/v1/scheduled_statuses/{item['id']}")).status_code == 404
    assert (await carol.get("/api/v1/scheduled_statuses")).json() == []

    # The same request again, with its Idempotency-Key: the same scheduled post, not a second one.
    keyed = {"status": "Once", "scheduled_at": _at(hours=3)}
    first = await alice.post("/api/v1/statuses", data=keyed, headers={"Idempotency-Key": "k-1"})
    again = await alice.post("/api/v1/statuses", data=keyed, headers={"Idempotency-Key": "k-1"})
    assert first.json()["id"] == again.json()["id"] and first.json()["params"]["idempotency"] == "k-1"
    assert (await alice.delete(f"/api/v1/scheduled_statuses/{first.json()['id']}")).status_code == 200

    moved_to = _at(days=1)
    moved = await alice.put(f"/api/v1/scheduled_statuses/{item['id']}", data={"scheduled_at": moved_to})
    assert moved.status_code == 200 and moved.json()["scheduled_at"] == moved_to
    too_soon = await alice.put(f"/api/v1/scheduled_statuses/{item['id']}", data={"scheduled_at": _at(minutes=1)})
    assert too_soon.status_code == 422
    assert (await carol.delete(f"/api/v1/scheduled_statuses/{item['id']}")).status_code == 404
    assert (await alice.delete(f"/api/v1/scheduled_statuses/{item['id']}")).json() == {}
    assert (await alice.get("/api/v1/scheduled_statuses")).json() == []


async def test_validation_and_the_past(api: Api, alice: httpx.AsyncClient) -> None:
    for data in ({"status": "hi", "scheduled_at": _at(minutes=2)},          # under five minutes ahead
                 {"status": "hi", "scheduled_at": "tomorrow"},
                 {"status": "", "scheduled_at": _at(hours=1)},               # what publishing would refuse
                 {"status": "x" * 6000, "scheduled_at": _at(hours=1)},
                 {"status": "hi", "scheduled_at": _at(hours=1), "media_ids[]": ["999"]},
                 {"status": "hi", "scheduled_at": _at(hours=1), "in_reply_to_id": "999"}):
        response = await alice.post("/api/v1/statuses", data=data)
        assert response.status_code in (404, 422), (data, response.text)
    assert (await alice.get("/api/v1/scheduled_statuses")).json() == []
    # A time in the past publishes at once, as Mastodon does.
    now = await alice.post("/api/v1/statuses", data={"status": "right away", "scheduled_at": _at(minutes=-10)})
    assert now.status_code == 200 and "right away" in now.json()["content"]


async def test_due_posts_are_published_once_with_poll_and_media(api: Api, alice: httpx.AsyncClient) -> None:
    upload = await alice.post("/api/v2/media", files={"file": ("a.png", png(), "image/png")},
                              data={"description": "A chart"})
    media_id = upload.json()["id"]
    first = (await alice.post("/api/v1/statuses", json={
        "status": "With a chart", "scheduled_at": _at(hours=1), "media_ids": [media_id]})).json()
    assert [m["id"] for m in first["media_attachments"]] == [media_id] and first["params"]["media_ids"] == [media_id]
    second = (await alice.post("/api/v1/statuses", json={
        "status": "Lunch?", "scheduled_at": _at(hours=2),
        "poll": {"options": ["Yes", "No"], "expires_in": 3600}})).json()
    assert second["params"]["poll"]["options"] == ["Yes", "No"]
    await _make_due(api, first["id"])
    await _make_due(api, second["id"])

    # Two publishers at once (two processes): each post appears once.
    one, two = Publisher(api.ctx), Publisher(api.ctx)
    counts = await asyncio.gather(one.run_once(), two.run_once())
    assert sum(counts) == 2
    assert await one.run_once() == 0
    home = (await alice.get("/api/v1/timelines/home")).json()
    assert sorted(s["content"] for s in home) == ["<p>Lunch?</p>", "<p>With a chart</p>"]
    chart = next(s for s in home if "chart" in s["content"])
    assert [m["id"] for m in chart["media_attachments"]] == [media_id]
    lunch = next(s for s in home if "Lunch" in s["content"])
    assert [o["title"] for o in lunch["poll"]["options"]] == ["Yes", "No"]
    assert (await alice.get("/api/v1/scheduled_statuses")).json() == []


async def test_a_post_that_cannot_be_published_is_kept_with_its_reason(
    api: Api, alice: httpx.AsyncClient, carol: httpx.AsyncClient
) -> None:
    parent = await post(carol, "Question")
    reply = (await alice.post("/api/v1/statuses", data={
        "status": "Answer", "in_reply_to_id": parent["id"], "scheduled_at": _at(hours=1)})).json()
    assert reply["params"]["in_reply_to_id"] == parent["id"]
    await carol.delete(f"/api/v1/statuses/{parent['id']}")
    await _make_due(api, reply["id"])
    assert await Publisher(api.ctx).run_once() == 0
    kept = (await alice.get(f"/api/v1/scheduled_statuses/{reply['id']}")).json()
    assert kept["atrium"]["error"] == "The post you are replying to does not exist"
    assert await Publisher(api.ctx).run_once() == 0        # parked: not tried again by itself
    assert (await alice.delete(f"/api/v1/scheduled_statuses/{reply['id']}")).json() == {}
