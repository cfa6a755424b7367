"""The metrics registry, its text format, sharing between worker processes, and the middleware."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from server import metrics_share
from server.metrics import MetricsMiddleware, Registry, registry_of
from server.middleware import RequestIdMiddleware


def test_counters_gauges_and_histograms_render_in_the_text_format():
    registry = Registry()
    hits = registry.counter("atrium_hits_total", "Hits.\nSecond line", ("route",))
    hits.inc("/a")
    hits.inc("/a", amount=2)
    hits.inc('/b"\\\n')
    depth = registry.gauge("atrium_depth", "Depth.")
    depth.set(4)
    depth.dec()
    latency = registry.histogram("atrium_latency_seconds", "Latency.", ("route",), buckets=(0.1, 1.0))
    for value in (0.05, 0.1, 0.5, 3.0):
        latency.observe(value, "/a")

    assert registry.render().splitlines() == [
        "# HELP atrium_hits_total Hits.\\nSecond line",
        "# TYPE atrium_hits_total counter",
        'atrium_hits_total{route="/a"} 3',
        'atrium_hits_total{route="/b\\"\\\\\\n"} 1',
        "# HELP atrium_depth Depth.",
        "# TYPE atrium_depth gauge",
        "atrium_depth 3",
        "# HELP atrium_latency_seconds Latency.",
        "# TYPE atrium_latency_seconds histogram",
        'atrium_latency_seconds_bucket{route="/a",le="0.1"} 2',
        'atrium_latency_seconds_bucket{route="/a",le="1"} 3',
        'atrium_latency_seconds_bucket{route="/a",le="+Inf"} 4',
        'atrium_latency_seconds_sum{route="/a"} 3.65',
        'atrium_latency_seconds_count{route="/a"} 4',
    ]


def test_a_metric_is_defined_once_and_misuse_is_refused():
    registry = Registry()
    assert registry.counter("c_total", "C.", ("a",)) is registry.counter("c_total", "C.", ("a",))
    with pytest.raises(ValueError):
        registry.gauge("c_total", "C.", ("a",))
    with pytest.raises(ValueError):
        registry.counter("c_total", "C.", ("b",))
    with pytest.raises(ValueError):
        registry.counter("c_total", "C.", ("a",)).inc("x", "y")
    with pytest.raises(ValueError):
        registry.counter("c_total", "C.", ("a",)).inc("x", amount=-1)


def test_snapshots_of_sibling_processes_are_summed_and_odd_ones_skipped():
    # Given two workers' registries
    mine, theirs = Registry(), Registry()
    for registry, n in ((mine, 2), (theirs, 5)):
        registry.counter("req_total", "R.", ("status",)).inc("200", amount=n)
        registry.histogram("lat_seconds", "L.", (), buckets=(1.0,)).observe(0.5)
        registry.gauge("rss_bytes", "M.", ("pid",)).set(n * 100, str(n))
    theirs.counter("only_theirs_total", "O.").inc()
    odd = {"req_total": {"kind": "counter", "help": "R.", "labels": ["other"], "values": [[["x"], 1]]}}
    # When they are merged
    merged = mine.merged([theirs.snapshot(), odd, {"broken": {"kind": "histogram"}}])
    text = merged.render()
    # Then counters and histograms add up, per-process series stay apart, misfits are left out
    assert 'req_total{status="200"} 7' in text
    assert 'lat_seconds_count 2' in text
    assert 'lat_seconds_bucket{le="1"} 2' in text
    assert 'rss_bytes{pid="2"} 200' in text and 'rss_bytes{pid="5"} 500' in text
    assert "only_theirs_total 1" in text
    assert "broken" not in text
    # And the live registry is unchanged
    assert 'req_total{status="200"} 2' in mine.render()


def test_worker_files_are_shared_and_dead_or_stale_ones_ignored(tmp_path):
    registry = Registry()
    registry.counter("req_total", "R.").inc()
    metrics_share.write_snapshot(tmp_path, registry)
    assert json.loads(metrics_share.own_file(tmp_path).read_text())["req_total"]["values"] == [[[], 1.0]]
    # Our own file is not a sibling's
    assert metrics_share.sibling_snapshots(tmp_path) == []

    prefix = metrics_share.own_file(tmp_path).name.rsplit("-", 1)[0]
    sibling = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        alive = tmp_path / f"{prefix}-{sibling.pid}.json"
        alive.write_text(json.dumps(registry.snapshot()))
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        gone = tmp_path / f"{prefix}-{int(dead.stdout)}.json"
        gone.write_text(json.dumps(registry.snapshot()))
        stale = tmp_path / f"{prefix}-{os.getppid()}.json"
        stale.write_text(json.dumps(registry.snapshot()))
        old = time.time() - 3600
        os.utime(stale, (old, old))
        other_host = tmp_path / f"elsewhere-{sibling.pid}.json"
        other_host.write_text(json.dumps(registry.snapshot()))

        found = metrics_share.sibling_snapshots(tmp_path)
        assert len(found) == 1
        assert not gone.exists() and not stale.exists()
        assert alive.exists() and other_host.exists()
    finally:
        sibling.kill()
        sibling.wait()
    metrics_share.remove_own(tmp_path)
    assert not metrics_share.own_file(tmp_path).exists()


def _app(*, lead_order: bool = True) -> Starlette:
    async def ok(request):
        return PlainTextResponse("ok")

    async def boom(request):
        raise RuntimeError("unexpected")

    inner = [Route("/items/{item_id:int}", ok)]
    routes = [Route("/ok", ok), Route("/boom", boom), Mount("/shop", routes=inner)]
    middleware = [Middleware(RequestIdMiddleware), Middleware(MetricsMiddleware)]
    return Starlette(routes=routes, middleware=middleware if lead_order else middleware[::-1])


@pytest.mark.parametrize("lead_order", [True, False], ids=["after-request-id", "outermost"])
def test_the_middleware_labels_mounted_routes_and_counts_crashes_as_500(lead_order):
    app = _app(lead_order=lead_order)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/shop/items/7").status_code == 200
        assert client.get("/shop/items/8").status_code == 200
        assert client.get("/shop/nothing").status_code == 404
        assert client.get("/boom").status_code == 500
        assert client.post("/ok").status_code == 405
        client.request("BREW", "/ok")
    text = registry_of(app).render()
    assert 'atrium_http_requests_total{method="GET",route="/shop/items/{item_id:int}",status="200"} 2' in text
    assert 'atrium_http_requests_total{method="GET",route="/shop",status="404"} 1' in text
    assert 'atrium_http_requests_total{method="GET",route="/boom",status="500"} 1' in text
    assert 'atrium_http_requests_total{method="POST",route="/ok",status="405"} 1' in text
    assert 'atrium_http_requests_total{method="OTHER",route="/ok",status="405"} 1' in text
    assert "atrium_http_requests_in_flight 0" in text
