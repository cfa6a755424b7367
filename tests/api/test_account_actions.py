"""Private notes on accounts (Relationship.note) and removing a follower."""

from __future__ import annotations

import httpx


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
