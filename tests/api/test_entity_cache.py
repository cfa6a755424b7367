"""Entities are reused across requests (server/mastodon/cache.py) only while their rows are unchanged:
a profile edit, a new follower, a like, a boost or an edit shows in the very next answer, and one
reader's flags never leak into another's answer."""

from __future__ import annotations

from typing import Any

import httpx

from server.api.present import entity_cache
from server.mastodon.cache import EntityCache
from server.mastodon.common import RenderContext
from tests.api.conftest import Api, post


async def home(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/timelines/home", params={"limit": 40})
    assert response.status_code == 200, response.text
    return response.json()


async def carol_followed_by_alice(alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    carol_id = (await carol.get("/api/v1/accounts/verify_credentials")).json()["id"]
    assert (await alice.post(f"/api/v1/accounts/{carol_id}/follow")).status_code == 200
    return carol_id, await post(carol, "Quarterly numbers are in")


async def test_a_profile_edit_shows_in_the_next_home_page(api: Api, alice: httpx.AsyncClient,
                                                           carol: httpx.AsyncClient) -> None:
    _, posted = await carol_followed_by_alice(alice, carol)
    for _ in range(2):   # the second answer comes from the cache
        assert (await home(alice))[0]["account"]["display_name"] == "Carol Manager"
    assert entity_cache(api.ctx).stats()["account_hits"] >= 1
    edited = await carol.patch("/api/v1/accounts/update_credentials",
                               data={"display_name": "Carol, VP Engineering", "note": "Ask me about the roadmap"})
    assert edited.status_code == 200, edited.text
    account = (await home(alice))[0]["account"]
    assert account["display_name"] == "Carol, VP Engineering"
    assert "Ask me about the roadmap" in account["note"]
    assert (await home(alice))[0]["id"] == posted["id"]


async def test_counters_follow_new_followers_and_posts(api: Api, alice: httpx.AsyncClient,
                                                       carol: httpx.AsyncClient) -> None:
    carol_id, _ = await carol_followed_by_alice(alice, carol)
    before = (await home(alice))[0]["account"]
    admin = await api.client("admin")
    assert (await admin.post(f"/api/v1/accounts/{carol_id}/follow")).status_code == 200
    await post(carol, "And one more thing")
    after = (await home(alice))[0]["account"]
    assert after["followers_count"] == before["followers_count"] + 1
    assert after["statuses_count"] == before["statuses_count"] + 1


async def test_likes_boosts_and_edits_show_at_once_and_flags_stay_per_reader(
        api: Api, alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    _, posted = await carol_followed_by_alice(alice, carol)
    admin = await api.client("admin")
    assert (await admin.post(f"/api/v1/accounts/{(await home(alice))[0]['account']['id']}/follow")).status_code == 200
    first = (await home(alice))[0]
    assert first["favourited"] is False and first["favourites_count"] == 0
    assert (await alice.post(f"/api/v1/statuses/{posted['id']}/favourite")).status_code == 200
    liked = (await home(alice))[0]
    assert liked["favourited"] is True and liked["favourites_count"] == 1
    seen_by_admin = next(s for s in await home(admin) if s["id"] == posted["id"])
    assert seen_by_admin["favourited"] is False and seen_by_admin["favourites_count"] == 1
    assert (await alice.post(f"/api/v1/statuses/{posted['id']}/bookmark")).status_code == 200
    assert (await admin.post(f"/api/v1/statuses/{posted['id']}/reblog")).status_code == 200
    again = next(s for s in await home(alice) if s["id"] == posted["id"])
    assert again["bookmarked"] is True and again["reblogs_count"] == 1 and again["reblogged"] is False
    edited = await carol.put(f"/api/v1/statuses/{posted['id']}", json={"status": "Quarterly numbers are out"})
    assert edited.status_code == 200, edited.text
    shown = next(s for s in await home(alice) if s["id"] == posted["id"])
    assert "are out" in shown["content"] and shown["edited_at"] is not None
    assert shown["favourited"] is True and shown["favourites_count"] == 1


async def test_a_filtered_answer_does_not_change_what_others_read(api: Api, alice: httpx.AsyncClient,
                                                                 carol: httpx.AsyncClient) -> None:
    carol_id, posted = await carol_followed_by_alice(alice, carol)
    admin = await api.client("admin")
    assert (await admin.post(f"/api/v1/accounts/{carol_id}/follow")).status_code == 200
    made = await alice.post("/api/v2/filters", json={"title": "Numbers", "context": ["home"], "filter_action": "warn",
                                                     "keywords_attributes": [{"keyword": "quarterly"}]})
    assert made.status_code == 200, made.text
    assert (await home(alice))[0]["filtered"]
    assert next(s for s in await home(admin) if s["id"] == posted["id"])["filtered"] == []


def test_the_cache_is_bounded_and_keyed_by_every_value(api: Api) -> None:
    cache = EntityCache(max_accounts=8)
    rc = RenderContext(urls=api.ctx.urls, domain=api.ctx.domain)

    def row(account_id: int, followers: int) -> dict[str, Any]:
        return {"id": account_id, "username": f"u{account_id}", "domain": None, "display_name": "", "locked": 0,
                "bot": 0, "actor_type": "Person", "discoverable": 1, "created_at": 0, "note": "", "url": None,
                "uri": f"http://paris.test/users/u{account_id}", "avatar_path": None, "avatar_remote_url": None,
                "header_path": None, "header_remote_url": None, "followers_count": followers,
                "following_count": 0, "statuses_count": 0, "last_status_at": None, "fields": None,
                "suspended_at": None, "silenced_at": None, "moved_to_id": None, "department": None, "title": None,
                "location": None, "pronouns": None, "manager_id": None}

    assert cache.account(row(1, 0), rc) is cache.account(row(1, 0), rc)
    assert cache.account(row(1, 5), rc)["followers_count"] == 5
    for account_id in range(2, 100):
        cache.account(row(account_id, 0), rc)
    assert cache.stats()["accounts"] <= 8
