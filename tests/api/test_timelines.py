"""Timelines and pagination: home, public (local, remote, company), hashtag, list, and the `Link`
headers apps page with."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx

from storage import accounts as account_store
from storage import statuses as status_store
from storage.statuses import NewStatus
from tests.api.conftest import Api, post

LINK = re.compile(r'<([^>]+)>; rel="(next|prev)"')


def links(response: httpx.Response) -> dict[str, dict[str, list[str]]]:
    found = {rel: url for url, rel in LINK.findall(response.headers.get("link", ""))}
    for url in found.values():
        assert url.startswith("http://paris.test/api/")
    return {rel: parse_qs(urlsplit(url).query) for rel, url in found.items()}


async def test_home_pages_with_link_headers_exactly_as_mastodon(api: Api, alice: httpx.AsyncClient) -> None:
    posted = [await post(alice, f"Post {i}") for i in range(5)]
    newest_first = [s["id"] for s in reversed(posted)]
    first = await alice.get("/api/v1/timelines/home", params={"limit": 2})
    assert [s["id"] for s in first.json()] == newest_first[:2]
    page = links(first)
    assert page["next"] == {"limit": ["2"], "max_id": [newest_first[1]]}
    assert page["prev"] == {"limit": ["2"], "min_id": [newest_first[0]]}
    second = await alice.get("/api/v1/timelines/home", params=page["next"])
    assert [s["id"] for s in second.json()] == newest_first[2:4]
    newer = await alice.get("/api/v1/timelines/home", params={"min_id": newest_first[3], "limit": 2})
    assert [s["id"] for s in newer.json()] == newest_first[1:3]
    since = await alice.get("/api/v1/timelines/home", params={"since_id": newest_first[1]})
    assert [s["id"] for s in since.json()] == newest_first[:1]
    empty = await alice.get("/api/v1/timelines/home", params={"max_id": posted[0]["id"]})
    assert empty.json() == [] and "link" not in empty.headers


async def test_home_shows_followed_people_and_not_others(api: Api, alice: httpx.AsyncClient,
                                                         carol: httpx.AsyncClient) -> None:
    carol_id = (await carol.get("/api/v1/accounts/verify_credentials")).json()["id"]
    before = await post(carol, "Before the follow")
    await alice.post(f"/api/v1/accounts/{carol_id}/follow")
    after = await post(carol, "After the follow")
    home = [s["id"] for s in (await alice.get("/api/v1/timelines/home")).json()]
    assert after["id"] in home and before["id"] in home   # followed accounts' recent posts are backfilled
    bob = await api.client("bob")
    assert (await bob.get("/api/v1/timelines/home")).json() == []


async def test_public_local_remote_and_company_timelines(api: Api, alice: httpx.AsyncClient) -> None:
    public = await post(alice, "Public")
    company = await post(alice, "Company", visibility="company")
    unlisted = await post(alice, "Unlisted", visibility="unlisted")
    dan = await account_store.upsert_remote(api.ctx.db, "https://lyon.example/users/dan", "lyon.example",
                                            {"username": "dan", "display_name": "Dan"})
    async with api.ctx.db.transaction() as tx:
        remote = await status_store.create(tx, NewStatus(account_id=dan, uri="https://lyon.example/s/1",
                                                         visibility="public", local=False, content="<p>Remote</p>"))
    ids = lambda response: [s["id"] for s in response.json()]  # noqa: E731
    everything = ids(await alice.get("/api/v1/timelines/public"))
    assert public["id"] in everything and str(remote) in everything
    assert unlisted["id"] not in everything and company["id"] not in everything
    assert ids(await alice.get("/api/v1/timelines/public", params={"local": "true"})) == [public["id"]]
    assert ids(await alice.get("/api/v1/timelines/public", params={"remote": "true"})) == [str(remote)]
    whole_company = ids(await alice.get("/api/v1/timelines/public", params={"company": "true"}))
    assert company["id"] in whole_company and public["id"] in whole_company


async def test_hashtag_timeline(alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    tagged = await post(alice, "About #Infra")
    await post(alice, "Not tagged")
    found = (await carol.get("/api/v1/timelines/tag/infra")).json()
    assert [s["id"] for s in found] == [tagged["id"]]
    assert [s["id"] for s in (await carol.get("/api/v1/timelines/tag/INFRA")).json()] == [tagged["id"]]
    tag = (await carol.get("/api/v1/tags/infra")).json()
    assert tag["name"] == "infra" and tag["url"] == "http://paris.test/tags/infra" and tag["following"] is False


async def test_lists_and_their_timelines(api: Api, alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    carol_id = (await carol.get("/api/v1/accounts/verify_credentials")).json()["id"]
    admin = await api.client("admin")
    admin_id = (await admin.get("/api/v1/accounts/verify_credentials")).json()["id"]
    created = (await alice.post("/api/v1/lists", json={"title": "Managers", "replies_policy": "followed"})).json()
    assert created["title"] == "Managers" and created["replies_policy"] == "followed"
    refused = await alice.post(f"/api/v1/lists/{created['id']}/accounts", data={"account_ids[]": carol_id})
    assert refused.status_code == 404   # only people she follows
    await alice.post(f"/api/v1/accounts/{carol_id}/follow")
    await alice.post(f"/api/v1/accounts/{admin_id}/follow")
    added = await alice.post(f"/api/v1/lists/{created['id']}/accounts", data={"account_ids[]": carol_id})
    assert added.status_code == 200
    from_carol = await post(carol, "In the list")
    await post(admin, "Not in the list")
    timeline = (await alice.get(f"/api/v1/timelines/list/{created['id']}")).json()
    assert [s["id"] for s in timeline] == [from_carol["id"]]
    members = (await alice.get(f"/api/v1/lists/{created['id']}/accounts")).json()
    assert [a["username"] for a in members] == ["carol"]
    containing = (await alice.get(f"/api/v1/accounts/{carol_id}/lists")).json()
    assert [entry["id"] for entry in containing] == [created["id"]]
    renamed = await alice.put(f"/api/v1/lists/{created['id']}", data={"title": "Leads"})
    assert renamed.json()["title"] == "Leads"
    assert (await carol.get(f"/api/v1/lists/{created['id']}")).status_code == 404
    assert (await carol.get(f"/api/v1/timelines/list/{created['id']}")).status_code == 404
    await alice.request("DELETE", f"/api/v1/lists/{created['id']}/accounts", data={"account_ids[]": carol_id})
    assert (await alice.get(f"/api/v1/lists/{created['id']}/accounts")).json() == []
    assert (await alice.delete(f"/api/v1/lists/{created['id']}")).status_code == 200
    assert (await alice.get("/api/v1/lists")).json() == []


async def test_markers_are_saved_and_versioned(alice: httpx.AsyncClient) -> None:
    saved = (await alice.post("/api/v1/markers", json={"home": {"last_read_id": "100"},
                                                       "notifications": {"last_read_id": "7"}})).json()
    assert saved["home"]["last_read_id"] == "100" and saved["home"]["version"] == 0
    again = (await alice.post("/api/v1/markers", data={"home[last_read_id]": "120"})).json()
    assert again["home"]["version"] == 1 and "notifications" not in again
    read = (await alice.get("/api/v1/markers", params={"timeline[]": ["home", "notifications"]})).json()
    assert read["home"]["last_read_id"] == "120" and read["notifications"]["last_read_id"] == "7"
    assert (await alice.post("/api/v1/markers", data={})).status_code == 422


async def test_account_statuses_with_filters(alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    top = await post(alice, "Top #tagged")
    reply = await post(alice, "@carol reply", in_reply_to_id=(await post(carol, "Question"))["id"])
    alice_id = top["account"]["id"]
    everything = [s["id"] for s in (await carol.get(f"/api/v1/accounts/{alice_id}/statuses")).json()]
    assert everything == [reply["id"], top["id"]]
    without_replies = (await carol.get(f"/api/v1/accounts/{alice_id}/statuses", params={"exclude_replies": "1"})).json()
    assert [s["id"] for s in without_replies] == [top["id"]]
    tagged = (await carol.get(f"/api/v1/accounts/{alice_id}/statuses", params={"tagged": "tagged"})).json()
    assert [s["id"] for s in tagged] == [top["id"]]
