"""Real server processes on loopback for the HTTP scenarios: `atrium serve` and the baseline app.

Both are uvicorn with one worker (`atrium serve` can take more), started as their own process group and stopped by that group's
id (SIGTERM, then SIGKILL after a bounded wait). Credentials for the reader are minted the way the
product stores them: a web session row (SHA-256 of the token, cookie signed with the secret key)
and an OAuth token row (SHA-256 of the bearer token).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from itsdangerous import TimestampSigner

from storage import oauth as oauth_store
from storage.db import connect
from storage.ids import new_id, now_ms

from .dataset import DOMAIN

SECRET_KEY = "bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
ATRIUM = str(Path(sys.executable).parent / "atrium")
HOOKS = Path(__file__).resolve().parent / "serve_hooks"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        stop_process_group(self.process)


def stop_process_group(process: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """SIGTERM a process started in its own session (and its children), SIGKILL it after `grace` s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _start(name: str, args: list[str], env: dict[str, str], folder: Path, ready_path: str, timeout: float) -> Server:
    port = free_port()
    args = [a.replace("{port}", str(port)) for a in args]
    log_path = folder / f"{name}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(args, env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(name, port, process, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited at start:\n{server.log_tail()}")
        try:
            if httpx.get(server.base_url + ready_path, timeout=2.0).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} did not answer {ready_path} within {timeout:.0f} s:\n{server.log_tail()}")


def atrium_env(db_path: Path, folder: Path, *, database_url: str | None = None) -> dict[str, str]:
    """The environment of an `atrium serve`/`atrium worker` over `db_path` (or `database_url`, e.g. PostgreSQL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATRIUM_")}
    env.update({
        "ATRIUM_DOMAIN": DOMAIN,     # the host the dataset's URIs were made with
        "ATRIUM_SCHEME": "http",
        "ATRIUM_DATA_DIR": str(folder),
        "ATRIUM_DATABASE_URL": database_url or f"sqlite:///{db_path.resolve()}",
        "ATRIUM_SECRET_KEY": SECRET_KEY,
        "ATRIUM_RUN_WORKERS": "false",   # no federation work competing with the requests measured
        "ATRIUM_LOG_LEVEL": "warning",   # no access log line per request
        # serve_hooks/sitecustomize.py lifts the API's per-IP and per-token rate limits (see there).
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HOOKS), env.get("PYTHONPATH", "")])),
    })
    return env


@contextmanager
def atrium_serve(db_path: Path, folder: Path, timeout: float = 120.0, *, gc_freeze: bool = False,
                 workers: int = 1) -> Iterator[Server]:
    """`atrium serve` (uvicorn, `workers` processes) over `db_path`; with `gc_freeze`, `freeze_heap` works
    (one worker only: the signal goes to the process uvicorn was started as)."""
    env = atrium_env(db_path, folder)
    if gc_freeze:
        env["BENCH_GC_FREEZE_ON_USR1"] = "1"
    server = _start("atrium" if workers == 1 else f"atrium-{workers}w",
                    [ATRIUM, "serve", "--host", "127.0.0.1", "--port", "{port}", "--workers", str(workers)],
                    env, folder, "/nodeinfo/2.0", timeout)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def baseline_serve(db_path: Path, folder: Path, timeout: float = 60.0, *, workers: int = 1) -> Iterator[Server]:
    """The bare Starlette baseline (bench.baseline_app) under uvicorn, `workers` processes."""
    env = {**os.environ, "BENCH_DB": str(db_path.resolve()), "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    server = _start("baseline" if workers == 1 else f"baseline-{workers}w",
                    [sys.executable, "-m", "uvicorn", "bench.baseline_app:app", "--host", "127.0.0.1",
                     "--port", "{port}", "--log-level", "warning", "--no-access-log", "--workers", str(workers)],
                    env, folder, "/ready", timeout)
    try:
        yield server
    finally:
        server.stop()


def freeze_heap(server: Server) -> None:
    """Ask a server started with `gc_freeze` to gc.freeze() its heap (serve_hooks/sitecustomize.py)."""
    os.kill(server.process.pid, signal.SIGUSR1)
    time.sleep(1.0)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def mint_session_cookie(db_path: Path, account_id: int) -> dict[str, str]:
    """A signed-in browser's cookie header for `account_id` (as server.sessions.sign_in makes it)."""
    token = secrets.token_urlsafe(32)
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "INSERT INTO web_sessions (id, token_hash, account_id, user_agent, ip, created_at, last_seen_at)"
            " VALUES (?, ?, ?, 'bench', '127.0.0.1', ?, ?)",
            (new_id(), _sha256(token), account_id, now_ms(), now_ms()),
        )
    cookie = TimestampSigner(SECRET_KEY, salt="atrium.session").sign(token).decode()
    return {"cookie": f"atrium_session={cookie}"}


def mint_bearer_tokens(db_path: Path, account_ids: list[int], scopes: str = "read write follow", *,
                       database_url: str | None = None) -> list[dict[str, str]]:
    """One OAuth bearer token per account, stored by storage.oauth as the API's token grant does
    (only the SHA-256 of the secret is kept); in `database_url` when given (PostgreSQL)."""

    async def mint() -> list[dict[str, str]]:
        db = await connect(database_url or f"sqlite:///{db_path}")
        try:
            app_id = await oauth_store.create_app(
                db, client_id=secrets.token_urlsafe(16), client_secret_hash=_sha256(secrets.token_urlsafe(16)),
                name="bench", website=None, redirect_uris=["urn:ietf:wg:oauth:2.0:oob"], scopes=scopes,
            )
            headers = []
            for account_id in account_ids:
                token = secrets.token_urlsafe(32)
                await oauth_store.create_token(db, token_hash=_sha256(token), refresh_hash=None, app_id=app_id,
                                               account_id=account_id, scopes=scopes)
                headers.append({"authorization": f"Bearer {token}"})
            return headers
        finally:
            await db.close()

    return asyncio.run(mint())
