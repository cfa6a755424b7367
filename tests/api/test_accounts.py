"""/api/v1/accounts and the employee's collections: profiles, follows (with requests to locked
accounts), relationships, blocks, mutes, search, directory, suggestions, preferences."""

from __future__ import annotations

import httpx

from tests.api.conftest import Api, post


async def ids(client: httpx.AsyncClient, *usernames: str) -> list[str]:
    out = []
    for username in usernames:
        found = await client.get("/api/v1/accounts/lookup", params={"acct": username})
        assert found.status_code == 200, found.text
        out.append(found.json()["id"])
    return out


async def test_lookup_by_handle_in_every_spelling(alice: httpx.AsyncClient) -> None:
    for spelling in ("carol", "@carol", "carol@paris.test", "@CAROL@paris.test"):
        found = await alice.get("/api/v1/accounts/lookup", params={"acct": spelling})
        assert found.status_code == 200 and found.json()["username"] == "carol", spelling
    assert (await alice.get("/api/v1/accounts/lookup", params={"acct": "nobody"})).status_code == 404
    assert (await alice.get("/api/v1/accounts/lookup", params={"acct": "paris.test"})).status_code == 404


async def test_the_instance_actor_is_not_an_account_of_the_api(api: Api, alice: httpx.AsyncClient) -> None:
    row = await api.ctx.db.fetchone("SELECT id FROM accounts WHERE actor_type = 'Application'")
    assert row is not None
    assert (await alice.get(f"/api/v1/accounts/{row['id']}")).status_code == 404


async def test_following_a_locked_account_is_a_request_until_accepted(api: Api, alice: httpx.AsyncClient,
                                                                       bob: httpx.AsyncClient) -> None:
    alice_id, bob_id = await ids(alice, "alice", "bob")
    requested = (await alice.post(f"/api/v1/accounts/{bob_id}/follow")).json()
    assert requested["requested"] is True and requested["following"] is False
    pending = (await bob.get("/api/v1/follow_requests")).json()
    assert [a["id"] for a in pending] == [alice_id]
    assert (await bob.get("/api/v1/accounts/verify_credentials")).json()["source"]["follow_requests_count"] == 1
    accepted = (await bob.post(f"/api/v1/follow_requests/{alice_id}/authorize")).json()
    assert accepted["followed_by"] is True
    relationship = (await alice.get("/api/v1/accounts/relationships", params={"id[]": [bob_id]})).json()[0]
    assert relationship["following"] is True and relationship["requested"] is False
    followers = (await alice.get(f"/api/v1/accounts/{bob_id}/followers")).json()
    assert [a["id"] for a in followers] == [alice_id]
    following = (await bob.get(f"/api/v1/accounts/{alice_id}/following")).json()
    assert [a["id"] for a in following] == [bob_id]
    assert (await bob.get(f"/api/v1/accounts/{bob_id}/following")).json() == []
    unfollowed = (await alice.post(f"/api/v1/accounts/{bob_id}/unfollow")).json()
    assert unfollowed["following"] is False


async def test_rejecting_a_follow_request(alice: httpx.AsyncClient, bob: httpx.AsyncClient) -> None:
    alice_id, bob_id = await ids(alice, "alice", "bob")
    await alice.post(f"/api/v1/accounts/{bob_id}/follow")
    rejected = (await bob.post(f"/api/v1/follow_requests/{alice_id}/reject")).json()
    assert rejected["requested_by"] is False
    assert (await bob.post(f"/api/v1/follow_requests/{alice_id}/reject")).status_code == 404


async def test_blocks_and_mutes(alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    alice_id, carol_id = await ids(alice, "alice", "carol")
    await alice.post(f"/api/v1/accounts/{carol_id}/follow")
    blocked = (await alice.post(f"/api/v1/accounts/{carol_id}/block")).json()
    assert blocked["blocking"] is True and blocked["following"] is False
    assert [a["id"] for a in (await alice.get("/api/v1/blocks")).json()] == [carol_id]
    assert (await carol.post(f"/api/v1/accounts/{alice_id}/follow")).status_code == 403
    assert (await alice.post(f"/api/v1/accounts/{carol_id}/unblock")).json()["blocking"] is False
    muted = (await alice.post(f"/api/v1/accounts/{carol_id}/mute", json={"notifications": False, "duration": 60})).json()
    assert muted["muting"] is True and muted["muting_notifications"] is False
    mutes = (await alice.get("/api/v1/mutes")).json()
    assert [a["id"] for a in mutes] == [carol_id] and "mute_expires_at" in mutes[0]
    assert (await alice.post(f"/api/v1/accounts/{carol_id}/unmute")).json()["muting"] is False
    assert (await alice.post(f"/api/v1/accounts/{alice_id}/block")).status_code == 422


async def test_update_credentials_and_preferences(alice: httpx.AsyncClient) -> None:
    response = await alice.patch("/api/v1/accounts/update_credentials", data={
        "display_name": "Alice <b>M</b>", "note": "Platform team. Ask me about #k8s", "locked": "true",
        "fields_attributes[0][name]": "Desk", "fields_attributes[0][value]": "3rd floor <west>",
        "source[privacy]": "private", "source[sensitive]": "true", "source[language]": "fr"})
    assert response.status_code == 200, response.text
    me = response.json()
    assert me["display_name"] == "Alice <b>M</b>" and me["locked"] is True
    assert 'href="http://paris.test/tags/k8s"' in me["note"] and "<b>" not in me["note"]
    assert me["fields"] == [{"name": "Desk", "value": "3rd floor &lt;west&gt;", "verified_at": None}]
    assert me["source"]["note"] == "Platform team. Ask me about #k8s"
    assert me["source"]["fields"][0]["value"] == "3rd floor <west>"
    assert me["source"]["privacy"] == "private" and me["source"]["sensitive"] is True and me["source"]["language"] == "fr"
    preferences = (await alice.get("/api/v1/preferences")).json()
    assert preferences["posting:default:visibility"] == "private" and preferences["posting:default:language"] == "fr"
    # The default applies to posts sent without a visibility
    assert (await post(alice, "Default audience"))["visibility"] == "private"
    bad = await alice.patch("/api/v1/accounts/update_credentials", data={"source[privacy]": "everyone"})
    assert bad.status_code == 422


async def test_search_people_posts_and_hashtags(alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    await post(carol, "Quarterly #planning notes")
    found = (await alice.get("/api/v2/search", params={"q": "carol"})).json()
    assert [a["username"] for a in found["accounts"]] == ["carol"]
    by_department = (await alice.get("/api/v2/search", params={"q": "engineering", "type": "accounts"})).json()
    assert {a["username"] for a in by_department["accounts"]} >= {"alice", "carol"}
    posts = (await alice.get("/api/v2/search", params={"q": "quarterly", "type": "statuses"})).json()
    assert len(posts["statuses"]) == 1 and posts["accounts"] == [] and posts["hashtags"] == []
    tags = (await alice.get("/api/v2/search", params={"q": "#plan"})).json()
    assert [t["name"] for t in tags["hashtags"]] == ["planning"]
    url = (await alice.get("/api/v2/search", params={"q": "http://paris.test/users/carol"})).json()
    assert [a["username"] for a in url["accounts"]] == ["carol"]
    accounts = (await alice.get("/api/v1/accounts/search", params={"q": "car"})).json()
    assert [a["username"] for a in accounts] == ["carol"]


async def test_directory_and_suggestions_favour_the_department(alice: httpx.AsyncClient) -> None:
    directory = (await alice.get("/api/v1/directory", params={"local": "true"})).json()
    assert {a["username"] for a in directory} >= {"alice", "bob", "carol", "admin"}
    suggestions = (await alice.get("/api/v2/suggestions")).json()
    assert suggestions[0]["account"]["username"] == "carol" and suggestions[0]["sources"] == ["featured"]
    assert "alice" not in {s["account"]["username"] for s in suggestions}
    assert (await alice.get("/api/v1/suggestions")).json()[0]["username"] == "carol"


async def test_familiar_followers(alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    # Given alice follows carol, who follows admin
    carol_id, admin_id = await ids(alice, "carol", "admin")
    await alice.post(f"/api/v1/accounts/{carol_id}/follow")
    await carol.post(f"/api/v1/accounts/{admin_id}/follow")
    familiar = (await alice.get("/api/v1/accounts/familiar_followers", params={"id[]": [admin_id]})).json()
    assert familiar == [{"id": admin_id, "accounts": [familiar[0]["accounts"][0]]}]
    assert familiar[0]["accounts"][0]["id"] == carol_id


async def test_many_accounts_at_once(alice: httpx.AsyncClient) -> None:
    alice_id, carol_id = await ids(alice, "alice", "carol")
    found = (await alice.get("/api/v1/accounts", params={"id[]": [carol_id, alice_id, "1"]})).json()
    assert [a["id"] for a in found] == [carol_id, alice_id]


async def test_kept_posts_that_became_invisible_are_not_shown(alice: httpx.AsyncClient, bob: httpx.AsyncClient) -> None:
    # Given alice follows bob (locked) and bookmarks one of his followers-only posts
    alice_id, bob_id = await ids(alice, "alice", "bob")
    await alice.post(f"/api/v1/accounts/{bob_id}/follow")
    await bob.post(f"/api/v1/follow_requests/{alice_id}/authorize")
    secret = await post(bob, "Followers only", visibility="private")
    assert (await alice.post(f"/api/v1/statuses/{secret['id']}/bookmark")).status_code == 200
    assert [s["id"] for s in (await alice.get("/api/v1/bookmarks")).json()] == [secret["id"]]
    # When she stops following him
    await alice.post(f"/api/v1/accounts/{bob_id}/unfollow")
    # Then the post is gone from her bookmarks too
    assert (await alice.get("/api/v1/bookmarks")).json() == []
