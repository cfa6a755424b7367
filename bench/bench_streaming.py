"""Streaming: events per second delivered to 1,000 open WebSocket clients, and memory per connection.

    .venv/bin/python -m bench.bench_streaming [--clients 1000] [--events 20]

A real `atrium serve` (one uvicorn worker) on loopback, 1,000 readers each with their own account and
token, each connected to `/api/v1/streaming?stream=public:local`. One poster publishes `--events`
posts through `POST /api/v1/statuses`; we time from the first post until every client has every
post. Baseline, measured the same way in the same run: a bare Starlette app (bench/baseline_ws.py)
that pushes one fixed ~2.5 KB message to every socket per `POST /emit`. Memory per connection is the
server's resident memory growth while the clients connect, divided by their number.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from websockets.asyncio.client import connect as ws_connect

from storage import accounts as account_store
from storage import oauth as oauth_store
from storage.db import connect
from storage.migrate import migrate

from .servers import free_port, stop_process_group

ATRIUM = str(Path(sys.executable).parent / "atrium")
UVICORN = str(Path(sys.executable).parent / "uvicorn")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@dataclass
class Result:
    name: str
    clients: int
    events: int
    seconds: float
    rss_per_connection_kib: float

    @property
    def delivered_per_second(self) -> float:
        return self.clients * self.events / self.seconds if self.seconds else 0.0


async def prepare(folder: Path, domain: str, clients: int) -> tuple[list[str], str]:
    """A migrated database with `clients` readers and one poster, and their bearer tokens."""
    db = await connect(f"sqlite:///{folder / 'atrium.db'}")
    try:
        await migrate(db)
        tokens = []
        async with db.transaction() as tx:
            for index in range(clients + 1):
                name = f"reader{index}" if index < clients else "poster"
                account_id = await account_store.create_local_account(tx, account_store.NewLocalAccount(
                    username=name, uri=f"http://{domain}/users/{name}", url=f"http://{domain}/@{name}",
                    inbox_url="i", outbox_url="o", followers_url="f", following_url="g", featured_url="h",
                    shared_inbox_url=f"http://{domain}/inbox", public_key_pem="-", private_key_pem="-"))
                await account_store.create_user(tx, account_id, password_hash=None)
                token = secrets.token_urlsafe(32)
                await oauth_store.create_token(tx, token_hash=hashlib.sha256(token.encode()).hexdigest(),
                                               refresh_hash=None, app_id=None, account_id=account_id,
                                               scopes="read write")
                tokens.append(token)
        return tokens[:-1], tokens[-1]
    finally:
        await db.close()


def start(args: list[str], env: dict[str, str], folder: Path, ready_url: str) -> subprocess.Popen[bytes]:
    log = (folder / "server.log").open("ab")
    process = subprocess.Popen(args, env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError((folder / "server.log").read_text()[-3000:])
        try:
            if httpx.get(ready_url, timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    stop_process_group(process)


async def measure(name: str, base: str, pid: int, tokens: list[str], events: int,
                  publish: Callable[[httpx.AsyncClient, int], Awaitable[None]]) -> Result:
    before = rss_kib(pid)
    sockets = []
    for token in tokens:
        sockets.append(await ws_connect(f"ws://{base.split('://', 1)[1]}/api/v1/streaming?stream=public:local",
                                        additional_headers={"Authorization": f"Bearer {token}"}, max_queue=None))
    await asyncio.sleep(1.0)
    per_connection = (rss_kib(pid) - before) / max(1, len(tokens))
    counts = [0] * len(sockets)
    done = asyncio.Event()
    remaining = [len(sockets)]

    async def read(index: int) -> None:
        async for _message in sockets[index]:
            counts[index] += 1
            if counts[index] == events:
                remaining[0] -= 1
                if remaining[0] == 0:
                    done.set()
                return

    readers = [asyncio.create_task(read(i)) for i in range(len(sockets))]
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for n in range(events):
            await publish(client, n)
    try:
        await asyncio.wait_for(done.wait(), timeout=300)
    except TimeoutError:
        print(f"{name}: timed out; {sum(counts)} of {events * len(sockets)} delivered", file=sys.stderr)
    elapsed = time.perf_counter() - started
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    return Result(name, len(sockets), events, elapsed, per_connection)


def run(clients: int, events: int) -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory(prefix="atrium-bench-streaming-") as tmp:
        folder = Path(tmp)
        port = free_port()
        domain = f"127.0.0.1:{port}"
        readers, poster = asyncio.run(prepare(folder, domain, clients))
        env = {**os.environ, "ATRIUM_DOMAIN": domain, "ATRIUM_SCHEME": "http", "ATRIUM_DATA_DIR": str(folder),
               "ATRIUM_RUN_WORKERS": "false", "ATRIUM_LOG_LEVEL": "warning",
               "ATRIUM_SECRET_KEY": "bench-secret-key-0123456789abcdefghijklmnop"}
        atrium = start([ATRIUM, "serve", "--port", str(port)], env, folder, f"http://{domain}/api/v1/instance")
        try:
            async def post(client: httpx.AsyncClient, n: int) -> None:
                response = await client.post("/api/v1/statuses", data={"status": f"Post {n} " + "x" * 200},
                                             headers={"Authorization": f"Bearer {poster}"})
                response.raise_for_status()

            results.append(asyncio.run(measure("atrium /api/v1/streaming", f"http://{domain}", atrium.pid, readers,
                                               events, post)))
        finally:
            stop(atrium)
        baseline_port = free_port()
        baseline = start([UVICORN, "bench.baseline_ws:app", "--port", str(baseline_port), "--log-level", "warning"],
                         {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}, folder,
                         f"http://127.0.0.1:{baseline_port}/ready")
        try:
            async def emit(client: httpx.AsyncClient, n: int) -> None:
                (await client.post("/emit")).raise_for_status()

            results.append(asyncio.run(measure("baseline: bare Starlette broadcast", f"http://127.0.0.1:{baseline_port}",
                                               baseline.pid, readers, events, emit)))
        finally:
            stop(baseline)
    return results


def render(results: list[Result]) -> str:
    baseline = results[-1]
    lines = ["| streaming, one uvicorn worker | clients | events | seconds | deliveries/s | baseline ÷ ours |"
             " RSS per connection |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        ratio = baseline.delivered_per_second / r.delivered_per_second if r.delivered_per_second else float("inf")
        lines.append(f"| {r.name} | {r.clients:,} | {r.events} | {r.seconds:.2f} | {r.delivered_per_second:,.0f} |"
                     f" {ratio:.1f}× | {r.rss_per_connection_kib:.0f} KiB |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_streaming", description=__doc__)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    args = parser.parse_args(argv)
    print(render(run(args.clients, args.events)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
