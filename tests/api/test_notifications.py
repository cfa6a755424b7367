"""Notifications (list with types, get, dismiss, clear, unread count from the marker), direct
conversations, reports and announcements."""

from __future__ import annotations

import httpx

from tests.api.conftest import Api, post


async def test_notifications_of_every_kind_and_their_filters(api: Api, alice: httpx.AsyncClient,
                                                               carol: httpx.AsyncClient) -> None:
    alice_id = (await alice.get("/api/v1/accounts/verify_credentials")).json()["id"]
    status = await post(alice, "Ship it")
    await carol.post(f"/api/v1/accounts/{alice_id}/follow")
    await carol.post(f"/api/v1/statuses/{status['id']}/favourite")
    await carol.post(f"/api/v1/statuses/{status['id']}/reblog")
    await post(carol, "@alice nice")
    everything = (await alice.get("/api/v1/notifications")).json()
    assert [n["type"] for n in everything] == ["mention", "reblog", "favourite", "follow"]
    assert all(n["account"]["username"] == "carol" for n in everything)
    assert everything[1]["status"]["id"] == status["id"] and "status" not in everything[3]
    only = (await alice.get("/api/v1/notifications", params={"types[]": ["favourite", "follow"]})).json()
    assert [n["type"] for n in only] == ["favourite", "follow"]
    without = (await alice.get("/api/v1/notifications", params={"exclude_types[]": ["mention"]})).json()
    assert "mention" not in [n["type"] for n in without]
    unknown = (await alice.get("/api/v1/notifications", params={"types[]": ["nonsense"]})).json()
    assert unknown == []
    one = await alice.get(f"/api/v1/notifications/{everything[0]['id']}")
    assert one.json()["id"] == everything[0]["id"]
    assert (await carol.get(f"/api/v1/notifications/{everything[0]['id']}")).status_code == 404


async def test_unread_count_follows_the_notifications_marker(alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    await post(carol, "@alice one")
    await post(carol, "@alice two")
    assert (await alice.get("/api/v1/notifications/unread_count")).json() == {"count": 2}
    newest = (await alice.get("/api/v1/notifications")).json()[0]["id"]
    await alice.post("/api/v1/markers", data={"notifications[last_read_id]": newest})
    assert (await alice.get("/api/v2/notifications/unread_count")).json() == {"count": 0}


async def test_dismiss_and_clear(alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    await post(carol, "@alice one")
    await post(carol, "@alice two")
    first, second = (await alice.get("/api/v1/notifications")).json()
    assert (await carol.post(f"/api/v1/notifications/{first['id']}/dismiss")).status_code == 404
    assert (await alice.post(f"/api/v1/notifications/{first['id']}/dismiss")).json() == {}
    assert [n["id"] for n in (await alice.get("/api/v1/notifications")).json()] == [second["id"]]
    assert (await alice.post("/api/v1/notifications/clear")).status_code == 200
    assert (await alice.get("/api/v1/notifications")).json() == []


async def test_grouped_notifications(alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    status = await post(carol, "@alice look")
    grouped = (await alice.get("/api/v2/notifications")).json()
    assert [g["type"] for g in grouped["notification_groups"]] == ["mention"]
    assert grouped["notification_groups"][0]["status_id"] == status["id"]
    assert [a["username"] for a in grouped["accounts"]] == ["carol"]
    assert [s["id"] for s in grouped["statuses"]] == [status["id"]]


async def test_notifications_page_with_links(alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    for i in range(3):
        await post(carol, f"@alice {i}")
    page = await alice.get("/api/v1/notifications", params={"limit": 2})
    assert len(page.json()) == 2
    assert 'rel="next"' in page.headers["link"] and 'rel="prev"' in page.headers["link"]


async def test_admin_notifications_only_reach_admins(api: Api, alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    carol_id = (await carol.get("/api/v1/accounts/verify_credentials")).json()["id"]
    reported = await post(carol, "Off-topic")
    report = await alice.post("/api/v1/reports", json={"account_id": carol_id, "status_ids": [reported["id"]],
                                                       "comment": "Please look", "category": "other"})
    assert report.status_code == 200, report.text
    assert report.json()["target_account"]["id"] == carol_id and report.json()["status_ids"] == [reported["id"]]
    admin = await api.client("admin")
    notes = (await admin.get("/api/v1/notifications")).json()
    assert notes[0]["type"] == "admin.report" and notes[0]["report"]["comment"] == "Please look"
    wrong = await alice.post("/api/v1/reports", json={"account_id": carol_id, "status_ids": ["12345"]})
    assert wrong.status_code == 422
    assert (await alice.post("/api/v1/reports", json={})).status_code == 422


async def test_direct_conversations(api: Api, alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    first = await post(alice, "@carol quick question", visibility="direct")
    answer = await post(carol, "@alice sure", visibility="direct", in_reply_to_id=first["id"])
    conversations = (await carol.get("/api/v1/conversations")).json()
    assert len(conversations) == 1
    assert conversations[0]["last_status"]["id"] == answer["id"]
    assert [a["username"] for a in conversations[0]["accounts"]] == ["alice"]
    bob = await api.client("bob")
    assert (await bob.get("/api/v1/conversations")).json() == []
    assert (await bob.post(f"/api/v1/conversations/{first['id']}/read")).status_code == 404


async def test_announcements_can_be_dismissed(api: Api, alice: httpx.AsyncClient) -> None:
    await api.ctx.db.execute(
        "INSERT INTO announcements (id, content, must_read, audience, published_at, updated_at)"
        " VALUES (42, '<p>Office closed Friday</p>', 1, 'local', 1700000000000, 1700000000000)")
    shown = (await alice.get("/api/v1/announcements")).json()
    assert shown[0]["id"] == "42" and shown[0]["read"] is False and shown[0]["atrium"]["must_read"] is True
    assert (await alice.post("/api/v1/announcements/42/dismiss")).status_code == 200
    assert (await alice.get("/api/v1/announcements")).json() == []
    assert (await alice.get("/api/v1/announcements", params={"with_dismissed": "true"})).json()[0]["read"] is True
    assert (await alice.post("/api/v1/announcements/43/dismiss")).status_code == 404
