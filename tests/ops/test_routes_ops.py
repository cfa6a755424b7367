"""/healthz, /readyz and /metrics through the ASGI app, as a load balancer and Prometheus see them."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.metrics import MetricsMiddleware
from server.ops_settings import OpsSettings
from storage import deliveries, hosts, outbox
from storage import inbox as inbox_store
from storage.ids import now_ms
from tests.conftest import make_settings

TOKEN = "a-metrics-token-long-enough"
LOOPBACK = {"x-test-peer": "127.0.0.1"}
OUTSIDE = {"x-test-peer": "203.0.113.7"}


class PeerAddress:
    """Sets the connection's address from a test-only header (TestClient has one fixed address)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = scope["headers"]
            for name, value in headers:
                if name == b"x-test-peer":
                    scope["client"] = (value.decode(), 40000)
            scope["headers"] = [(k, v) for k, v in headers if k != b"x-test-peer"]
        await self.app(scope, receive, send)


@pytest.fixture
def app(tmp_path):
    application = create_app(make_settings(tmp_path), run_subsystems=False,
                             extras={"ops": OpsSettings(metrics_token=TOKEN, ready_max_queue_lag=600)})
    if not any(m.cls is MetricsMiddleware for m in application.user_middleware):
        application.add_middleware(MetricsMiddleware)
    return application


@pytest.fixture
def client(app):
    with TestClient(PeerAddress(app), base_url="http://paris.test") as test_client:
        yield test_client


def run(app, client, coro_factory):
    return client.portal.call(coro_factory, app.state.ctx)


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one series in a Prometheus text page."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)$"
    for line in text.splitlines():
        match = re.match(pattern, line)
        if match:
            return float(match.group(1))
    return None


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["x-request-id"])


def test_readyz_is_ready_on_a_fresh_instance(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["status"] == "ok"
    assert report["checks"]["database"]["ok"] is True
    assert report["checks"]["migrations"] == {"ok": True, "pending": [], "ahead": []}
    assert report["checks"]["queues"]["ok"] is True
    assert report["checks"]["queues"]["deliveries"] == {"depth": 0, "due": 0, "lag_seconds": 0.0}


def test_readyz_fails_when_a_queue_lags_but_not_for_a_peer_whose_circuit_is_open(app, client):
    # Given a delivery two hours overdue to a host whose circuit breaker is open
    two_hours_ago = now_ms() - 7_200_000

    async def overdue_delivery(ctx):
        alice = await ctx.db.fetchval("SELECT id FROM accounts LIMIT 1")
        async with ctx.db.transaction() as tx:
            await outbox.enqueue(tx, activity_id="http://paris.test/a/1", activity_type="Create", account_id=alice,
                                 body={"type": "Create"}, audience={"followers": True})
        claimed = await deliveries.claim_outbox(ctx.db, now=now_ms(), lock_ms=60_000, limit=1)
        async with ctx.db.transaction() as tx:
            await deliveries.expand(tx, claimed[0], [("https://lyon.test/inbox", "lyon.test")], now=two_hours_ago)
        await hosts.record_failure(ctx.db, "lyon.test", now=now_ms())
        await hosts.open_circuit(ctx.db, "lyon.test", until=now_ms() + 600_000)

    run(app, client, overdue_delivery)
    # Then the instance is still ready: the breaker holds that delivery back on purpose
    held = client.get("/readyz")
    assert held.status_code == 200, held.text
    assert held.json()["checks"]["queues"]["deliveries"]["depth"] == 1
    assert held.json()["checks"]["queues"]["deliveries"]["due"] == 0

    # When a received activity waits two hours to be processed
    async def overdue_inbox(ctx):
        await inbox_store.insert(ctx.db, activity_id="https://lyon.test/x/1", activity_type="Like",
                                 actor_uri="https://lyon.test/users/carol", key_id="k", body="{}", now=two_hours_ago)

    run(app, client, overdue_inbox)
    lagging = client.get("/readyz")
    # Then the instance is not ready, and says which queue lags
    assert lagging.status_code == 503
    queues = lagging.json()["checks"]["queues"]
    assert queues["ok"] is False
    assert queues["inbox_items"]["due"] == 1
    assert queues["inbox_items"]["lag_seconds"] >= 7200


def test_readyz_reports_pending_migrations(app, client):
    run(app, client, lambda ctx: ctx.db.execute("DELETE FROM schema_migrations WHERE version = 2"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"]["pending"] == ["0002_federation"]


def test_readyz_fails_when_the_database_is_gone(app, client):
    run(app, client, lambda ctx: ctx.db.close())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": {"ok": False, "error": "unreachable"}}}
    assert client.get("/healthz").status_code == 200


def test_metrics_are_served_to_loopback_and_to_the_token_only(client):
    assert client.get("/metrics", headers=LOOPBACK).status_code == 200
    refused = client.get("/metrics", headers=OUTSIDE)
    assert refused.status_code == 403
    assert "atrium_" not in refused.text
    assert client.get("/metrics", headers={**OUTSIDE, "Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get("/metrics", headers={**OUTSIDE, "Authorization": "Bearer wrong-token-of-some-length"}).status_code == 403
    # Through a reverse proxy on the same host every request comes from loopback: not trusted.
    proxied = client.get("/metrics", headers={**LOOPBACK, "X-Forwarded-For": "203.0.113.7"})
    assert proxied.status_code == 403
    assert client.get("/metrics", headers={**LOOPBACK, "Forwarded": "for=203.0.113.7"}).status_code == 403


def test_metrics_count_requests_by_route_template_and_status(client):
    # Given requests to a templated route, a missing page and a probe
    for name in ("alice", "bob", "carol"):
        client.get(f"/users/{name}", headers={"Accept": "application/activity+json"})
    client.get("/no/such/page")
    client.get("/healthz")
    # When Prometheus scrapes
    page = client.get("/metrics", headers=LOOPBACK)
    assert page.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = page.text
    # Then one series per route template, never per URL
    assert sample(text, "atrium_http_requests_total", method="GET", route="/users/{username}", status="404") == 3
    assert sample(text, "atrium_http_requests_total", method="GET", route="<unmatched>", status="404") == 1
    assert sample(text, "atrium_http_requests_total", method="GET", route="/healthz", status="200") == 1
    assert "/users/alice" not in text
    assert sample(text, "atrium_http_request_duration_seconds_count", method="GET", route="/users/{username}") == 3
    assert sample(text, "atrium_http_request_duration_seconds_bucket", method="GET", route="/users/{username}",
                  le="+Inf") == 3
    assert "# TYPE atrium_http_request_duration_seconds histogram" in text


def test_metrics_report_queues_deliveries_inbox_and_the_pool(app, client):
    async def work(ctx):
        account = await ctx.db.fetchval("SELECT id FROM accounts LIMIT 1")
        async with ctx.db.transaction() as tx:
            await outbox.enqueue(tx, activity_id="http://paris.test/a/2", activity_type="Create", account_id=account,
                                 body={}, audience={})
        claimed = await deliveries.claim_outbox(ctx.db, now=now_ms(), lock_ms=60_000, limit=1)
        async with ctx.db.transaction() as tx:
            await deliveries.expand(tx, claimed[0], [("https://lyon.test/inbox", "lyon.test"),
                                                     ("https://montreal.test/inbox", "montreal.test")])
        await inbox_store.insert(ctx.db, activity_id="https://lyon.test/x/2", activity_type="Follow",
                                 actor_uri="https://lyon.test/users/carol", key_id="k", body="{}")

    run(app, client, work)
    text = client.get("/metrics", headers=LOOPBACK).text
    assert sample(text, "atrium_db_up") == 1
    assert sample(text, "atrium_migrations_pending") == 0
    assert sample(text, "atrium_queue_depth", queue="deliveries") == 2
    assert sample(text, "atrium_queue_depth", queue="inbox_items") == 1
    assert sample(text, "atrium_queue_depth", queue="outbox_activities") == 0
    assert sample(text, "atrium_queue_oldest_due_age_seconds", queue="deliveries") is not None
    assert sample(text, "atrium_deliveries", peer="lyon.test", result="queued") == 1
    assert sample(text, "atrium_deliveries", peer="montreal.test", result="queued") == 1
    assert sample(text, "atrium_inbox_items", state="queued") == 1
    assert sample(text, "atrium_db_pool_connections", state="size") == 3
    assert re.search(r'^atrium_process_resident_memory_bytes\{pid="\d+"\} \d+$', text, re.M)
