"""Server time of the home timeline reads, in-process, without HTTP or a load generator.

    .venv/bin/python -m bench.profile_read                  # ms per request, API and web home (40 posts)
    .venv/bin/python -m bench.profile_read --profile api    # the same under cProfile, top functions
    .venv/bin/python -m bench.profile_read --requests 500 --surface web

The app is `server.app.create_app` over a working copy of the quick dataset (built and cached by
`python -m bench --quick` the first time), with the bench's rate-limit lift; requests go straight to
the ASGI callable, one at a time, so the figures are what a request costs the server (the
middleware, routing, auth, storage and serialization), which is what bounds a closed-loop rate:
wall-clock times, and the process's CPU time per request (all threads: SQLite's too), which other
work on the machine disturbs much less. It also lists the statements one request runs.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from server.api import ratelimit
from server.app import create_app
from server.config import Settings

from . import dataset, servers

SURFACES = {"api": "/api/v1/timelines/home?limit=40", "web": "/?limit=40"}


async def _call(app: Any, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": raw_path, "raw_path": raw_path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in {"host": dataset.DOMAIN, **headers}.items()],
        "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000),
    }
    status, body = 0, bytearray()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, send)
    return status, bytes(body)


def _count_queries(db: Any) -> list[str]:
    """Record the SQL of every statement the database handle runs (each is a round trip)."""
    seen: list[str] = []
    inside = [False]   # fetchval may call fetchone: count the outer call only
    for name in ("fetchall", "fetchone", "fetchval", "execute"):
        original = getattr(db, name)

        async def counted(sql: str, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            if inside[0]:
                return await _original(sql, *args, **kwargs)
            seen.append(sql)
            inside[0] = True
            try:
                return await _original(sql, *args, **kwargs)
            finally:
                inside[0] = False

        setattr(db, name, counted)
    return seen


async def measure(app: Any, surfaces: list[str], credentials: dict[str, dict[str, str]], requests: int,
                  profile: bool, dump: Path | None = None) -> None:
    async with app.router.lifespan_context(app):
        queries = _count_queries(app.state.ctx.db)
        for surface in surfaces:
            headers = credentials[surface]
            path = SURFACES[surface]
            for _ in range(30):   # warm-up: imports, template compilation, caches
                status, body = await _call(app, path, headers)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}")
            queries.clear()
            await _call(app, path, headers)
            print(f"{surface}: {len(queries)} statements per request (warm):")
            for sql in queries:
                print("   ", " ".join(sql.split())[:150])
            if dump is not None:
                (dump / f"{surface}.out").write_bytes(body)
            profiler = cProfile.Profile() if profile else None
            times = []
            if profiler:
                profiler.enable()
            cpu = time.process_time()   # every thread of the process: robust when other work shares the cores
            for _ in range(requests):
                start = time.perf_counter()
                await _call(app, path, headers)
                times.append((time.perf_counter() - start) * 1000)
            cpu = time.process_time() - cpu
            if profiler:
                profiler.disable()
            times.sort()
            print(f"{surface} {path}: {len(body):,} bytes; ms per request over {requests}: "
                  f"median {statistics.median(times):.2f}, mean {statistics.fmean(times):.2f}, "
                  f"p90 {times[int(len(times) * 0.9)]:.2f}; CPU ms per request {cpu * 1000 / requests:.2f}")
            if profiler:
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats("tottime").print_stats(30)
                stats.sort_stats("cumulative").print_stats(40)
                print(out.getvalue())


def run(surfaces: list[str], requests: int, profile: bool, dump: Path | None = None) -> None:
    data = dataset.cached(dataset.QUICK)
    work = dataset.RESULTS / "profile-work"
    db_path = dataset.working_copy(data, work)
    try:
        credentials = {"api": servers.mint_bearer_tokens(db_path, [data.reader_id])[0],
                       "web": servers.mint_session_cookie(db_path, data.reader_id)}
        for name, budget in list(ratelimit.DEFAULT_BUDGETS.items()):
            ratelimit.DEFAULT_BUDGETS[name] = ratelimit.Budget(10**9, budget.period)
        settings = Settings(domain=dataset.DOMAIN, scheme="http", database_url=f"sqlite:///{db_path}",
                            secret_key=servers.SECRET_KEY, data_dir=work, run_workers=False)
        app = create_app(settings, run_subsystems=False)
        asyncio.run(measure(app, surfaces, credentials, requests, profile, dump))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_read", description=__doc__.splitlines()[0])
    parser.add_argument("--surface", choices=["api", "web", "both"], default="both")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", choices=["api", "web", "both"], default=None,
                        help="run the surface(s) under cProfile and print the top functions")
    parser.add_argument("--dump", type=Path, default=None, help="write the last answer of each surface in this folder")
    args = parser.parse_args()
    surface = args.profile or args.surface
    surfaces = ["api", "web"] if surface == "both" else [surface]
    run(surfaces, max(1, min(args.requests, 100_000)), profile=args.profile is not None, dump=args.dump)


if __name__ == "__main__":
    Path(dataset.RESULTS).mkdir(parents=True, exist_ok=True)
    main()
