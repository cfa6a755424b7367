"""Readiness and database metrics on both engines, and the ops subsystem's start and stop."""

from __future__ import annotations

import json
import logging

from starlette.applications import Starlette

from server import metrics_share, ops_wiring
from server.access_log import RequestIdFilter
from server.metrics import Gauge
from server.ops_checks import database_metrics, readiness
from server.ops_settings import OpsSettings
from storage import deliveries, outbox
from storage import inbox as inbox_store
from storage.ids import now_ms


def by_name(gauges: list[Gauge]) -> dict[str, Gauge]:
    return {g.name: g for g in gauges}


async def test_a_fresh_instance_is_ready(ctx):
    ready, report = await readiness(ctx, OpsSettings())
    assert ready, report
    assert set(report["checks"]) == {"database", "migrations", "queues"}


async def test_queue_lag_makes_the_instance_unready_unless_the_check_is_off(ctx):
    # Given an outgoing activity that nobody expanded for fifteen minutes
    account = await ctx.db.fetchval("SELECT id FROM accounts LIMIT 1")
    async with ctx.db.transaction() as tx:
        await outbox.enqueue(tx, activity_id="http://paris.test/a/9", activity_type="Create", account_id=account,
                             body={}, audience={})
    await ctx.db.execute("UPDATE outbox_activities SET created_at = ?", (now_ms() - 900_000,))
    # Then the default threshold (ten minutes) fails, a larger one passes, 0 turns the check off
    ready, report = await readiness(ctx, OpsSettings())
    assert not ready
    assert report["checks"]["queues"]["outbox_activities"]["lag_seconds"] >= 900
    assert (await readiness(ctx, OpsSettings(ready_max_queue_lag=3600)))[0]
    assert (await readiness(ctx, OpsSettings(ready_max_queue_lag=0)))[0]


async def test_migrations_applied_by_a_newer_release_do_not_make_the_instance_unready(ctx):
    await ctx.db.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", (9999, "future", 0))
    ready, report = await readiness(ctx, OpsSettings())
    assert ready
    assert report["checks"]["migrations"]["ahead"] == [9999]


async def test_database_metrics_count_queues_per_peer_and_state(ctx):
    account = await ctx.db.fetchval("SELECT id FROM accounts LIMIT 1")
    async with ctx.db.transaction() as tx:
        await outbox.enqueue(tx, activity_id="http://paris.test/a/10", activity_type="Create", account_id=account,
                             body={}, audience={})
    claimed = await deliveries.claim_outbox(ctx.db, now=now_ms(), lock_ms=60_000, limit=1)
    async with ctx.db.transaction() as tx:
        await deliveries.expand(tx, claimed[0], [("https://lyon.test/inbox", "lyon.test"),
                                                 ("https://lyon.test/users/x/inbox", "lyon.test"),
                                                 ("https://montreal.test/inbox", "montreal.test")],
                                now=now_ms() - 5000)
    done = await deliveries.claim_due(ctx.db, now=now_ms(), lock_ms=60_000, limit=1)
    await deliveries.finish(ctx.db, done[0]["id"], done[0]["locked_until"], "done", status=202)
    await inbox_store.insert(ctx.db, activity_id="https://lyon.test/x/3", activity_type="Like",
                             actor_uri="https://lyon.test/users/carol", key_id="k", body="{}")

    gauges = by_name(await database_metrics(ctx))
    assert gauges["atrium_db_up"].values[()] == 1
    assert gauges["atrium_queue_depth"].values[("deliveries",)] == 2
    assert gauges["atrium_queue_due"].values[("deliveries",)] == 2
    assert gauges["atrium_queue_oldest_due_age_seconds"].values[("deliveries",)] >= 5
    assert gauges["atrium_queue_depth"].values[("inbox_items",)] == 1
    per_peer = gauges["atrium_deliveries"].values
    assert sum(per_peer.values()) == 3
    assert sum(v for (peer, state), v in per_peer.items() if state == "done") == 1
    assert {peer for peer, _ in per_peer} == {"lyon.test", "montreal.test"}
    pool = gauges["atrium_db_pool_connections"].values
    assert pool[("size",)] >= 1 and pool[("max",)] >= pool[("size",)]


async def test_database_metrics_say_when_the_database_is_down(ctx):
    await ctx.db.close()
    gauges = by_name(await database_metrics(ctx))
    assert gauges["atrium_db_up"].values[()] == 0
    assert "atrium_queue_depth" not in gauges


async def test_the_ops_subsystem_shares_metrics_while_running_and_cleans_up(ctx, monkeypatch):
    monkeypatch.setenv("ATRIUM_METRICS_TOKEN", "token-of-sixteen-chars")
    app = Starlette()
    stop = await ops_wiring.start(ctx, app)
    try:
        assert ctx.extras["ops"].metrics_token == "token-of-sixteen-chars"
        assert ctx.extras["metrics"] is app.state.metrics
        assert all(any(isinstance(f, RequestIdFilter) for f in h.filters) for h in logging.getLogger().handlers)
        shared = metrics_share.own_file(ctx.settings.data_dir / "metrics")
        snapshot = json.loads(shared.read_text())
        assert "atrium_inbox_verifications_total" in snapshot
        assert "atrium_process_resident_memory_bytes" in snapshot
    finally:
        await stop()
    assert not shared.exists()
