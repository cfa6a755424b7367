"""Followed hashtags: follow and unfollow, GET /api/v1/tags/:name with `following`, the
followed_tags list, and posts with a followed tag in the home timeline."""

from __future__ import annotations

import httpx

from tests.api.conftest import post


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
