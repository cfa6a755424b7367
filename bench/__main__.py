"""Every benchmark scenario in one command: ``python -m bench`` (``make bench`` runs ``--headline``).

    python -m bench                 # full size: 50,000 accounts, 1,000,000 posts (~4-5 min; +40 s the first time)
    python -m bench --quick         # 100,000 posts (~3 min)
    python -m bench --only home     # one or more of: signatures, home, http, inbox, fanout, backlog, memory
    python -m bench --headline      # = make bench: SQLite vs PostgreSQL headline table (bench/headline.py)

Scenarios print their figures with a ratio to a baseline measured in the same run; the whole report
is also written to bench/results/latest.md. bench/README.md explains them and records a run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import platform
import shutil
import sqlite3
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from . import (
    bench_backlog,
    bench_fanout,
    bench_home,
    bench_http,
    bench_inbox,
    bench_memory,
    bench_posting,
    bench_signatures,
    dataset,
    loadgen,
)

SCENARIOS = ("signatures", "home", "http", "inbox", "fanout", "backlog", "memory")
# Federation scenarios run at their reduced size here; `python -m bench.bench_<name> --full` for full size.
FEDERATION = {"inbox": bench_inbox, "fanout": bench_fanout, "backlog": bench_backlog, "memory": bench_memory}
BUDGET_SECONDS = 600


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} cores ({cpu or platform.machine()}) · "
            f"Python {platform.python_version()} · SQLite {sqlite3.sqlite_version} · {platform.system()} · "
            f"{load_average()}")


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews every figure (ratios less)."""
    try:
        return f"load average {os.getloadavg()[0]:.1f}"
    except OSError:
        return "load average unknown"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 posts instead of 1,000,000")
    parser.add_argument("--only", default=",".join(SCENARIOS), help=f"comma-separated subset of {SCENARIOS}")
    parser.add_argument("--clients", type=int, default=50, help="concurrent HTTP clients (default 50)")
    parser.add_argument("--requests", type=int, default=4000, help="requests per HTTP measurement (bound)")
    parser.add_argument("--seconds", type=float, default=15.0, help="seconds per HTTP measurement (bound)")
    parser.add_argument("--rate", type=float, default=20.0, help="open-loop requests/s of the paced run")
    parser.add_argument("--no-wrk", action="store_true", help="httpx only, even when wrk is installed")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="experiment: gc.freeze() the atrium server's heap after warm-up")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the cached dataset")
    parser.add_argument("--keep", action="store_true", help="keep the working copy of the database")
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s) {sorted(unknown)}: choose from {SCENARIOS}")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--headline" in argv:   # `make bench`: the SQLite vs PostgreSQL table (bench/headline.py, its own options)
        from . import headline

        return headline.main([a for a in argv if a != "--headline"])
    args = parse_args(argv)
    started = time.perf_counter()
    only = args.only.split(",")
    failed: list[str] = []
    report = [f"# Atrium benchmarks — {machine()}", ""]

    def emit(text: str) -> None:
        print(text, flush=True)
        report.append(text)

    emit(report[0] + "\n")
    if "signatures" in only:
        emit("## HTTP signatures (bench_signatures)\n")
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            bench_signatures.main()
        emit("```\n" + captured.getvalue().rstrip() + "\n```\n")
    work = dataset.RESULTS / "work"
    if "home" in only or "http" in only:
        params = dataset.QUICK if args.quick else dataset.FULL
        data = dataset.cached(params, rebuild=args.rebuild)
        emit(f"dataset: {data.path.name} ({params.accounts:,} accounts, {params.posts:,} posts; rows {data.counts};"
             f" built in {data.build_seconds:.0f} s)\n")
        db_path = dataset.working_copy(data, work)
        try:
            if "home" in only:
                emit("## (a) 1–4: home timeline, storage level\n")
                try:
                    emit(asyncio.run(bench_home.run(data, db_path)).render() + "\n")
                except Exception:
                    failed.append("home")
                    emit("FAILED:\n" + traceback.format_exc())
            if "home" in only:
                emit("## (a) 4b: fan-out's share of a whole post\n")
                emit(asyncio.run(bench_posting.run(data, db_path, work)).render() + "\n")
            if "http" in only:
                emit(f"## (a) 5 and (b): HTTP, {args.clients} concurrent clients, one uvicorn worker\n")
                try:
                    load = bench_http.Load(clients=args.clients, requests=args.requests, seconds=args.seconds,
                                           paced_rate=args.rate, use_wrk=loadgen.wrk_available() and not args.no_wrk,
                                           gc_freeze=args.gc_freeze)
                    result = bench_http.run(data, db_path, work, load)
                    emit(result.render() + "\n")
                except Exception:
                    failed.append("http")
                    emit("FAILED:\n" + traceback.format_exc())
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
    for name, module in FEDERATION.items():
        if name in only:
            emit(f"## Federation: {name} (bench_{name}, reduced size)\n")
            try:
                emit(module.run(module.QUICK, dataset.RESULTS / f"fed-{name}").render() + "\n")
            except Exception:
                failed.append(name)
                emit("FAILED:\n" + traceback.format_exc())
            finally:
                shutil.rmtree(dataset.RESULTS / f"fed-{name}", ignore_errors=True)
    elapsed = time.perf_counter() - started
    emit(f"{load_average()} at the end")
    emit(f"total {elapsed:.0f} s" + ("" if elapsed < BUDGET_SECONDS else f" (over the {BUDGET_SECONDS} s budget)"))
    dataset.RESULTS.mkdir(parents=True, exist_ok=True)
    (dataset.RESULTS / "latest.md").write_text("\n".join(report) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
