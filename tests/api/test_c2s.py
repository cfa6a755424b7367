"""ActivityPub client-to-server: the owner posts activities to their outbox with a bearer token."""

from __future__ import annotations

import httpx

from tests.api.conftest import Api

AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = AS + "#Public"
AP_JSON = {"Content-Type": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}


async def send(client: httpx.AsyncClient, username: str, activity: dict) -> httpx.Response:
    return await client.post(f"/users/{username}/outbox", json={"@context": AS, **activity}, headers=AP_JSON)


async def test_a_bare_note_is_created_with_ids_published_and_addressing_filled_in(api: Api) -> None:
    alice = await api.client("alice")
    response = await send(alice, "alice", {"type": "Note", "content": "<p>Hello from a C2S client</p>",
                                           "summary": "C2S", "to": [PUBLIC]})
    # Then 201, with the new activity's id in Location
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    assert location.startswith("http://paris.test/users/alice/statuses/") and location.endswith("/activity")
    created = response.json()
    assert created["type"] == "Create" and created["id"] == location and created["actor"].endswith("/users/alice")
    assert created["object"]["to"] == [PUBLIC] and created["object"]["summary"] == "C2S"
    assert created["published"]
    # And the post is the same as one made through the Mastodon API
    status_id = created["object"]["id"].rsplit("/", 1)[1]
    shown = (await alice.get(f"/api/v1/statuses/{status_id}")).json()
    assert shown["content"] == "<p>Hello from a C2S client</p>" and shown["spoiler_text"] == "C2S"
    assert shown["visibility"] == "public"


async def test_addressing_becomes_the_audience(api: Api) -> None:
    alice = await api.client("alice")
    followers = "http://paris.test/users/alice/followers"
    company = api.settings.company_audience
    cases = {"unlisted": ([followers], [PUBLIC]), "private": ([followers], []), "company": ([company], [])}
    for expected, (to, cc) in cases.items():
        created = (await send(alice, "alice", {"type": "Create", "object": {
            "type": "Note", "content": f"for {expected}", "to": to, "cc": cc}})).json()
        status_id = created["object"]["id"].rsplit("/", 1)[1]
        shown = (await alice.get(f"/api/v1/statuses/{status_id}")).json()
        assert shown["visibility"] == ("unlisted" if expected == "company" else expected)
        assert shown["atrium"]["audience"] == {"private": "followers"}.get(expected, expected)


async def test_like_announce_follow_and_their_undo(api: Api) -> None:
    alice, carol = await api.client("alice"), await api.client("carol")
    post = (await carol.post("/api/v1/statuses", data={"status": "Like me"})).json()
    liked = await send(alice, "alice", {"type": "Like", "object": post["uri"]})
    assert liked.status_code == 201 and "likes" in liked.headers["location"]
    boosted = await send(alice, "alice", {"type": "Announce", "object": post["uri"], "to": [PUBLIC]})
    assert boosted.status_code == 201
    followed = await send(alice, "alice", {"type": "Follow", "object": post["account"]["uri"]})
    assert followed.status_code == 201
    seen = (await alice.get(f"/api/v1/statuses/{post['id']}")).json()
    assert seen["favourited"] and seen["reblogged"]
    relationship = (await alice.get("/api/v1/accounts/relationships", params={"id[]": post["account"]["id"]})).json()
    assert relationship[0]["following"] is True
    for kind, target in (("Like", post["uri"]), ("Announce", post["uri"]), ("Follow", post["account"]["uri"])):
        undone = await send(alice, "alice", {"type": "Undo", "object": {"type": kind, "object": target}})
        assert undone.status_code == 201, undone.text
    seen = (await alice.get(f"/api/v1/statuses/{post['id']}")).json()
    assert not seen["favourited"] and not seen["reblogged"]


async def test_update_and_delete_of_ones_own_post(api: Api) -> None:
    alice, carol = await api.client("alice"), await api.client("carol")
    created = (await send(alice, "alice", {"type": "Note", "content": "Frist", "to": [PUBLIC]})).json()
    note_id = created["object"]["id"]
    updated = await send(alice, "alice", {"type": "Update", "object": {"id": note_id, "type": "Note", "content": "First"}})
    assert updated.status_code == 201
    status_id = note_id.rsplit("/", 1)[1]
    assert (await alice.get(f"/api/v1/statuses/{status_id}")).json()["content"] == "<p>First</p>"
    hijack = await send(carol, "carol", {"type": "Delete", "object": note_id})
    assert hijack.status_code == 404
    deleted = await send(alice, "alice", {"type": "Delete", "object": note_id})
    assert deleted.status_code == 201
    assert (await alice.get(f"/api/v1/statuses/{status_id}")).status_code == 404
    queued = await api.ctx.db.fetchall("SELECT activity_type FROM outbox_activities ORDER BY id")
    assert [r["activity_type"] for r in queued][-3:] == ["Create", "Update", "Delete"]


async def test_only_the_owner_may_post_and_with_the_right_scope(api: Api) -> None:
    carol = await api.client("carol")
    assert (await send(carol, "alice", {"type": "Note", "content": "impostor"})).status_code == 403
    reader = await api.client("alice", "read")
    assert (await send(reader, "alice", {"type": "Note", "content": "x"})).status_code == 403
    liker = await api.client("alice", "write:favourites")
    refused = await send(liker, "alice", {"type": "Note", "content": "x"})
    assert refused.status_code == 403
    assert (await api.anonymous().post("/users/alice/outbox", json={"type": "Note"})).status_code == 401
    weird = await send(await api.client("alice"), "alice", {"type": "Move", "object": "x"})
    assert weird.status_code == 422


async def test_the_owner_reads_their_inbox(api: Api) -> None:
    alice, carol = await api.client("alice"), await api.client("carol")
    carol_id = (await carol.get("/api/v1/accounts/verify_credentials")).json()["id"]
    await alice.post(f"/api/v1/accounts/{carol_id}/follow")
    post = (await carol.post("/api/v1/statuses", data={"status": "In your inbox"})).json()
    await carol.post("/api/v1/statuses", data={"status": "Office only", "local_only": "true"})
    inbox = await alice.get("/users/alice/inbox")
    assert inbox.status_code == 200 and inbox.headers["content-type"].startswith("application/activity+json")
    page = inbox.json()
    assert page["type"] == "OrderedCollectionPage" and page["partOf"] == "http://paris.test/users/alice/inbox"
    assert [item["object"]["id"] for item in page["orderedItems"]] == [post["uri"]]
    assert (await carol.get("/users/alice/inbox")).status_code == 403
