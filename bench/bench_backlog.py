"""(F-c) Backlog drain: queued incoming Create{Note}s processed per second while home timelines are read.

    .venv/bin/python -m bench.bench_backlog            # reduced: 1,500 items per variant (~1.5 min)
    .venv/bin/python -m bench.bench_backlog --full     # 50,000 items per variant (several minutes)

The database holds `inbox_items` rows (`queued`, as the inbox stores them after its 202) of
realistic Create{Note} bodies (about 1.3 KB, public, a hashtag) from known remote actors, stored
with their keys; 20 local accounts, a `reader` among them, follow those actors, so every post
processed is also fanned out to 20 home feeds. `FederationRuntime` then runs its workers
in-process (the code `atrium serve` runs, default concurrency 8) until the queue is empty.

Concurrently, on the same event loop and database handle, as a web request would: the reader's
home timeline, `storage.timelines.home` + `hydrate.load_statuses` (40), paced at 20 reads/s.
Its baseline is the same read with the workers idle, measured first in the same run.

Two variants: every item from one actor (what the brief asks), and the same count from 100 actors.
The inbox keeps each actor's activities about one object in order; Creates of distinct posts are
applied in rounds, one transaction each (federation/batch.py), from one actor as from many.
Followers' home feeds are filled after the commit by fan-out jobs, which this rate does not wait for.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from federation.instance import Instance, ensure_instance_actor
from federation.keys import generate_rsa_keypair
from federation.runner import FederationRuntime
from storage import accounts, hydrate, timelines
from storage.db import SQLiteDatabase, connect
from storage.ids import new_id, now_ms
from storage.pagination import Page

from .dataset import RESULTS
from .federation_common import actor_uri, insert_follows, insert_remote_accounts, migrated, note_create
from .stats import Latency, table

LOCAL = "home.backlog.test"
REMOTE = "peer.backlog.test"
READ_RATE = 20.0


@dataclass(frozen=True)
class Size:
    items: int = 1_500
    local_followers: int = 20
    deadline_s: float = 45.0


QUICK = Size()
FULL = Size(items=50_000, deadline_s=600.0)


@dataclass
class Result:
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        headers = ["(F-c) backlog drain", "items", "seconds", "items/s", "home p50 ms", "home p99 ms",
                   "p99 ÷ idle p99", "target"]
        return table(headers, self.rows) + "\n\n" + "\n".join(f"- {n}" for n in self.notes)


def build(size: Size, path: Path, actors: int) -> None:
    migrated(path)
    _private, public_pem = generate_rsa_keypair()
    names = [f"author{i:03d}" for i in range(actors)]
    with sqlite3.connect(path) as conn:
        remote_ids = insert_remote_accounts(conn, [(REMOTE, n, f"http://{REMOTE}/inbox", public_pem) for n in names])
        now = now_ms()
        local_ids = []
        for i in range(size.local_followers):
            name = "reader" if i == 0 else f"colleague{i:02d}"
            uri = actor_uri(LOCAL, name)
            local_ids.append(account_id := new_id())
            conn.execute(
                "INSERT INTO accounts (id, uri, username, domain, display_name, url, inbox_url, shared_inbox_url,"
                " outbox_url, followers_url, following_url, public_key_id, public_key_pem, private_key_pem,"
                " created_at, updated_at) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
                (account_id, uri, name, name, uri, f"{uri}/inbox", f"http://{LOCAL}/inbox", f"{uri}/outbox",
                 f"{uri}/followers", f"{uri}/following", f"{uri}#main-key", public_pem, now, now),
            )
        insert_follows(conn, [(local, remote) for local in local_ids for remote in remote_ids])
        rows = []
        for n in range(size.items):
            name = names[n % actors]
            activity = note_create(REMOTE, name, n)
            uri = actor_uri(REMOTE, name)
            rows.append((new_id(), activity["id"], "Create", uri, f"{uri}#main-key", json.dumps(activity), now, now))
        conn.executemany(
            "INSERT INTO inbox_items (id, activity_id, activity_type, actor_uri, key_id, recipient_account_id, body,"
            " state, attempts, next_attempt_at, received_at) VALUES (?, ?, ?, ?, ?, NULL, ?, 'queued', 0, ?, ?)",
            rows,
        )


async def drain(size: Size, path: Path) -> dict[str, Any]:
    db = await connect(f"sqlite:///{path}")
    assert isinstance(db, SQLiteDatabase)
    instance = Instance.create(base_url=f"http://{LOCAL}", company_audience="https://company.backlog.test/ns",
                               federation_mode="closed", peers=[REMOTE])
    await ensure_instance_actor(db, instance)
    reader = await accounts.get_by_uri(db, actor_uri(LOCAL, "reader"))
    assert reader is not None
    reader_id = int(reader["id"])

    async def read_home() -> None:
        ids = await timelines.home(db, reader_id, Page(limit=40))
        await hydrate.load_statuses(db, ids, reader_id)

    async def paced(stop: asyncio.Event, samples: list[float], limit_s: float) -> None:
        start = time.perf_counter()
        n = 0
        while not stop.is_set() and time.perf_counter() - start < limit_s:
            due = start + n / READ_RATE
            n += 1
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            await read_home()
            samples.append((time.perf_counter() - due) * 1000)  # from when it was due: stalls count

    runtime = FederationRuntime(db, instance, poll_interval=0.5)
    idle: list[float] = []
    busy: list[float] = []
    try:
        # The feed fills as items are processed: one batch first, so the idle baseline reads a page.
        await runtime.inbox_worker.run_once()
        await paced(asyncio.Event(), idle, 3.0)
        stop = asyncio.Event()
        reads = asyncio.create_task(paced(stop, busy, size.deadline_s))
        start = time.perf_counter()
        await runtime.start(run_workers=True)
        remaining = size.items
        while time.perf_counter() - start < size.deadline_s:
            await asyncio.sleep(0.25)
            remaining = int(await db.fetchval("SELECT COUNT(*) FROM inbox_items WHERE state = 'queued'") or 0)
            if not remaining:
                break
        elapsed = time.perf_counter() - start
        stop.set()
        await reads
        states = {r["state"]: r["n"] for r in await db.fetchall(
            "SELECT state, COUNT(*) AS n FROM inbox_items GROUP BY state")}
        feed = int(await db.fetchval("SELECT COUNT(*) FROM home_feed WHERE account_id = ?", (reader_id,)) or 0)
    finally:
        await runtime.stop(grace=2.0)
        await db.close()
    return {"processed": size.items - remaining, "seconds": elapsed, "idle": Latency.of(idle),
            "busy": Latency.of(busy), "states": states, "feed": feed}


def run(size: Size, folder: Path) -> Result:
    folder.mkdir(parents=True, exist_ok=True)
    result = Result()
    for actors in (1, 100):
        path = folder / "backlog.db"
        started = time.perf_counter()
        build(size, path, actors)
        built_s = time.perf_counter() - started
        figures = asyncio.run(drain(size, path))
        idle, busy = figures["idle"], figures["busy"]
        label = "one actor" if actors == 1 else f"{actors} actors"
        result.rows.append([f"idle baseline ({label}): home + hydrate, paced {READ_RATE:.0f}/s", "-", "-", "-",
                            idle.p50, idle.p99, "1.0×", "-"])
        result.rows.append([f"**drain, {label}**", figures["processed"], figures["seconds"],
                            figures["processed"] / figures["seconds"], busy.p50, busy.p99,
                            f"{busy.p99 / idle.p99:.1f}×" if idle.p99 else "-", ">= 1,000/s, p99 <= 100 ms"])
        result.notes.append(f"{label}: built in {built_s:.1f} s; final states {figures['states']}; the reader's"
                            f" feed has {figures['feed']:,} rows; {busy.count} timeline reads during the drain")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_backlog")
    parser.add_argument("--full", action="store_true", help="50,000 items per variant")
    args = parser.parse_args(argv)
    print(run(FULL if args.full else QUICK, RESULTS / "fed-backlog").render())


if __name__ == "__main__":
    main()
