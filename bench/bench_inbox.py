"""(F-a) Signed inbox POSTs per second against a real `atrium serve`, as a ratio to a ceiling.

    .venv/bin/python -m bench.bench_inbox            # reduced size (~2 min)
    .venv/bin/python -m bench.bench_inbox --full     # bigger request pools, longer runs (~3.5 min)

- Ceiling: bench/federation_ceiling_app.py under uvicorn (one worker): Digest + one RSA-2048
  verify, answer 202. Measured in the same run with the same pre-signed requests: the ceiling and
  Atrium (keys cached) are both up and measured in turn, twice, each ratio against the ceiling run
  just before it (the load on a shared machine moves within a minute).
- Atrium, keys cached: `atrium serve` (one worker, SQLite, federation workers off so only the
  receiving path is measured) with the sending actors stored as remote accounts with their public
  keys and their host allowlisted (ATRIUM_PEERS). POST /inbox: verify, origin checks,
  deduplicate, store in `inbox_items` (group commit), 202.
- Atrium, key-cache miss: every POST comes from an actor not seen before, whose document (and key)
  Atrium must fetch from a loopback peer (bench/federation_peer.py) and store before verifying.

Requests are signed before the measurement (a pool of distinct activity ids, Date = now, well
inside the 1 h window) and replayed by wrk, 50 connections. When a run outlasts its pool, wrk
replays it and the rest are duplicates (still verified, then deduplicated): the table says how
many of the 202s stored a new row.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from federation.keys import generate_rsa_keypair

from . import servers
from .dataset import DOMAIN, RESULTS
from .federation_common import free_ports, insert_remote_accounts, migrated, note_create, peer_process, presign, wrk_pool
from .stats import table

SENDER = "sender.bench.test"


@dataclass(frozen=True)
class Size:
    actors: int = 50          # pre-registered sending actors (keys cached)
    pool: int = 8_000         # pre-signed requests, keys cached
    miss_pool: int = 5_000    # pre-signed requests, one new actor each
    seconds: int = 8          # per wrk run
    connections: int = 50
    rounds: int = 2           # ceiling and keys-cached runs, alternated


QUICK = Size()
FULL = Size(pool=24_000, miss_pool=8_000, seconds=15)


@dataclass
class Result:
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        headers = ["(F-a) inbox, wrk 50 connections", "202/s", "p50 ms", "p99 ms", "non-2xx", "new rows",
                   "÷ ceiling", "target"]
        return table(headers, self.rows) + "\n\n" + "\n".join(f"- {n}" for n in self.notes)


def _items(host: str, names: list[str], count: int, tag: str) -> list[tuple[str, str, bytes]]:
    items = []
    for n in range(count):
        name = names[n % len(names)]
        activity = note_create(host, name, n)
        activity["id"] = f"{activity['id']}-{tag}"
        items.append((f"http://{host}/users/{name}#main-key", name, json.dumps(activity).encode()))
    return items


def _atrium(db_path: Path, folder: Path, peers: list[str], addresses: dict[str, str]) -> servers.Server:
    env = servers.atrium_env(db_path, folder)
    env["ATRIUM_PEERS"] = ",".join(peers)
    # One sending host delivers thousands a second here: far past the per-peer budget (429 otherwise).
    env["ATRIUM_INBOX_PEER_RATE_PER_MINUTE"] = "10000000"
    if addresses:
        env["ATRIUM_PEER_ADDRESSES"] = ",".join(f"{k}={v}" for k, v in addresses.items())
    return servers._start("atrium", [servers.ATRIUM, "serve", "--host", "127.0.0.1", "--port", "{port}",
                                     "--workers", "1"], env, folder, "/nodeinfo/2.0", 120.0)


def _count(db_path: Path, sql: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute(sql).fetchone()[0])


def run(size: Size, folder: Path) -> Result:
    folder.mkdir(parents=True, exist_ok=True)
    result = Result()
    private_pem, public_pem = generate_rsa_keypair()
    key_file = folder / "sender-public.pem"
    key_file.write_text(public_pem)
    names = [f"sender{i:03d}" for i in range(size.actors)]
    pool = folder / "pool-cached.tsv"
    signed_s = presign(f"http://{DOMAIN}/inbox", private_pem, _items(SENDER, names, size.pool, "c"), pool)

    # Ceiling (digest + one RSA verify, same requests) and Atrium with its keys cached (the actors are
    # known remote accounts on an allowlisted host), both up at once and measured in turn, `rounds`
    # times: on a shared machine the load moves within a minute, so each ratio compares runs made
    # back to back rather than a ceiling measured before everything else.
    env = {**servers.atrium_env(folder / "unused.db", folder), "BENCH_PUBLIC_KEY_FILE": str(key_file)}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    db_path = folder / "inbox.db"
    migrated(db_path)
    with sqlite3.connect(db_path) as conn:
        insert_remote_accounts(conn, [(SENDER, name, f"http://{SENDER}/inbox", public_pem) for name in names])
    ceiling_server = servers._start("ceiling", [sys.executable, "-m", "uvicorn", "bench.federation_ceiling_app:app",
                                                "--host", "127.0.0.1", "--port", "{port}", "--log-level", "warning",
                                                "--no-access-log"], env, folder, "/ready", 60.0)
    ceilings: list[dict[str, Any]] = []
    try:
        server = _atrium(db_path, folder, [SENDER], {})
        try:
            for base in (ceiling_server.base_url, server.base_url):   # warm-up
                wrk_pool(base, "/inbox", pool, connections=size.connections, seconds=2)
            for round_no in range(1, size.rounds + 1):
                ceiling = wrk_pool(ceiling_server.base_url, "/inbox", pool, connections=size.connections,
                                   seconds=size.seconds)
                ours = wrk_pool(server.base_url, "/inbox", pool, connections=size.connections, seconds=size.seconds)
                ceilings.append(ceiling)
                share = ours["rps"] / ceiling["rps"] if ceiling["rps"] else float("nan")
                result.rows.append([f"ceiling, round {round_no}: bare Starlette, digest + 1 RSA-2048 verify",
                                    ceiling["rps"], ceiling["p50"], ceiling["p99"], ceiling["non2xx"], "-", "1.00", "-"])
                result.rows.append([f"**Atrium `POST /inbox`, keys cached**, round {round_no}", ours["rps"], ours["p50"],
                                    ours["p99"], ours["non2xx"], "-", f"{share:.2f}", ">= 0.40, p99 <= 50 ms"])
                if ours["non2xx"]:
                    result.notes.append(f"keys cached, round {round_no}: {ours['non2xx']} non-2xx answers;"
                                        f" wrk said: {ours['raw'][-300:]}")
        finally:
            server.stop()
    finally:
        ceiling_server.stop()
    stored = _count(db_path, "SELECT COUNT(*) FROM inbox_items")
    result.notes.append(f"keys cached: {stored:,} new rows stored over the rounds (the rest were replays: verified,"
                        " then deduplicated)")
    ceiling = max(ceilings, key=lambda c: c["rps"])   # the miss run is compared with the best ceiling

    # Atrium, key-cache miss: a new actor per request, fetched from a loopback peer.
    (peer_port,) = free_ports(1)
    peer_host = f"127.0.0.1:{peer_port}"
    miss_names = [f"new{i:05d}" for i in range(size.miss_pool)]
    miss_pool = folder / "pool-miss.tsv"
    signed_s += presign(f"http://{DOMAIN}/inbox", private_pem, _items(peer_host, miss_names, size.miss_pool, "m"),
                        miss_pool)
    db_path = folder / "inbox-miss.db"
    migrated(db_path)
    with peer_process([peer_port], folder, actor_key_pem=public_pem):
        server = _atrium(db_path, folder, [peer_host], {peer_host: peer_host})
        try:
            started = time.perf_counter()
            miss = wrk_pool(server.base_url, "/inbox", miss_pool, connections=size.connections,
                            seconds=size.seconds)
            elapsed = time.perf_counter() - started
        finally:
            server.stop()
    fetched = _count(db_path, f"SELECT COUNT(*) FROM accounts WHERE domain = '{peer_host}'")
    stored_miss = _count(db_path, "SELECT COUNT(*) FROM inbox_items")
    new_rate = stored_miss / min(elapsed, miss["seconds"] or elapsed)
    result.rows.append(["**Atrium `POST /inbox`, key-cache miss (actor fetched)**", miss["rps"], miss["p50"],
                        miss["p99"], miss["non2xx"], stored_miss, f"{miss['rps'] / ceiling['rps']:.2f}"
                        if ceiling["rps"] else "-", ">= 500/s"])
    result.notes.append(f"key-cache miss: {fetched:,} actors fetched and stored, {stored_miss:,} activities stored"
                        f" = {new_rate:,.0f} first-time actors/s"
                        + (" (pool exhausted: the rest were replays)" if stored_miss >= size.miss_pool else ""))
    result.notes.append(f"pre-signing {size.pool + size.miss_pool:,} requests took {signed_s:.1f} s, outside the"
                        " measured path")
    if miss["non2xx"]:
        result.notes.append(f"key-cache miss: {miss['non2xx']} non-2xx; wrk said: {miss['raw'][-300:]}")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_inbox")
    parser.add_argument("--full", action="store_true", help="bigger request pools and longer runs")
    args = parser.parse_args(argv)
    print(run(FULL if args.full else QUICK, RESULTS / "fed-inbox").render())


if __name__ == "__main__":
    main()
