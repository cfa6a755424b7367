"""Shared pieces of the federation scenarios (bench_inbox, bench_fanout, bench_backlog, bench_memory).

A fresh migrated SQLite database per scenario (no big dataset needed: the federation tables start
empty in production too), remote accounts and follows written in bulk, realistic Create{Note}
bodies, pre-signed requests, the loopback peer process (bench/federation_peer.py), wrk driven by a
script that replays a file of pre-signed requests, and RSS from /proc.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from activitypub.constants import ACTIVITY_JSON
from federation.httpsig import sign_request
from storage import migrate
from storage.db import SQLiteDatabase, connect
from storage.ids import new_id, now_ms

from .servers import free_port, stop_process_group

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
LOREM = ("Quarterly planning notes: the platform team ships the new onboarding flow next sprint, "
         "support asks for the escalation runbook to be updated, and finance reminds everyone that "
         "expense reports close on Friday. ")


def remove_db(path: Path) -> None:
    """Delete an SQLite file and its WAL companions."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)


async def fresh_db(path: Path) -> SQLiteDatabase:
    """A new, migrated SQLite database at `path` (call remove_db first for a clean one)."""
    db = await connect(f"sqlite:///{path}")
    assert isinstance(db, SQLiteDatabase)
    await migrate.migrate(db)
    return db


def migrated(path: Path) -> None:
    """Create a fresh migrated database file and close it (for a server process to open)."""

    remove_db(path)

    async def run() -> None:
        db = await fresh_db(path)
        await db.close()

    asyncio.run(run())


def actor_uri(host: str, name: str, scheme: str = "http") -> str:
    return f"{scheme}://{host}/users/{name}"


def insert_remote_accounts(conn: sqlite3.Connection, rows: Sequence[tuple[str, str, str | None, str | None]]) -> list[int]:
    """Remote accounts as a fetch would have stored them: (host, name, shared inbox, public key PEM).

    Returns their ids. Written by bulk `executemany` (an upsert per actor would take minutes).
    """
    now = now_ms()
    ids = [new_id() for _ in rows]
    conn.executemany(
        "INSERT INTO accounts (id, uri, username, domain, display_name, url, inbox_url, shared_inbox_url,"
        " outbox_url, followers_url, following_url, public_key_id, public_key_pem, created_at, updated_at,"
        " fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (account_id, (uri := actor_uri(host, name)), name, host, name, uri, f"{uri}/inbox", shared,
             f"{uri}/outbox", f"{uri}/followers", f"{uri}/following", f"{uri}#main-key", pem, now, now, now)
            for account_id, (host, name, shared, pem) in zip(ids, rows, strict=True)
        ],
    )
    return ids


def insert_follows(conn: sqlite3.Connection, pairs: Sequence[tuple[int, int]]) -> None:
    """Accepted follows (follower id, followed id), with the counters the product keeps."""
    now = now_ms()
    conn.executemany(
        "INSERT INTO follows (id, account_id, target_account_id, uri, state, created_at)"
        " VALUES (?, ?, ?, ?, 'accepted', ?)",
        [(new_id(), a, b, f"urn:bench:follow:{a}:{b}", now) for a, b in pairs],
    )


def note_create(host: str, name: str, n: int, *, to: str | None = None, cc: str | None = None) -> dict[str, Any]:
    """A realistic Create{Note} (about 1.3 KB) by `name` on `host`, public, with a hashtag."""
    uri = actor_uri(host, name)
    note_id = f"{uri}/statuses/{n}"
    # Distinct seconds per post: the receiver derives a status id from `published`.
    published = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 200_000 + n))
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", {"Hashtag": "as:Hashtag", "sensitive": "as:sensitive"}],
        "id": f"{note_id}/activity", "type": "Create", "actor": uri, "published": published,
        "to": [to or PUBLIC], "cc": [cc or f"{uri}/followers"],
        "object": {
            "id": note_id, "type": "Note", "attributedTo": uri, "published": published, "url": note_id,
            "to": [to or PUBLIC], "cc": [cc or f"{uri}/followers"], "sensitive": False, "summary": None,
            "content": f"<p>{LOREM}{LOREM}Update {n}. <a href=\"http://{host}/tags/planning\" class=\"mention"
                       f" hashtag\" rel=\"tag\">#<span>planning</span></a></p>",
            "tag": [{"type": "Hashtag", "href": f"http://{host}/tags/planning", "name": "#planning"}],
            "attachment": [],
        },
    }


# --- pre-signed requests ----------------------------------------------------------------------

def _sign_chunk(args: tuple[str, str, list[tuple[str, str, bytes]]]) -> list[str]:
    url, private_pem, items = args
    lines = []
    for key_id, _actor, body in items:
        h = sign_request("POST", url, {"Content-Type": ACTIVITY_JSON}, body, key_id, private_pem)
        lines.append("\t".join((h["Host"], h["Date"], h["Digest"], h["Signature"], body.decode())))
    return lines


def presign(url: str, private_pem: str, items: Sequence[tuple[str, str, bytes]], out: Path) -> float:
    """Sign each (key id, actor, body) POST to `url` (two processes), one request per line of `out`
    (host, date, digest, signature, body, tab-separated, as bench/federation_wrk.lua reads them).
    Returns the seconds spent: this cost stays out of the measured path."""
    start = time.perf_counter()
    chunks = [list(items[i::4]) for i in range(4)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(_sign_chunk, [(url, private_pem, c) for c in chunks]))
    with out.open("w") as handle:
        for part in parts:
            for line in part:
                handle.write(line + "\n")
    return time.perf_counter() - start


WRK_SCRIPT = r"""
local pool = {}
for line in io.lines(os.getenv("BENCH_POOL")) do
  local f = {}
  for field in string.gmatch(line, "[^\t]+") do f[#f + 1] = field end
  pool[#pool + 1] = f
end
local n = 0
request = function()
  n = n + 1
  local f = pool[((n - 1) % #pool) + 1]
  return wrk.format("POST", os.getenv("BENCH_PATH"), {
    ["Host"] = f[1], ["Date"] = f[2], ["Digest"] = f[3], ["Signature"] = f[4],
    ["Content-Type"] = "application/activity+json"}, f[5])
end
"""


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
    return float(match.group(1)) * units[match.group(2)] if match else float("nan")


def wrk_pool(base_url: str, path: str, pool: Path, *, connections: int, seconds: int) -> dict[str, Any]:
    """wrk (one thread) replaying the pre-signed requests of `pool` against `base_url + path`."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(WRK_SCRIPT)
        script = handle.name
    env = {**os.environ, "BENCH_POOL": str(pool), "BENCH_PATH": path}
    try:
        done = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s", "-s", script,
             base_url + path], capture_output=True, text=True, timeout=seconds + 60, check=False, env=env)
    finally:
        Path(script).unlink(missing_ok=True)
    out = done.stdout
    figures: dict[str, Any] = {"raw": out[-1200:] + done.stderr[-400:]}
    for label, key in (("50%", "p50"), ("90%", "p90"), ("99%", "p99")):
        match = re.search(rf"^\s+{re.escape(label)}\s+(\S+)", out, re.M)
        figures[key] = _ms(match.group(1)) if match else float("nan")
    match = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    count = int(match.group(1)) if match else 0
    elapsed = _ms(match.group(2) + match.group(3)) / 1000 if match else float("nan")
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    non2xx = int(match.group(1)) if match else 0
    figures.update(count=count, non2xx=non2xx, seconds=elapsed,
                   rps=(count - non2xx) / elapsed if count and elapsed else 0.0)
    return figures


# --- processes ----------------------------------------------------------------------------------

@contextmanager
def peer_process(ports: Sequence[int], folder: Path, *, slow: Sequence[int] = (), delay: float = 2.0,
                 actor_key_pem: str = "") -> Iterator[dict[str, int]]:
    """bench/federation_peer.py listening on `ports`; yields the per-port POST counts (filled at exit)."""
    stats = folder / f"peer-{ports[0]}.json"
    config = {"ports": list(ports), "slow": list(slow), "delay": delay, "actor_key_pem": actor_key_pem,
              "stats": str(stats)}
    root = str(Path(__file__).resolve().parent.parent)
    process = subprocess.Popen([sys.executable, "-m", "bench.federation_peer", json.dumps(config)], cwd=root,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, text=True)
    counts: dict[str, int] = {}
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"the loopback peer did not start: {line}{process.stdout.read()[-2000:]}")
        yield counts  # type: ignore[misc]
    finally:
        stop_process_group(process, grace=10)
        if stats.exists():
            counts.update(json.loads(stats.read_text()))


def free_ports(n: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < n:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def rss_mb(pid: int | None = None) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process in MB, from /proc/<pid>/status."""
    text = Path(f"/proc/{pid or 'self'}/status").read_text()
    values = {k: float(v.split()[0]) / 1024 for k, v in (line.split(":", 1) for line in text.splitlines())
              if k in ("VmRSS", "VmHWM")}
    return values.get("VmRSS", float("nan")), values.get("VmHWM", float("nan"))
