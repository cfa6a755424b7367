"""Private notes on accounts (Relationship.note) and removing a follower."""

from __future__ import annotations

import json

import httpx

from storage import accounts as account_store
from storage import follows
from tests.api.conftest import Api, post


async def _id(client: httpx.AsyncClient) -> str:
    return (await client.get("/api/v1/accounts/verify_credentials")).json()["id"]


async def test_a_note_is_private_and_shown_in_the_relationship(alice: httpx.AsyncClient,
                                                               carol: httpx.AsyncClient) -> None:
    carol_id, alice_id = await _id(carol), await _id(alice)
    response = await alice.post(f"/api/v1/accounts/{carol_id}/note", data={"comment": "  Owns the roadmap  "})
    assert response.status_code == 200
    assert response.json()["id"] == carol_id and response.json()["note"] == "Owns the roadmap"
    relationships = (await alice.get("/api/v1/accounts/relationships", params={"id[]": [carol_id]})).json()
    assert relationships[0]["note"] == "Owns the roadmap"
    # Carol does not see Alice's note about her.
    theirs = (await carol.get("/api/v1/accounts/relationships", params={"id[]": [alice_id]})).json()
    assert theirs[0]["note"] == ""
    cleared = await alice.post(f"/api/v1/accounts/{carol_id}/note", json={"comment": ""})
    assert cleared.json()["note"] == ""
    too_long = await alice.post(f"/api/v1/accounts/{carol_id}/note", data={"comment": "x" * 2001})
    assert too_long.status_code == 422
    assert (await alice.post("/api/v1/accounts/999999/note", data={"comment": "x"})).status_code == 404


async def test_remove_a_local_follower(api: Api, alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    alice_id, carol_id = await _id(alice), await _id(carol)
    await post(alice, "Before")
    assert (await alice.post(f"/api/v1/accounts/{carol_id}/follow")).json()["following"] is True
    relationship = (await carol.post(f"/api/v1/accounts/{alice_id}/remove_from_followers")).json()
    assert relationship["id"] == alice_id and relationship["followed_by"] is False
    assert (await alice.get("/api/v1/accounts/relationships", params={"id[]": [carol_id]})).json()[0]["following"] is False
    assert (await carol.get(f"/api/v1/accounts/{carol_id}/followers")).json() == []
    assert (await carol.get(f"/api/v1/accounts/{carol_id}")).json()["followers_count"] == 0
    # Nothing federated for a local follower; removing again is harmless.
    assert await api.ctx.db.fetchval("SELECT COUNT(*) FROM outbox_activities WHERE activity_type = 'Reject'") == 0
    again = await carol.post(f"/api/v1/accounts/{alice_id}/remove_from_followers")
    assert again.status_code == 200 and again.json()["followed_by"] is False


async def test_remove_a_remote_follower_sends_reject(api: Api, carol: httpx.AsyncClient) -> None:
    db = api.ctx.db
    carol_row = await api.account("carol")
    dan = await account_store.upsert_remote(db, "https://lyon.example/users/dan", "lyon.example", {
        "username": "dan", "inbox_url": "https://lyon.example/users/dan/inbox"})
    follow_uri = "https://lyon.example/follows/42"
    async with db.transaction() as tx:
        await follows.request(tx, dan, int(carol_row["id"]), follow_uri, accept=True)
    relationship = (await carol.post(f"/api/v1/accounts/{dan}/remove_from_followers")).json()
    assert relationship["followed_by"] is False
    assert await follows.get(db, dan, int(carol_row["id"])) is None
    queued = await db.fetchall("SELECT body, audience FROM outbox_activities WHERE activity_type = 'Reject'")
    assert len(queued) == 1
    body = json.loads(queued[0]["body"])
    assert body["actor"] == carol_row["uri"] and body["object"]["id"] == follow_uri
    assert body["object"]["actor"] == "https://lyon.example/users/dan"
    assert json.loads(queued[0]["audience"]) == {"accounts": [dan]}
