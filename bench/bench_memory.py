"""(F-d) Worker memory (RSS) with 100,000 queued deliveries.

    .venv/bin/python -m bench.bench_memory            # 100,000 deliveries, workers run 10 s (~40 s)
    .venv/bin/python -m bench.bench_memory --full     # the same, workers run 60 s

The sender's database (bench_fanout's: 10,000 followers on 1,000 instances) gets 100 outgoing
Creates already expanded into 1,000 deliveries each, all `queued`. A child process opens it and
runs `FederationRuntime` (the code of `atrium serve` and `atrium worker`, default concurrency)
against bench/federation_peer.py for a bounded time, sampling its own RSS. Baseline: the same
process's RSS after importing and opening everything, before the workers start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from federation.instance import Instance, ensure_instance_actor
from federation.runner import FederationRuntime
from storage.db import connect
from storage.ids import new_id, now_ms

from . import bench_fanout
from .dataset import RESULTS
from .federation_common import free_ports, note_create, peer_process, rss_mb
from .stats import table


@dataclass(frozen=True)
class Size:
    activities: int = 100
    instances: int = 1_000
    ports: int = 20
    run_s: float = 10.0


QUICK = Size()
FULL = Size(run_s=60.0)


@dataclass
class Result:
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        headers = ["(F-d) worker process, 100,000 queued deliveries", "RSS MB", "÷ idle"]
        return table(headers, self.rows) + "\n\n" + "\n".join(f"- {n}" for n in self.notes)


def build(size: Size, path: Path) -> None:
    bench_fanout.build_template(bench_fanout.Size(instances=size.instances), path)
    now = now_ms()
    with sqlite3.connect(path) as conn:
        author_id = conn.execute("SELECT id FROM accounts WHERE username = 'announcer'").fetchone()[0]
        for a in range(size.activities):
            activity = note_create(bench_fanout.SENDER, "announcer", a)
            outbox_id = new_id()
            conn.execute(
                "INSERT INTO outbox_activities (id, activity_id, activity_type, account_id, object_uri, body, audience,"
                " state, created_at) VALUES (?, ?, 'Create', ?, ?, ?, '{\"followers\":true}', 'expanded', ?)",
                (outbox_id, activity["id"], author_id, activity["object"]["id"], json.dumps(activity), now),
            )
            conn.executemany(
                "INSERT INTO deliveries (id, outbox_activity_id, inbox_url, host, object_uri, state, attempts,"
                " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?)",
                [(new_id(), outbox_id, f"http://{h}/inbox", h, activity["object"]["id"], now, now)
                 for h in (bench_fanout.host(i) for i in range(size.instances))],
            )


async def child(path: str, addresses: dict[str, str], run_s: float) -> dict[str, Any]:
    """In the child process: open, note the idle RSS, run the workers `run_s` seconds sampling RSS."""
    db = await connect(f"sqlite:///{path}")
    instance = Instance.create(base_url=f"http://{bench_fanout.SENDER}", company_audience=bench_fanout.AUDIENCE,
                               peers=list(addresses), peer_addresses=addresses)
    await ensure_instance_actor(db, instance)
    runtime = FederationRuntime(db, instance)
    idle = rss_mb()[0]
    samples = []
    await runtime.start(run_workers=True)
    start = time.perf_counter()
    while time.perf_counter() - start < run_s:
        await asyncio.sleep(0.5)
        samples.append(rss_mb()[0])
    await runtime.stop(grace=2.0)
    done = int(await db.fetchval("SELECT COUNT(*) FROM deliveries WHERE state = 'done'") or 0)
    await db.close()
    return {"idle": idle, "samples": samples, "peak": rss_mb()[1], "done": done, "seconds": run_s}


def run(size: Size, folder: Path) -> Result:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "memory.db"
    build(size, path)
    ports = free_ports(size.ports)
    addresses = {bench_fanout.host(i): f"127.0.0.1:{ports[i % len(ports)]}" for i in range(size.instances)}
    with peer_process(ports, folder):
        done = subprocess.run(
            [sys.executable, "-m", "bench.bench_memory", "--child", str(path), json.dumps(addresses), str(size.run_s)],
            capture_output=True, text=True, timeout=size.run_s + 120, check=False,
            cwd=str(Path(__file__).resolve().parent.parent),
        )
    if done.returncode != 0:
        raise RuntimeError(f"the worker process failed: {done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    idle = figures["idle"]
    samples = figures["samples"] or [float("nan")]
    result = Result()
    result.rows.append(["idle: imported, database open, workers not started", idle, "1.0×"])
    result.rows.append(["**workers running: last sample**", samples[-1], f"{samples[-1] / idle:.2f}×"])
    result.rows.append(["workers running: peak (VmHWM)", figures["peak"], f"{figures['peak'] / idle:.2f}×"])
    result.notes.append(f"{figures['done']:,} of {size.activities * size.instances:,} deliveries made in"
                        f" {figures['seconds']:.0f} s ({figures['done'] / figures['seconds']:,.0f}/s); RSS sampled every"
                        f" 0.5 s: first {samples[0]:.0f} MB, last {samples[-1]:.0f} MB")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_memory")
    parser.add_argument("--full", action="store_true", help="run the workers 60 s")
    parser.add_argument("--child", nargs=3, metavar=("DB", "ADDRESSES", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        path, addresses, seconds = args.child
        print(json.dumps(asyncio.run(child(path, json.loads(addresses), float(seconds)))))
        return
    print(run(FULL if args.full else QUICK, RESULTS / "fed-memory").render())


if __name__ == "__main__":
    main()
