"""The headline's measurements, each on one engine, each bounded by a count and a deadline.

They reuse the scenarios' public pieces: bench_inbox's pre-signed pool and wrk replay,
bench_fanout's sender database, its loopback peer process and its delivery ceiling, bench_http's
load generators (wrk closed loop, httpx paced open loop) and bench.baseline_app. What differs is
the shape: real `atrium serve --workers N` and `atrium worker` processes on SQLite or PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from federation.keys import generate_rsa_keypair
from storage import accounts, outbox
from storage.db import connect

from . import bench_fanout, bench_inbox, dataset, loadgen, servers
from .federation_common import insert_remote_accounts, migrated, note_create, presign, wrk_pool
from .headline_engines import Engine, rss_of, serve, sql, web_processes, workers

HOME = "/api/v1/timelines/home?limit=40"
POST_BODY = {"status": "Bench post {n} from the weekly sync #topic1"}


@dataclass(frozen=True)
class Plan:
    """How long each measurement runs (every loop also stops at its count)."""

    seconds: int = 8               # each wrk closed-loop run
    paced_seconds: float = 12.0    # each paced (open-loop) run
    home_rate: float = 20.0        # paced home timeline reads/s
    post_rate: float = 10.0        # paced posts/s
    connections: int = 50
    inbox_pool: int = 20_000       # pre-signed inbox requests (distinct activity ids)
    inbox_actors: int = 50
    instances: int = 50            # fan-out: 10,000 followers over 50 instances
    followers_per_instance: int = 200
    fanout_deadline: float = 20.0  # seconds per fan-out run (the rate counts what was done by then)
    peer_ports: int = 10


QUICK = Plan()
FULL = Plan(seconds=15, paced_seconds=30.0, inbox_pool=40_000, fanout_deadline=90.0)


@dataclass
class Shared:
    """What both engines use, built and measured once per run."""

    folder: Path
    inbox_source: Path
    inbox_pool: Path
    inbox_public_pem: str
    fanout_source: Path
    fanout_private_pem: str
    presign_s: float = 0.0
    figures: dict[str, Any] = field(default_factory=dict)   # the ceilings and baselines


def prepare(plan: Plan, folder: Path) -> Shared:
    """The small source databases, the pre-signed inbox pool (signing stays out of every measurement)."""
    folder.mkdir(parents=True, exist_ok=True)
    private_pem, public_pem = generate_rsa_keypair()
    names = [f"sender{i:03d}" for i in range(plan.inbox_actors)]
    inbox_source = folder / "inbox-src.db"
    migrated(inbox_source)
    with sqlite3.connect(inbox_source) as conn:
        insert_remote_accounts(conn, [(bench_inbox.SENDER, n, f"http://{bench_inbox.SENDER}/inbox", public_pem)
                                      for n in names])
    pool = folder / "inbox-pool.tsv"
    signed_s = presign(f"http://{dataset.DOMAIN}/inbox", private_pem,
                       bench_inbox._items(bench_inbox.SENDER, names, plan.inbox_pool, "h"), pool)
    fanout_source = folder / "fanout-src.db"
    fan_private, _ = bench_fanout.build_template(
        bench_fanout.Size(instances=plan.instances, followers_per_instance=plan.followers_per_instance), fanout_source)
    return Shared(folder, inbox_source, pool, public_pem, fanout_source, fan_private, signed_s)


# --- ceilings and baselines (no Atrium, no engine) -------------------------------------------------

def inbox_ceiling(plan: Plan, shared: Shared) -> dict[str, Any]:
    """bench/federation_ceiling_app.py (digest + one RSA verify) on the same pre-signed pool."""
    key_file = shared.folder / "sender-public.pem"
    key_file.write_text(shared.inbox_public_pem)
    env = {**servers.atrium_env(shared.folder / "unused.db", shared.folder), "BENCH_PUBLIC_KEY_FILE": str(key_file),
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    server = servers._start("ceiling", [sys.executable, "-m", "uvicorn", "bench.federation_ceiling_app:app", "--host",
                                        "127.0.0.1", "--port", "{port}", "--log-level", "warning", "--no-access-log"],
                            env, shared.folder, "/ready", 60.0)
    try:
        wrk_pool(server.base_url, "/inbox", shared.inbox_pool, connections=plan.connections, seconds=2)
        return wrk_pool(server.base_url, "/inbox", shared.inbox_pool, connections=plan.connections,
                        seconds=plan.seconds)
    finally:
        server.stop()


def delivery_ceiling(plan: Plan, shared: Shared, ports: list[int]) -> dict[str, Any]:
    """bench_fanout's ceiling: one process signing and POSTing, 32 at once, to the same loopback peer."""
    size = bench_fanout.Size(instances=plan.instances, ceiling_posts=2_000, concurrency=32)
    posted, seconds = asyncio.run(bench_fanout.ceiling(size, ports, shared.fanout_private_pem))
    return {"done": posted, "seconds": seconds, "rate": posted / seconds}


def http_baselines(plan: Plan, data: dataset.Dataset, folder: Path) -> dict[str, Any]:
    """bench.baseline_app (bare Starlette + one SQLite SELECT of 40 ids / one INSERT) under wrk."""
    path = dataset.working_copy(data, folder / "baseline")
    try:
        with servers.baseline_serve(path, folder) as base:
            url = base.base_url
            loadgen.run_wrk(f"{url}/ids?account_id={data.reader_id}", concurrency=plan.connections, seconds=2,
                            folder=folder)
            read = loadgen.run_wrk(f"{url}/ids?account_id={data.reader_id}", concurrency=plan.connections,
                                   seconds=plan.seconds, folder=folder)
            write = loadgen.run_wrk(f"{url}/insert", concurrency=plan.connections, seconds=plan.seconds,
                                    method="POST", json_body=POST_BODY, folder=folder)
        # The same read with two processes: the floor of the two-process home figures, latency
        # included (what a closed loop of 50 clients gets from a server doing next to nothing).
        with servers.baseline_serve(path, folder, workers=2) as base:
            url = base.base_url
            loadgen.run_wrk(f"{url}/ids?account_id={data.reader_id}", concurrency=plan.connections, seconds=2,
                            folder=folder)
            read_2 = loadgen.run_wrk(f"{url}/ids?account_id={data.reader_id}", concurrency=plan.connections,
                                     seconds=plan.seconds, folder=folder)
        return {"read": read, "write": write, "read_2": read_2}
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


# --- (1) signed inbox POSTs ------------------------------------------------------------------------

def inbox(engine: Engine, plan: Plan, shared: Shared) -> dict[str, Any]:
    """wrk replaying the pre-signed pool at `atrium serve` (one worker): verify, dedupe, store, 202."""
    with engine.small(shared.inbox_source, shared.folder, "inbox") as url:
        server = serve(url, shared.folder, extra={"ATRIUM_PEERS": bench_inbox.SENDER})
        try:
            figures = wrk_pool(server.base_url, "/inbox", shared.inbox_pool, connections=plan.connections,
                               seconds=plan.seconds)
            figures["rss"] = rss_of(web_processes(server))
        finally:
            server.stop()
        figures["stored"] = int(sql(url, "SELECT COUNT(*) FROM inbox_items") or 0)   # type: ignore[call-overload]
    return figures


# --- (2) fan-out by `atrium worker` processes ----------------------------------------------------------

def peer_addresses(plan: Plan, ports: list[int]) -> dict[str, str]:
    return {bench_fanout.host(i): f"127.0.0.1:{ports[i % len(ports)]}" for i in range(plan.instances)}


async def _drive_fanout(url: str, expected: int, deadline: float) -> dict[str, Any]:
    """Queue one Create to the announcer's followers; poll until every delivery is done or the deadline."""
    db = await connect(url)
    try:
        author = await accounts.get_by_uri(db, f"http://{bench_fanout.SENDER}/users/announcer")
        assert author is not None
        activity = note_create(bench_fanout.SENDER, "announcer", 1)
        start = time.perf_counter()
        async with db.transaction() as tx:
            await outbox.enqueue(tx, activity_id=activity["id"], activity_type="Create", account_id=int(author["id"]),
                                 body=activity, audience={"followers": True}, object_uri=activity["object"]["id"])
        first_at, first_done = None, 0
        done = 0
        while time.perf_counter() - start < deadline:
            await asyncio.sleep(0.1)
            done = int(await db.fetchval("SELECT COUNT(*) FROM deliveries WHERE state = 'done'") or 0)
            if first_at is None and done:
                first_at, first_done = time.perf_counter() - start, done
            if done >= expected:
                break
        elapsed = time.perf_counter() - start
        states = {str(r["state"]): int(r["n"]) for r in await db.fetchall(
            "SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state")}
    finally:
        await db.close()
    # `steady`: the rate once deliveries flow (from the first done to the end), without the
    # worker's pick-up, the expansion and the first claims.
    steady = (done - first_done) / (elapsed - first_at) if first_at is not None and elapsed > first_at else 0.0
    return {"done": done, "expected": expected, "seconds": elapsed, "first_s": first_at,
            "rate": done / elapsed if elapsed else 0.0, "steady": steady, "states": states}


def fanout(engine: Engine, plan: Plan, shared: Shared, addresses: dict[str, str], *, processes: int,
           shared_inboxes: bool) -> dict[str, Any]:
    """One post to 10,000 followers over 50 instances, delivered by `processes` `atrium worker`s."""
    tag = f"fanout{processes}{'s' if shared_inboxes else 'p'}"
    with engine.small(shared.fanout_source, shared.folder, tag) as url:
        if not shared_inboxes:   # each follower's own inbox: one delivery per follower
            sql(url, "UPDATE accounts SET shared_inbox_url = NULL WHERE domain IS NOT NULL")
        expected = plan.instances if shared_inboxes else plan.instances * plan.followers_per_instance
        extra = {"ATRIUM_DOMAIN": bench_fanout.SENDER, "ATRIUM_PEERS": ",".join(addresses),
                 "ATRIUM_PEER_ADDRESSES": ",".join(f"{h}={a}" for h, a in addresses.items())}
        with workers(processes, url, shared.folder, extra=extra) as procs:
            for proc in procs:
                proc.ready()
            figures = asyncio.run(_drive_fanout(url, expected, plan.fanout_deadline))
            figures["rss"] = [p.rss() for p in procs]
    return figures


# --- (3)-(5) home timeline, post creation, memory ----------------------------------------------------

def _read_probe(base_url: str, headers: dict[str, str]) -> str:
    import httpx

    answer = httpx.get(base_url + HOME, headers=headers, timeout=30.0)
    if answer.status_code != 200 or not isinstance(answer.json(), list):
        raise RuntimeError(f"{HOME} answered {answer.status_code}: {answer.text[:300]}")
    return f"{len(answer.json())} statuses, {len(answer.content):,} bytes"


def _combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several wrk runs of one configuration: mean throughput, the worst p50 and p99, every run kept."""
    return {"rps": sum(r["rps"] for r in runs) / len(runs), "p50": max(r["p50"] for r in runs),
            "p99": max(r["p99"] for r in runs), "count": sum(r["count"] for r in runs),
            "non2xx": sum(r["non2xx"] for r in runs), "runs": runs}


def http(engine: Engine, plan: Plan, data: dataset.Dataset, folder: Path) -> dict[str, Any]:
    """On a working copy of the 1,000,000-post dataset, `serve --workers 1` and `serve --workers 2`
    up side by side (the idle one costs nothing): the home timeline under wrk on each in turn,
    1, 2, 1, 2 (so that a change of load on the shared machine does not favour one), then on the
    one-process server the paced home timeline, POST /api/v1/statuses (paced, then wrk) and RSS.
    One `atrium worker` runs beside them, as in a scaled deployment (web processes with
    ATRIUM_RUN_WORKERS=false)."""
    out: dict[str, Any] = {}
    with engine.big(data, folder) as (url, path, copy_s):
        out["copy_s"] = copy_s
        tokens = servers.mint_bearer_tokens(path or folder / "unused.db", [data.reader_id, *data.posters],
                                            database_url=url)
        reader, posters = tokens[:1], tokens[1:]
        with workers(1, url, folder) as procs:
            for proc in procs:
                proc.ready()
            started: dict[int, servers.Server] = {}
            try:
                for n in (1, 2):
                    started[n] = serve(url, folder, workers=n)
                    out["surface"] = _read_probe(started[n].base_url, reader[0])
                    loadgen.run_wrk(started[n].base_url + HOME, concurrency=plan.connections, seconds=2,
                                    headers=reader, folder=folder)   # warm-up: this server's caches
                runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
                for n in (1, 2, 1, 2):
                    runs[n].append(loadgen.run_wrk(started[n].base_url + HOME, concurrency=plan.connections,
                                                   seconds=max(4, plan.seconds // 2), headers=reader, folder=folder))
                for n in (1, 2):
                    out[f"home_wrk_{n}"] = _combine(runs[n])
                base = started[1].base_url
                out["home_paced"] = loadgen.run_httpx({
                    "url": base + HOME, "concurrency": plan.connections, "headers": reader,
                    "requests": int(plan.home_rate * plan.paced_seconds), "rate": plan.home_rate,
                    "seconds": plan.paced_seconds + 5, "warmup": 20})
                out["post_paced"] = loadgen.run_httpx({
                    "url": base + "/api/v1/statuses", "concurrency": plan.connections, "headers": posters,
                    "method": "POST", "json_body": POST_BODY, "requests": int(plan.post_rate * plan.paced_seconds),
                    "rate": plan.post_rate, "seconds": plan.paced_seconds + 5, "warmup": 10})
                out["post_wrk"] = loadgen.run_wrk(
                    base + "/api/v1/statuses", concurrency=plan.connections, seconds=plan.seconds,
                    headers=posters, method="POST", json_body=POST_BODY, folder=folder)
                for n, server in started.items():
                    out[f"rss_web_{n}"] = rss_of(web_processes(server))
            finally:
                for server in started.values():
                    server.stop()
            out["rss_worker_idle"] = [p.rss() for p in procs]
            out["worker_exited"] = [p.log_tail() for p in procs if p.process.poll() is not None]
        out["posts_stored"] = int(sql(url, "SELECT COUNT(*) FROM statuses WHERE content LIKE '%Bench post%'") or 0)  # type: ignore[call-overload]
    return out


def dump(figures: dict[str, Any], path: Path) -> None:
    """Every raw figure of the run (wrk's own output included) for whoever doubts a table cell."""
    path.write_text(json.dumps(figures, indent=1, default=str))
