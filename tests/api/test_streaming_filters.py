"""Streaming applies the listener's filters as their timeline would: hide drops, warn adds `filtered`."""

from __future__ import annotations

import json
from typing import Any

from server import events
from server.streaming import Connection, Hub, Subscription, record_event
from tests.api.conftest import Api, post
from tests.api.test_streaming import drain


async def _filter(api: Api, username: str, title: str, context: list[str], action: str, keyword: str) -> None:
    client = await api.client(username)
    response = await client.post("/api/v2/filters", json={
        "title": title, "context": context, "filter_action": action,
        "keywords_attributes": [{"keyword": keyword, "whole_word": True}]})
    assert response.status_code == 200, response.text


def _updates(messages: list[dict[str, Any]], stream: str) -> dict[str, dict[str, Any]]:
    payloads = [json.loads(m["payload"]) for m in messages if m["event"] == "update" and m["stream"][0] == stream]
    return {p["content"]: p for p in payloads}


async def test_stream_hides_and_warns_per_listener_and_context(api: Api) -> None:
    events.subscribe(api.ctx, record_event)
    hub = Hub(api.ctx)
    alice, carol = await api.client("alice"), await api.client("carol")
    alice_id = (await api.account("alice"))["id"]
    carol_id, bob_id = int((await api.account("carol"))["id"]), int((await api.account("bob"))["id"])
    await carol.post(f"/api/v1/accounts/{alice_id}/follow")
    await (await api.client("bob")).post(f"/api/v1/accounts/{alice_id}/follow")
    # Carol hides "quarterly" at home only, and is warned about "dragon" at home and in public.
    await _filter(api, "carol", "Finance", ["home"], "hide", "quarterly")
    await _filter(api, "carol", "Dragons", ["home", "public"], "warn", "dragon")
    carol_listens = Connection(carol_id, {Subscription("user"), Subscription("public:local")})
    bob_listens = Connection(bob_id, {Subscription("user")})   # no filters: sees all, unmarked
    hub.add(carol_listens)
    hub.add(bob_listens)
    await post(alice, "Quarterly numbers are in")
    await post(alice, "The dragon returns")
    await post(alice, "Lunch?")
    await hub.poll_once()
    carol_got = drain(carol_listens)
    home, public = _updates(carol_got, "user"), _updates(carol_got, "public:local")
    assert not any("Quarterly" in c for c in home)          # hidden at home...
    assert any("Quarterly" in c for c in public)            # ...but the filter does not name public
    warned = next(p for c, p in home.items() if "dragon" in c)
    assert [r["filter"]["title"] for r in warned["filtered"]] == ["Dragons"]
    assert next(p for c, p in public.items() if "dragon" in c)["filtered"][0]["keyword_matches"] == ["dragon"]
    assert next(p for c, p in home.items() if "Lunch" in c)["filtered"] == []
    bob_home = _updates(drain(bob_listens), "user")
    assert len(bob_home) == 3 and all(p["filtered"] == [] for p in bob_home.values())


async def test_notification_stream_drops_a_hidden_post(api: Api) -> None:
    events.subscribe(api.ctx, record_event)
    hub = Hub(api.ctx)
    alice = await api.client("alice")
    carol_id = int((await api.account("carol"))["id"])
    await _filter(api, "carol", "Noise", ["notifications"], "hide", "standup")
    listening = Connection(carol_id, {Subscription("user:notification")})
    hub.add(listening)
    await post(alice, "@carol standup moved to 10:00")
    await post(alice, "@carol lunch at noon?")
    await hub.poll_once()
    notes = [json.loads(m["payload"]) for m in drain(listening) if m["event"] == "notification"]
    assert [n["type"] for n in notes] == ["mention"]
    assert "lunch" in notes[0]["status"]["content"]
