"""The two engines of the headline benchmark, and the processes it runs on them.

An `Engine` hands out databases: a working copy of the cached 1,000,000-post dataset, and a copy of
a small SQLite database built by a federation scenario. SQLite gets file copies; PostgreSQL gets
schemas (bench/dataset_pg.py). Servers are real `atrium serve --workers N` processes and
`atrium worker` processes, each in its own process group, stopped by that group's id.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from server.config import Settings
from storage.db import connect

from . import dataset, dataset_pg, servers

# Inbox per-peer budget for the servers measured (ATRIUM_INBOX_PEER_RATE_PER_MINUTE, once the
# settings know it; bench/serve_hooks/sitecustomize.py lifts the default until then).
INBOX_RATE_ENV = "ATRIUM_INBOX_PEER_RATE_PER_MINUTE"
INBOX_RATE = "1000000"


@dataclass(frozen=True)
class Engine:
    name: str          # "SQLite" or "PostgreSQL"

    @property
    def is_pg(self) -> bool:
        return self.name == "PostgreSQL"

    @contextmanager
    def big(self, data: dataset.Dataset, folder: Path) -> Iterator[tuple[str, Path | None, float]]:
        """A working copy of the timeline dataset: (database URL, SQLite file or None, seconds to copy)."""
        started = time.perf_counter()
        if self.is_pg:
            with dataset_pg.working_schema(data) as (url, seconds):
                yield url, None, seconds
            return
        path = dataset.working_copy(data, folder)
        try:
            yield f"sqlite:///{path.resolve()}", path, time.perf_counter() - started
        finally:
            remove_sqlite(path)

    @contextmanager
    def small(self, source: Path, folder: Path, tag: str) -> Iterator[str]:
        """A copy of the small SQLite database `source`, on this engine: its URL."""
        if self.is_pg:
            with dataset_pg.from_sqlite_file(source, f"bench_{tag}_{os.getpid()}") as url:
                yield url
            return
        path = folder / f"{tag}.db"
        remove_sqlite(path)
        shutil.copyfile(source, path)
        try:
            yield f"sqlite:///{path.resolve()}"
        finally:
            remove_sqlite(path)


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def sql(url: str, statement: str, params: tuple[object, ...] = ()) -> object:
    """One statement on `url` (either engine, `?` placeholders); the first value of its first row."""

    async def run() -> object:
        db = await connect(url)
        try:
            if statement.lstrip().upper().startswith("SELECT"):
                return await db.fetchval(statement, params)
            return await db.execute(statement, params)
        finally:
            await db.close()

    return asyncio.run(run())


def _env(url: str, folder: Path, extra: dict[str, str]) -> dict[str, str]:
    env = servers.atrium_env(folder / "unused.db", folder, database_url=url)
    if INBOX_RATE_ENV.removeprefix("ATRIUM_").lower() in Settings.__dataclass_fields__:
        env[INBOX_RATE_ENV] = INBOX_RATE
    env.update(extra)
    return env


def serve(url: str, folder: Path, *, workers: int = 1, extra: dict[str, str] | None = None) -> servers.Server:
    """`atrium serve --workers N` on `url`, federation workers off (ATRIUM_RUN_WORKERS=false)."""
    env = _env(url, folder, extra or {})
    return servers._start(f"atrium-{workers}w", [servers.ATRIUM, "serve", "--host", "127.0.0.1", "--port", "{port}",
                                                 "--workers", str(workers)], env, folder, "/nodeinfo/2.0", 180.0)


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        servers.stop_process_group(self.process)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""

    def ready(self, timeout: float = 60.0) -> None:
        """Wait until the worker is up and idle: alive for a second, then under 20 ms of CPU in 0.5 s
        (imports done, database open, polling an empty queue). Its log is at warning level, so it
        has no start line to wait for (at info level httpx would log every delivery)."""
        deadline = time.monotonic() + timeout
        time.sleep(1.0)
        last = _cpu_ticks(self.process.pid)
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if self.process.poll() is not None:
                raise RuntimeError(f"atrium worker exited at start:\n{self.log_tail()}")
            ticks = _cpu_ticks(self.process.pid)
            if ticks - last <= 2:
                return
            last = ticks
        raise RuntimeError(f"atrium worker still busy after {timeout:.0f} s:\n{self.log_tail()}")

    def rss(self) -> tuple[float, float, float]:
        try:
            return memory(self.process.pid)
        except OSError:
            return float("nan"), float("nan"), float("nan")


@contextmanager
def workers(n: int, url: str, folder: Path, *, extra: dict[str, str] | None = None,
            concurrency: int = 8) -> Iterator[list[WorkerProcess]]:
    """`n` `atrium worker --concurrency C` processes on `url` (C=8: 32 deliveries at once each)."""
    env = _env(url, folder, extra or {})
    started: list[WorkerProcess] = []
    try:
        for k in range(n):
            log_path = folder / f"worker-{k}.log"
            with log_path.open("ab") as log:
                process = subprocess.Popen([servers.ATRIUM, "worker", "--concurrency", str(concurrency)], env=env,
                                           cwd=folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            started.append(WorkerProcess(process, log_path))
        yield started
    finally:
        for worker in started:
            worker.stop()


def _cpu_ticks(pid: int) -> int:
    """User + system CPU time of a process, in clock ticks (1/100 s)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def web_processes(server: servers.Server) -> list[int]:
    """The pids serving requests: the server itself with one worker, else uvicorn's spawned children."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == server.process.pid and b"spawn_main" in cmdline:
            children.append(int(entry.name))
    return children or [server.process.pid]


def memory(pid: int) -> tuple[float, float, float]:
    """(RSS, peak RSS, anonymous RSS) in MB. Anonymous memory is the process's own; the rest of its
    RSS is file pages (SQLite's mmap of the database, shared libraries) that the page cache shares."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon"):
            values[key] = float(rest.split()[0]) / 1024
    nan = float("nan")
    return values.get("VmRSS", nan), values.get("VmHWM", nan), values.get("RssAnon", nan)


def rss_of(pids: list[int]) -> list[tuple[float, float, float]]:
    found = []
    for pid in pids:
        try:
            found.append(memory(pid))
        except OSError:
            pass
    return found
