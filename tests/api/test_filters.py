"""Filters: v2 CRUD with keywords and statuses, the v1 view, and where they apply (warn → `filtered`,
hide → dropped) in the home, public, thread, account and notifications contexts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx

from tests.api.conftest import Api, post


async def _filter(client: httpx.AsyncClient, title: str, context: list[str], action: str = "warn",
                  keywords: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    response = await client.post("/api/v2/filters", json={
        "title": title, "context": context, "filter_action": action,
        "keywords_attributes": keywords or [], **extra})
    assert response.status_code == 200, response.text
    return response.json()


async def _follow(client: httpx.AsyncClient, other: httpx.AsyncClient) -> str:
    other_id = (await other.get("/api/v1/accounts/verify_credentials")).json()["id"]
    assert (await client.post(f"/api/v1/accounts/{other_id}/follow")).status_code == 200
    return other_id


def _by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in items}


async def test_v2_filter_crud_with_keywords_and_statuses(api: Api, alice: httpx.AsyncClient,
                                                         carol: httpx.AsyncClient) -> None:
    created = await _filter(alice, "Spoilers", ["home", "thread"], keywords=[
        {"keyword": "dragon", "whole_word": True}, {"keyword": "#got", "whole_word": False}], expires_in=3600)
    assert created["title"] == "Spoilers" and created["context"] == ["home", "thread"]
    assert created["filter_action"] == "warn" and created["expires_at"].endswith("Z")
    assert [(k["keyword"], k["whole_word"]) for k in created["keywords"]] == [("dragon", True), ("#got", False)]
    assert created["statuses"] == []
    fid = created["id"]

    assert [f["id"] for f in (await alice.get("/api/v2/filters")).json()] == [fid]
    assert (await alice.get(f"/api/v2/filters/{fid}")).json() == created
    # Another person's filter is not found, and neither are its keywords.
    assert (await carol.get(f"/api/v2/filters/{fid}")).status_code == 404
    assert (await carol.get(f"/api/v2/filters/keywords/{created['keywords'][0]['id']}")).status_code == 404

    # PUT: rename, change the action, clear the expiry, update one keyword, destroy another, add one.
    dragon, got = created["keywords"]
    updated = (await alice.put(f"/api/v2/filters/{fid}", json={
        "title": "Dragons", "filter_action": "hide", "expires_in": "",
        "keywords_attributes": [{"id": dragon["id"], "whole_word": False}, {"id": got["id"], "_destroy": True},
                                {"keyword": "wyvern"}]})).json()
    assert updated["title"] == "Dragons" and updated["filter_action"] == "hide" and updated["expires_at"] is None
    assert [(k["keyword"], k["whole_word"]) for k in updated["keywords"]] == [("dragon", False), ("wyvern", True)]

    # Keywords one by one.
    added = (await alice.post(f"/api/v2/filters/{fid}/keywords", data={"keyword": "drake", "whole_word": "false"})).json()
    assert added["keyword"] == "drake" and added["whole_word"] is False
    assert len((await alice.get(f"/api/v2/filters/{fid}/keywords")).json()) == 3
    changed = (await alice.put(f"/api/v2/filters/keywords/{added['id']}", data={"keyword": "drakes"})).json()
    assert changed == {"id": added["id"], "keyword": "drakes", "whole_word": False}
    assert (await alice.get(f"/api/v2/filters/keywords/{added['id']}")).json() == changed
    assert (await alice.delete(f"/api/v2/filters/keywords/{added['id']}")).json() == {}
    assert (await alice.get(f"/api/v2/filters/keywords/{added['id']}")).status_code == 404

    # Statuses: only one the viewer can see.
    carols = await post(carol, "Season finale tonight")
    entry = (await alice.post(f"/api/v2/filters/{fid}/statuses", data={"status_id": carols["id"]})).json()
    assert entry["status_id"] == carols["id"]
    assert (await alice.get(f"/api/v2/filters/{fid}/statuses")).json() == [entry]
    assert (await alice.get(f"/api/v2/filters/statuses/{entry['id']}")).json() == entry
    secret = await post(carol, "to nobody", visibility="direct")
    refused = await alice.post(f"/api/v2/filters/{fid}/statuses", data={"status_id": secret["id"]})
    assert refused.status_code == 404
    assert (await alice.delete(f"/api/v2/filters/statuses/{entry['id']}")).json() == {}

    assert (await alice.delete(f"/api/v2/filters/{fid}")).json() == {}
    assert (await alice.get("/api/v2/filters")).json() == []


async def test_v2_filter_from_a_form_with_keywords(alice: httpx.AsyncClient) -> None:
    # Interleaved, as a browser or Mastodon.py's form encoder sends an array of objects
    form = urlencode([("title", "Form"), ("context[]", "home"),
                      ("keywords_attributes[][keyword]", "dragon"), ("keywords_attributes[][whole_word]", "true"),
                      ("keywords_attributes[][keyword]", "wyvern"), ("keywords_attributes[][whole_word]", "false")])
    response = await alice.post("/api/v2/filters", content=form,
                                headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text
    assert [(k["keyword"], k["whole_word"]) for k in response.json()["keywords"]] == [
        ("dragon", True), ("wyvern", False)]


async def test_v2_validation(alice: httpx.AsyncClient) -> None:
    cases: list[dict[str, Any]] = [
        {"context": ["home"]},                                   # no title
        {"title": "x"},                                          # no context
        {"title": "x", "context": ["everywhere"]},
        {"title": "x", "context": ["home"], "filter_action": "explode"},
        {"title": "x", "context": ["home"], "expires_in": -5},
        {"title": "x", "context": ["home"], "keywords_attributes": [{"keyword": ""}]},
        {"title": "x", "context": ["home"], "keywords_attributes": ["bare"]},
        {"title": "x" * 300, "context": ["home"]},
    ]
    for body in cases:
        response = await alice.post("/api/v2/filters", json=body)
        assert response.status_code == 422, (body, response.text)
    assert (await alice.get("/api/v2/filters")).json() == []   # nothing half-created
    assert (await alice.get("/api/v2/filters/12345")).status_code == 404
    assert (await alice.put("/api/v2/filters/abc", json={"title": "y"})).status_code == 404


async def test_v1_view_of_keywords(alice: httpx.AsyncClient) -> None:
    made = (await alice.post("/api/v1/filters", data={
        "phrase": "dragon", "context[]": ["home", "public"], "irreversible": "true", "whole_word": "false"})).json()
    assert made["phrase"] == "dragon" and made["context"] == ["home", "public"]
    assert made["irreversible"] is True and made["whole_word"] is False and made["expires_at"] is None
    assert (await alice.get("/api/v1/filters")).json() == [made]
    assert (await alice.get(f"/api/v1/filters/{made['id']}")).json() == made
    # The same filter in v2: titled with its phrase, action hide.
    v2 = (await alice.get("/api/v2/filters")).json()
    assert [(f["title"], f["filter_action"]) for f in v2] == [("dragon", "hide")]
    updated = (await alice.put(f"/api/v1/filters/{made['id']}", data={
        "phrase": "wyvern", "irreversible": "false", "context[]": ["thread"]})).json()
    assert updated["phrase"] == "wyvern" and updated["irreversible"] is False and updated["context"] == ["thread"]
    assert (await alice.delete(f"/api/v1/filters/{made['id']}")).json() == {}
    assert (await alice.get("/api/v1/filters")).json() == []
    assert (await alice.get("/api/v2/filters")).json() == []   # its filter went with its last keyword


async def test_warn_and_hide_in_home_and_public(api: Api, alice: httpx.AsyncClient,
                                                carol: httpx.AsyncClient) -> None:
    await _follow(alice, carol)
    warned = await post(carol, "The DRAGON returns")
    partial = await post(carol, "dragonfly season")        # not a whole word
    hidden = await post(carol, "Quarterly numbers are in")
    plain = await post(carol, "Lunch?")
    await _filter(alice, "Dragons", ["home"], keywords=[{"keyword": "dragon", "whole_word": True}])
    await _filter(alice, "Finance", ["home", "public"], "hide", keywords=[{"keyword": "quarterly"}])
    home = _by_id((await alice.get("/api/v1/timelines/home")).json())
    assert hidden["id"] not in home
    assert home[plain["id"]]["filtered"] == [] and home[partial["id"]]["filtered"] == []
    result = home[warned["id"]]["filtered"]
    assert len(result) == 1 and result[0]["keyword_matches"] == ["dragon"] and result[0]["status_matches"] is None
    assert result[0]["filter"]["title"] == "Dragons" and "keywords" not in result[0]["filter"]
    # The public timeline: only the filter that names `public` applies.
    public = _by_id((await alice.get("/api/v1/timelines/public")).json())
    assert hidden["id"] not in public and public[warned["id"]]["filtered"] == []
    # Carol's own view is unfiltered, and her own posts are never filtered from herself.
    await _filter(carol, "Mine", ["home"], "hide", keywords=[{"keyword": "lunch"}])
    assert plain["id"] in _by_id((await carol.get("/api/v1/timelines/home")).json())
    # The Link header still pages by what was read, hidden posts included.
    page = await alice.get("/api/v1/timelines/home", params={"limit": 2})
    assert f"min_id={plain['id']}" in page.headers["link"]


async def test_filtered_status_boosts_and_expiry(api: Api, alice: httpx.AsyncClient, carol: httpx.AsyncClient,
                                                 bob: httpx.AsyncClient) -> None:
    await _follow(alice, carol)
    original = await post(bob, "An announcement")
    boost = (await carol.post(f"/api/v1/statuses/{original['id']}/reblog")).json()
    f = await _filter(alice, "This one", ["home"])
    await alice.post(f"/api/v2/filters/{f['id']}/statuses", data={"status_id": original["id"]})
    home = _by_id((await alice.get("/api/v1/timelines/home")).json())
    result = home[boost["id"]]["filtered"]
    assert result[0]["status_matches"] == [original["id"]] and result[0]["keyword_matches"] is None
    assert home[boost["id"]]["reblog"]["filtered"] == result
    # An expired filter no longer applies.
    await api.ctx.db.execute("UPDATE custom_filters SET expires_at = 1")
    home = _by_id((await alice.get("/api/v1/timelines/home")).json())
    assert home[boost["id"]]["filtered"] == []


async def test_thread_account_and_notifications_contexts(api: Api, alice: httpx.AsyncClient,
                                                         carol: httpx.AsyncClient) -> None:
    root = await post(alice, "What shall we eat?")
    reply = await post(carol, "@alice pizza again", in_reply_to_id=root["id"])
    other = await post(carol, "@alice salad", in_reply_to_id=root["id"])
    await _filter(alice, "No pizza", ["thread", "notifications"], "hide", keywords=[{"keyword": "pizza"}])
    await _filter(alice, "Salad", ["thread", "account"], keywords=[{"keyword": "salad"}])
    thread = (await alice.get(f"/api/v1/statuses/{root['id']}/context")).json()
    descendants = _by_id(thread["descendants"])
    assert reply["id"] not in descendants and descendants[other["id"]]["filtered"][0]["filter"]["title"] == "Salad"
    carol_id = reply["account"]["id"]
    account = _by_id((await alice.get(f"/api/v1/accounts/{carol_id}/statuses")).json())
    assert account[reply["id"]]["filtered"] == [] and account[other["id"]]["filtered"][0]["keyword_matches"] == ["salad"]
    notified = [n["status"]["id"] for n in (await alice.get("/api/v1/notifications")).json() if n.get("status")]
    assert reply["id"] not in notified and other["id"] in notified
    grouped = (await alice.get("/api/v2/notifications")).json()
    assert reply["id"] not in {s["id"] for s in grouped["statuses"]}
    # Without a token nothing is filtered and nothing fails.
    anonymous = api.anonymous()
    assert (await anonymous.get(f"/api/v1/statuses/{root['id']}/context")).status_code in (200, 401, 404)


async def test_readers_without_filters_skip_loading_them_and_a_new_filter_applies_at_once(
        api: Api, alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    await _follow(alice, carol)
    await post(carol, "Budget review moved to Thursday")
    db = api.ctx.db
    seen: list[str] = []
    original = db.fetchall

    async def recording(sql: str, *args: Any) -> Any:
        seen.append(sql)
        return await original(sql, *args)

    db.fetchall = recording   # type: ignore[method-assign]
    try:
        home = await alice.get("/api/v1/timelines/home")
        assert home.status_code == 200 and home.json()[0]["filtered"] == []
        assert not [sql for sql in seen if "custom_filters" in sql and "EXISTS" not in sql]
        await _filter(alice, "Money", ["home"], keywords=[{"keyword": "budget"}])
        seen.clear()
        home = await alice.get("/api/v1/timelines/home")
        assert [r["filter"]["title"] for r in home.json()[0]["filtered"]] == ["Money"]
        assert [sql for sql in seen if "FROM custom_filters" in sql and "EXISTS" not in sql]
    finally:
        del db.fetchall
