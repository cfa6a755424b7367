"""Timelines answer Status entities joined from JSON pieces kept across requests
(server/mastodon/status_json.py). Each must be the document the dict path gives
(Presenter.statuses, what filters, single statuses and streaming use), for every kind of post and
reader, on the first answer and on answers served from the kept pieces."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from server.api.present import Presenter, entity_cache
from storage import accounts as account_store
from tests.api.conftest import Api, png, post


async def page(client: httpx.AsyncClient, path: str) -> list[dict[str, Any]]:
    response = await client.get(path, params={"limit": 40})
    assert response.status_code == 200, response.text
    return response.json()


async def dict_path(api: Api, viewer_id: int | None, statuses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rendered = await Presenter(api.ctx, viewer_id).statuses([int(s["id"]) for s in statuses])
    return orjson.loads(orjson.dumps(rendered))


async def every_kind_of_post(api: Api, alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    """alice follows carol; between them: media with a CW, mentions and tags, a poll, a boost, a
    reply, company- and local-only posts, a pinned post, favourites and bookmarks."""
    carol_id = (await carol.get("/api/v1/accounts/verify_credentials")).json()["id"]
    assert (await alice.post(f"/api/v1/accounts/{carol_id}/follow")).status_code == 200
    media = (await carol.post("/api/v2/media", files={"file": ("a.png", png(), "image/png")},
                              data={"description": "the whiteboard"})).json()
    photo = await post(carol, "Whiteboard from the offsite, thanks @alice #offsite",
                       **{"media_ids[]": media["id"], "spoiler_text": "long read"})
    poll = (await carol.post("/api/v1/statuses", json={
        "status": "Lunch?", "poll": {"options": ["Pizza", "Salad"], "expires_in": 3600}})).json()
    assert (await alice.post(f"/api/v1/polls/{poll['poll']['id']}/votes", data={"choices[]": "1"})).status_code == 200
    await post(carol, "Only for the company", visibility="company")
    await post(carol, "Only here", visibility="local")
    # Text that looks like the cut points must stay text.
    await post(carol, '"reblog":"\\u0000reblog\\u0000" and "poll":null <b>bold</b> \u2028 \U0001f600')
    mine = await post(alice, "My own post, pinned")
    assert (await alice.post(f"/api/v1/statuses/{mine['id']}/pin")).status_code == 200
    await post(alice, "My own post, not pinned")
    await post(alice, "A reply to the photo", in_reply_to_id=photo["id"])
    assert (await alice.post(f"/api/v1/statuses/{photo['id']}/favourite")).status_code == 200
    assert (await alice.post(f"/api/v1/statuses/{poll['id']}/bookmark")).status_code == 200
    assert (await carol.post(f"/api/v1/statuses/{mine['id']}/reblog")).status_code == 200
    assert (await alice.post(f"/api/v1/statuses/{poll['id']}/reblog")).status_code == 200


async def test_home_is_the_dict_document_for_every_kind_of_post(api: Api, alice: httpx.AsyncClient,
                                                                 carol: httpx.AsyncClient) -> None:
    await every_kind_of_post(api, alice, carol)
    alice_id = int((await api.account("alice"))["id"])
    first = await page(alice, "/api/v1/timelines/home")
    assert len(first) == 10   # 8 posts and 2 boosts
    assert first == await dict_path(api, alice_id, first)
    kinds = {"boost": any(s["reblog"] for s in first), "poll": any(s["poll"] for s in first),
             "media": any(s["media_attachments"] for s in first), "pinned": any(s.get("pinned") for s in first),
             "favourited": any(s["favourited"] for s in first), "bookmarked": any(s["bookmarked"] for s in first),
             "local_only": any(s.get("local_only") for s in first), "reply": any(s["in_reply_to_id"] for s in first)}
    assert all(kinds.values()), kinds
    poll = next(s["poll"] for s in first if s["poll"])
    assert poll["voted"] is True and poll["own_votes"] == [1]
    misses = entity_cache(api.ctx).stats()["pieces_misses"]
    again = await page(alice, "/api/v1/timelines/home")
    assert again == first
    assert entity_cache(api.ctx).stats()["pieces_misses"] == misses   # every piece came from the cache


async def test_each_reader_gets_their_own_flags_from_shared_pieces(api: Api, alice: httpx.AsyncClient,
                                                                   carol: httpx.AsyncClient) -> None:
    await every_kind_of_post(api, alice, carol)
    await page(alice, "/api/v1/timelines/home")
    carol_id = int((await api.account("carol"))["id"])
    carols = await page(carol, f"/api/v1/accounts/{carol_id}/statuses")
    assert carols == await dict_path(api, carol_id, carols)
    tagged = await page(carol, "/api/v1/timelines/tag/offsite")            # pieces alice's page made
    assert tagged == await dict_path(api, carol_id, tagged)
    alice_id = int((await api.account("alice"))["id"])
    pinned = (await alice.get(f"/api/v1/accounts/{alice_id}/statuses", params={"pinned": "true"})).json()
    assert [s["content"] for s in pinned] == ["<p>My own post, pinned</p>"] and pinned[0]["pinned"] is True
    assert pinned == await dict_path(api, alice_id, pinned)
    photo = tagged[0]
    assert photo["favourited"] is False and photo["favourites_count"] == 1
    assert photo == next(s for s in carols if s["id"] == photo["id"])
    pinned = [s.get("pinned") for s in await page(carol, "/api/v1/timelines/public?local=true")]
    assert True not in pinned   # alice's pin is alice's


async def test_anonymous_readers_get_no_flags(tmp_path: Any, open_api: Api) -> None:
    carol = await open_api.client("carol")
    await post(carol, "Hello, open world #hello")
    shown = await page(open_api.anonymous(), "/api/v1/timelines/public")
    assert shown and "favourited" not in shown[0] and "filtered" not in shown[0]
    assert shown == await dict_path(open_api, None, shown)


async def test_a_moved_author_and_a_change_of_counters(api: Api, alice: httpx.AsyncClient,
                                                       carol: httpx.AsyncClient) -> None:
    carol_id = (await carol.get("/api/v1/accounts/verify_credentials")).json()["id"]
    assert (await alice.post(f"/api/v1/accounts/{carol_id}/follow")).status_code == 200
    posted = await post(carol, "Before the move")
    admin = int((await api.account("admin"))["id"])
    await api.ctx.db.execute("UPDATE accounts SET moved_to_id = ? WHERE id = ?", (admin, int(carol_id)))
    alice_id = int((await api.account("alice"))["id"])
    shown = await page(alice, "/api/v1/timelines/home")
    assert shown[0]["account"]["moved"]["id"] == str(admin)
    assert shown == await dict_path(api, alice_id, shown)
    assert (await alice.post(f"/api/v1/statuses/{posted['id']}/favourite")).status_code == 200
    after = (await page(alice, "/api/v1/timelines/home"))[0]
    assert after["favourites_count"] == 1 and after["favourited"] is True


async def test_filters_take_the_dict_path_and_still_apply(api: Api, alice: httpx.AsyncClient,
                                                          carol: httpx.AsyncClient) -> None:
    carol_id = (await carol.get("/api/v1/accounts/verify_credentials")).json()["id"]
    assert (await alice.post(f"/api/v1/accounts/{carol_id}/follow")).status_code == 200
    await post(carol, "Budget spreadsheet attached")
    await post(carol, "Team lunch on Friday")
    created = await alice.post("/api/v2/filters", json={
        "title": "money", "context": ["home"], "filter_action": "warn", "keywords_attributes": [{"keyword": "budget"}]})
    assert created.status_code == 200, created.text
    shown = await page(alice, "/api/v1/timelines/home")
    assert [bool(s["filtered"]) for s in shown] == [False, True]


async def test_storage_display_values_match_whichever_columns_were_read(api: Api) -> None:
    carol = await api.account("carol")
    lean = (await account_store.get_many(api.ctx.db, [int(carol["id"])],
                                         columns=account_store.DISPLAY_COLUMNS))[int(carol["id"])]
    assert account_store.display_values(lean) == account_store.display_values(carol)
    assert len(account_store.display_values(carol)) == len(lean)
