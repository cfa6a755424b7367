"""The entities of filters, scheduled posts, web push, followed tags and notes, field by field
against Mastodon's documentation (as Mastodon.py's return types record it: tests/api/mastodon_spec.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.api import mastodon_spec
from tests.api.conftest import Api, post


def conforms(entity: str, value: dict[str, Any], **kwargs: Any) -> None:
    problems = mastodon_spec.check(entity, value, **kwargs)
    assert not problems, problems


async def test_filter_entities(api: Api, alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    carol_id = (await carol.get("/api/v1/accounts/verify_credentials")).json()["id"]
    await alice.post(f"/api/v1/accounts/{carol_id}/follow")
    carols = await post(carol, "A dragon appears")
    made = (await alice.post("/api/v2/filters", json={"title": "Dragons", "context": ["home"], "expires_in": 600,
                                                      "keywords_attributes": [{"keyword": "dragon"}]})).json()
    entry = (await alice.post(f"/api/v2/filters/{made['id']}/statuses", data={"status_id": carols["id"]})).json()
    conforms("FilterStatus", entry)
    conforms("FilterV2", (await alice.get(f"/api/v2/filters/{made['id']}")).json())
    conforms("FilterKeyword", made["keywords"][0])
    conforms("Filter", (await alice.get("/api/v1/filters")).json()[0])
    result = (await alice.get("/api/v1/timelines/home")).json()[0]["filtered"][0]
    conforms("FilterResult", {k: v for k, v in result.items() if k != "filter"}, optional=frozenset({"filter"}))
    # Inside a FilterResult, Mastodon leaves the filter's keywords and statuses out.
    conforms("FilterV2", result["filter"], optional=frozenset({"keywords", "statuses"}))


async def test_scheduled_push_tag_and_relationship_entities(api: Api, alice: httpx.AsyncClient,
                                                            carol: httpx.AsyncClient) -> None:
    when = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    scheduled = (await alice.post("/api/v1/statuses", data={"status": "later", "scheduled_at": when})).json()
    conforms("ScheduledStatus", {k: v for k, v in scheduled.items() if k not in ("params", "atrium")},
             optional=frozenset({"params"}))
    conforms("ScheduledStatusParams", {k: v for k, v in scheduled["params"].items() if k != "local_only"})
    pusher = await api.client("alice", "push")
    key = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
    subscription = (await pusher.post("/api/v1/push/subscription", json={
        "subscription": {"endpoint": "https://push.example/1", "keys": {"p256dh": key, "auth": "MDEyMzQ1Njc4OWFiY2RlZg"}},
        "data": {"alerts": {"mention": True}}})).json()
    # Mastodon's JSON names these alerts as its notification types, `admin.sign_up` and `admin.report`
    # (as Mastodon.py sends them); its return type spells them with underscores.
    conforms("WebPushSubscription", {k: v for k, v in subscription.items() if k != "alerts"},
             optional=frozenset({"alerts"}))
    conforms("WebPushSubscriptionAlerts", subscription["alerts"], optional=frozenset({"admin_sign_up", "admin_report"}))
    assert {"admin.sign_up", "admin.report"} <= set(subscription["alerts"])
    tag = (await alice.post("/api/v1/tags/news/follow")).json()
    conforms("Tag", tag)
    assert tag["following"] is True
    carol_id = (await carol.get("/api/v1/accounts/verify_credentials")).json()["id"]
    conforms("Relationship", (await alice.post(f"/api/v1/accounts/{carol_id}/note", data={"comment": "hi"})).json())
