"""Followed hashtags: follow and unfollow, GET /api/v1/tags/:name with `following`, the
followed_tags list, and posts with a followed tag in the home timeline."""

from __future__ import annotations

import httpx

from storage import accounts as account_store
from storage import statuses as status_store
from storage.statuses import NewStatus
from tests.api.conftest import Api, post


async def test_follow_and_unfollow_a_tag(alice: httpx.AsyncClient,
                                                      carol: httpx.AsyncClient) -> None:
    # A tag nobody used yet can be followed (it is created), and its name is normalised.
    followed = await alice.post("/api/v1/tags/Launch/follow")
    assert followed.status_code == 200
    assert followed.json()["name"] == "launch" and followed.json()["following"] is True
    assert (await alice.get("/api/v1/tags/launch")).json()["following"] is True
    assert (await carol.get("/api/v1/tags/launch")).json()["following"] is False

    await post(carol, "Ready for the #launch")
    listed = await alice.get("/api/v1/followed_tags")
    assert [t["name"] for t in listed.json()] == ["launch"] and listed.json()[0]["following"] is True
    search = (await alice.get("/api/v2/search", params={"q": "#laun", "type": "hashtags"})).json()
    assert [(t["name"], t["following"]) for t in search["hashtags"]] == [("launch", True)]

    unfollowed = (await alice.post("/api/v1/tags/launch/unfollow")).json()
    assert unfollowed["following"] is False
    assert (await alice.get("/api/v1/followed_tags")).json() == []
    assert (await alice.post("/api/v1/tags/nosuchtag/unfollow")).status_code == 404
    for bad in ("foo%20bar", "123", "a-b", "x" * 300):
        assert (await alice.post(f"/api/v1/tags/{bad}/follow")).status_code in (404, 422), bad
    assert (await alice.get("/api/v1/tags/nosuchtag")).status_code == 404


async def test_followed_tags_pages_with_link_headers(alice: httpx.AsyncClient) -> None:
    for name in ("one", "two", "three"):
        assert (await alice.post(f"/api/v1/tags/{name}/follow")).status_code == 200
    first = await alice.get("/api/v1/followed_tags", params={"limit": 2})
    assert [t["name"] for t in first.json()] == ["three", "two"]
    assert 'rel="next"' in first.headers["link"]
    next_url = first.headers["link"].split(";")[0].strip("<>")
    second = await alice.get(next_url.replace("http://paris.test", ""))
    assert [t["name"] for t in second.json()] == ["one"]


async def _home(client: httpx.AsyncClient) -> list[str]:
    return [s["id"] for s in (await client.get("/api/v1/timelines/home")).json()]


async def test_posts_with_a_followed_tag_reach_home(api: Api, alice: httpx.AsyncClient,
                                                    carol: httpx.AsyncClient) -> None:
    assert (await alice.post("/api/v1/tags/launch/follow")).status_code == 200
    tagged = await post(carol, "Ready for the #Launch")
    company = await post(carol, "Company-wide #launch", visibility="company")
    other = await post(carol, "Nothing to see")
    private = await post(carol, "Team only #launch", visibility="private")
    boost = (await carol.post(f"/api/v1/statuses/{tagged['id']}/reblog")).json()
    home = await _home(alice)
    assert tagged["id"] in home and company["id"] in home
    assert other["id"] not in home and private["id"] not in home and boost["id"] not in home
    # A remote post with the tag, as the inbox stores it, arrives too.
    dan = await account_store.upsert_remote(api.ctx.db, "https://lyon.example/users/dan", "lyon.example",
                                            {"username": "dan"})
    async with api.ctx.db.transaction() as tx:
        remote_id = await status_store.create(tx, NewStatus(
            account_id=dan, uri="https://lyon.example/notes/1", visibility="public", local=False,
            content="<p>#launch from Lyon</p>", tag_names=["launch"]))
    assert str(remote_id) in await _home(alice)
    # Muting the author keeps their tagged posts out.
    carol_id = tagged["account"]["id"]
    await alice.post(f"/api/v1/accounts/{carol_id}/mute")
    muted = await post(carol, "More #launch")
    assert muted["id"] not in await _home(alice)
    await alice.post("/api/v1/tags/launch/unfollow")
    await alice.post(f"/api/v1/accounts/{carol_id}/unmute")
    later = await post(carol, "Again the #launch")
    assert later["id"] not in await _home(alice)
