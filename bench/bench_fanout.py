"""(F-b) Fan-out of one post to 10,000 remote followers on 1,000 instances, as a ratio to a ceiling.

    .venv/bin/python -m bench.bench_fanout            # reduced: 2,000 followers on 200 instances (~1 min)
    .venv/bin/python -m bench.bench_fanout --full     # 10,000 followers on 1,000 instances (~3 min)

- Followers are remote accounts written directly in the sender's database, 10 per instance, all
  with the instance's shared inbox: one post means 1,000 deliveries. The 1,000 host names
  (`iNNNN.fanout.test`) are allowlisted peers whose addresses (`peer_addresses`, as
  ATRIUM_PEER_ADDRESSES) map them onto 20 loopback ports of bench/federation_peer.py, which answers
  202 at once. Hosts are spread over ports round-robin, so every connection pool key is distinct.
- Atrium: `FederationRuntime` in-process (SQLite, the same code `atrium serve` runs: outbox worker
  expands, delivery worker claims and POSTs signed, records each outcome), default concurrency
  (32 deliveries at once). Timed from queueing the Create to the last acknowledged delivery.
- Ceiling: one process signing (federation.httpsig.sign_request, key cached) and POSTing with
  httpx, 32 at once, to the same loopback sink: no database, no claims, no bookkeeping.
- Variants: 5 % of the instances (50 hosts) slow (the peer answers after 2 s) or dead (their
  address is a closed port). Healthy hosts should keep >= 80 % of their rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from activitypub.constants import ACTIVITY_JSON
from federation.httpsig import sign_request
from federation.instance import Instance, ensure_instance_actor
from federation.keys import generate_rsa_keypair
from federation.runner import FederationRuntime
from storage import accounts, outbox
from storage.db import SQLiteDatabase, connect

from .dataset import RESULTS
from .federation_common import (
    free_ports,
    insert_follows,
    insert_remote_accounts,
    migrated,
    note_create,
    peer_process,
)
from .stats import table

SENDER = "sender.fanout.test"
AUDIENCE = "https://company.fanout.test/ns/members"


@dataclass(frozen=True)
class Size:
    instances: int = 1_000
    followers_per_instance: int = 10
    ports: int = 20
    bad_share: float = 0.05
    delay: float = 2.0
    ceiling_posts: int = 2_000
    concurrency: int = 32
    deadline_s: float = 90.0


QUICK = Size(instances=200)   # 2,000 followers: the default of `python -m bench`
FULL = Size()


@dataclass
class Result:
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        headers = ["(F-b) fan-out, one post", "deliveries", "seconds", "deliveries/s", "÷ ceiling",
                   "healthy ÷ all-healthy run", "target"]
        return table(headers, self.rows) + "\n\n" + "\n".join(f"- {n}" for n in self.notes)


def host(i: int) -> str:
    return f"i{i:04d}.fanout.test"


def build_template(size: Size, path: Path) -> tuple[str, str]:
    """The sender's database: 10,000 remote followers on 1,000 instances. Returns the author's keys."""
    migrated(path)
    rows = [(host(i), f"u{j}", f"http://{host(i)}/inbox", None)
            for i in range(size.instances) for j in range(size.followers_per_instance)]
    private_pem, public_pem = generate_rsa_keypair()
    with sqlite3.connect(path) as conn:
        follower_ids = insert_remote_accounts(conn, rows)
        author = f"http://{SENDER}/users/announcer"
        author_id = follower_ids[0] - 1
        conn.execute(
            "INSERT INTO accounts (id, uri, username, domain, display_name, url, inbox_url, shared_inbox_url,"
            " outbox_url, followers_url, following_url, public_key_id, public_key_pem, private_key_pem,"
            " created_at, updated_at) VALUES (?, ?, 'announcer', NULL, 'Announcer', ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " 0, 0)",
            (author_id, author, author, f"{author}/inbox", f"http://{SENDER}/inbox", f"{author}/outbox",
             f"{author}/followers", f"{author}/following", f"{author}#main-key", public_pem, private_pem),
        )
        insert_follows(conn, [(f, author_id) for f in follower_ids])
        conn.execute("UPDATE accounts SET followers_count = ? WHERE id = ?", (len(follower_ids), author_id))
    return private_pem, public_pem


async def ceiling(size: Size, ports: list[int], private_pem: str) -> tuple[int, float]:
    """One process signing and POSTing `ceiling_posts` deliveries to the sink, `concurrency` at once."""
    body = json.dumps(note_create(SENDER, "announcer", 1)).encode()
    key_id = f"http://{SENDER}/users/announcer#main-key"
    clients = [httpx.AsyncClient(limits=httpx.Limits(max_connections=1), timeout=30.0)
               for _ in range(size.concurrency)]
    done = 0
    issued = 0

    async def worker(k: int) -> None:
        nonlocal done, issued
        while issued < size.ceiling_posts:
            issued += 1
            # Each client keeps to one port: the ceiling reuses its connections.
            url = f"http://127.0.0.1:{ports[k % len(ports)]}/inbox"
            headers = sign_request("POST", url, {"Content-Type": ACTIVITY_JSON}, body, key_id, private_pem)
            response = await clients[k].post(url, content=body, headers=headers)
            if response.status_code == 202:
                done += 1

    try:
        start = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(size.concurrency)))
        elapsed = time.perf_counter() - start
    finally:
        for client in clients:
            await client.aclose()
    return done, elapsed


async def fan_out(size: Size, db_path: Path, addresses: dict[str, str], bad: set[str]) -> dict[str, Any]:
    """Queue one Create to the author's followers and run the runtime until every healthy delivery is done."""
    db = await connect(f"sqlite:///{db_path}")
    assert isinstance(db, SQLiteDatabase)
    instance = Instance.create(base_url=f"http://{SENDER}", company_audience=AUDIENCE, federation_mode="closed",
                               peers=list(addresses), peer_addresses=addresses)
    await ensure_instance_actor(db, instance)
    runtime = FederationRuntime(db, instance, delivery_concurrency=size.concurrency, poll_interval=0.5)
    author = await accounts.get_by_uri(db, f"http://{SENDER}/users/announcer")
    assert author is not None
    await runtime.start(run_workers=True)
    expected = size.instances - len(bad)
    marks = ",".join("?" * len(bad)) or "''"
    healthy_sql = f"SELECT COUNT(*) FROM deliveries WHERE state = 'done' AND host NOT IN ({marks})"
    try:
        activity = note_create(SENDER, "announcer", 1)
        start = time.perf_counter()
        async with db.transaction() as tx:
            await outbox.enqueue(tx, activity_id=activity["id"], activity_type="Create", account_id=int(author["id"]),
                                 body=activity, audience={"followers": True}, object_uri=activity["object"]["id"])
        runtime.wake_outbox()
        expanded_at = None
        healthy_done = 0
        while time.perf_counter() - start < size.deadline_s:
            await asyncio.sleep(0.02)
            if expanded_at is None and await db.fetchval("SELECT COUNT(*) FROM deliveries"):
                expanded_at = time.perf_counter() - start
            healthy_done = int(await db.fetchval(healthy_sql, tuple(bad)) or 0)
            if healthy_done >= expected:
                break
        elapsed = time.perf_counter() - start
        states = {r["state"]: r["n"] for r in await db.fetchall(
            "SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state")}
    finally:
        await runtime.stop(grace=1.0)
        await db.close()
    return {"healthy": healthy_done, "expected": expected, "seconds": elapsed, "expand_s": expanded_at,
            "rate": healthy_done / elapsed, "states": states}


def run(size: Size, folder: Path) -> Result:
    folder.mkdir(parents=True, exist_ok=True)
    result = Result()
    template = folder / "fanout-template.db"
    private_pem, _public = build_template(size, template)
    ports = free_ports(size.ports + 2)
    sink, slow_port, dead_port = ports[: size.ports], ports[-2], ports[-1]
    hosts = [host(i) for i in range(size.instances)]
    bad_count = int(size.instances * size.bad_share)
    # Every 20th host is the bad one, so bad deliveries are spread through the queue, not bunched.
    step = max(1, size.instances // max(bad_count, 1))
    bad = {hosts[i] for i in range(0, size.instances, step)}
    healthy_map = {h: f"127.0.0.1:{sink[i % len(sink)]}" for i, h in enumerate(hosts)}

    with peer_process([*sink, slow_port], folder, slow=[slow_port], delay=size.delay):
        posted, seconds = asyncio.run(ceiling(size, sink, private_pem))
        ceiling_rate = posted / seconds
        result.rows.append(["ceiling: one process signing + POSTing (httpx, 32 at once)", posted, seconds,
                            ceiling_rate, "1.00", "-", "-"])
        runs: dict[str, dict[str, Any]] = {}
        for variant, mapping, bad_hosts in (
            ("all healthy", healthy_map, set()),
            (f"{len(bad)} hosts slow ({size.delay:.0f} s)",
             {h: (f"127.0.0.1:{slow_port}" if h in bad else a) for h, a in healthy_map.items()}, bad),
            (f"{len(bad)} hosts dead (closed port)",
             {h: (f"127.0.0.1:{dead_port}" if h in bad else a) for h, a in healthy_map.items()}, bad),
        ):
            db_path = folder / "fanout.db"
            for suffix in ("-wal", "-shm"):
                Path(f"{db_path}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(template, db_path)
            runs[variant] = figures = asyncio.run(fan_out(size, db_path, mapping, bad_hosts))
            base = runs["all healthy"]["rate"]
            followers = size.instances * size.followers_per_instance
            label = (f"**Atrium: {followers:,} followers, {size.instances:,} instances**" if not bad_hosts
                     else f"Atrium, {variant}: healthy hosts only")
            result.rows.append([
                label, figures["healthy"], figures["seconds"], figures["rate"], f"{figures['rate'] / ceiling_rate:.2f}",
                f"{figures['rate'] / base:.2f}" if bad_hosts else "1.00",
                ">= 0.80 of all healthy" if bad_hosts else ">= 0.50 of ceiling",
            ])
            result.notes.append(f"{variant}: expansion done after {figures['expand_s'] or float('nan'):.2f} s;"
                                f" delivery states at the end {figures['states']}"
                                + ("" if figures["healthy"] >= figures["expected"]
                                   else f"; only {figures['healthy']}/{figures['expected']} before the deadline"))
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_fanout")
    parser.add_argument("--full", action="store_true", help="10,000 followers on 1,000 instances")
    args = parser.parse_args(argv)
    print(run(FULL if args.full else QUICK, RESULTS / "fed-fanout").render())


if __name__ == "__main__":
    main()
