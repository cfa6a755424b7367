"""The headline table: the same scenarios on SQLite and on PostgreSQL, one table (issue 7).

    .venv/bin/python -m bench --headline          # = make bench: both engines (~7 min; first time +1.5 min)
    .venv/bin/python -m bench.headline --full     # longer runs, fan-out up to 90 s each (untimed: ~20 min)
    .venv/bin/python -m bench.headline --engines postgresql

For each engine: (1) signed inbox POSTs/s accepted at 50 connections, (2) fan-out deliveries/s of
one post to 10,000 followers over 50 instances by `atrium worker` processes, (3) home timeline p50
and p99 at 1,000,000 posts (paced, and wrk closed loop), (4) post creation p99 through
POST /api/v1/statuses, (5) RSS per web and per worker process; then the scaling rows (home
timeline with `serve --workers 1` and `2`, deliveries with 1 and 2 `atrium worker`s), each beside
a ceiling or baseline measured in the same run, and users per core under the model of
bench/headline_sizing.py. The report goes to stdout and bench/results/headline.md (raw figures in
headline.json); bench/README.md's "Headline" section records a run.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import time
import traceback
from datetime import UTC, datetime
from typing import Any

from . import dataset, dataset_pg, headline_runs, headline_sizing
from .federation_common import free_ports, peer_process
from .headline_engines import Engine
from .stats import table

ENGINES = {"sqlite": Engine("SQLite"), "postgresql": Engine("PostgreSQL")}
BUDGET_SECONDS = 600


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.headline", description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--full", action="store_true", help="longer runs (15 s wrk, 30 s paced, fan-out up to 90 s)")
    parser.add_argument("--quick-dataset", action="store_true", help="100,000 posts (harness check only)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached datasets (both engines)")
    parser.add_argument("--only", default="inbox,fanout,http", help="comma-separated: inbox, fanout, http")
    args = parser.parse_args(argv)
    unknown = set(args.engines.split(",")) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engine(s) {sorted(unknown)}")
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    plan = headline_runs.FULL if args.full else headline_runs.QUICK
    folder = dataset.RESULTS / f"headline-work-{os.getpid()}"
    figures: dict[str, Any] = {"started": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "load_start": _load(),
                               "plan": plan.__dict__, "engines": {}, "failed": []}
    started = time.perf_counter()
    try:
        params = dataset.QUICK if args.quick_dataset else dataset.FULL
        built = time.perf_counter()
        data = dataset.cached(params, rebuild=args.rebuild)
        figures["dataset"] = {"name": data.path.name, "counts": data.counts, "posts": params.posts,
                              "sqlite_build_s": data.build_seconds, "sqlite_ready_s": time.perf_counter() - built}
        engines = [ENGINES[name] for name in args.engines.split(",")]
        if any(e.is_pg for e in engines) and not dataset_pg.reachable():
            figures["failed"].append(f"PostgreSQL: unreachable at {dataset_pg.PG_URL} (set BENCH_PG_URL)")
            engines = [e for e in engines if not e.is_pg]
        if any(e.is_pg for e in engines):
            schema, pg_build = dataset_pg.cached(data, rebuild=args.rebuild)
            figures["dataset"].update(pg_schema=schema, pg_build_s=pg_build)
        shared = headline_runs.prepare(plan, folder)
        figures["presign_s"] = shared.presign_s
        ports = free_ports(plan.peer_ports)
        addresses = headline_runs.peer_addresses(plan, ports)
        with peer_process(ports, folder):
            figures["delivery_ceiling"] = headline_runs.delivery_ceiling(plan, shared, ports)
            figures["inbox_ceiling"] = headline_runs.inbox_ceiling(plan, shared)
            figures["baseline"] = headline_runs.http_baselines(plan, data, folder)
            for engine in engines:
                out: dict[str, Any] = figures["engines"].setdefault(engine.name, {})
                steps = (
                    ("inbox", lambda e=engine: headline_runs.inbox(e, plan, shared)),
                    ("fanout_1", lambda e=engine: headline_runs.fanout(e, plan, shared, addresses, processes=1,
                                                                       shared_inboxes=False)),
                    ("fanout_2", lambda e=engine: headline_runs.fanout(e, plan, shared, addresses, processes=2,
                                                                       shared_inboxes=False)),
                    ("fanout_shared", lambda e=engine: headline_runs.fanout(e, plan, shared, addresses, processes=1,
                                                                            shared_inboxes=True)),
                    ("http", lambda e=engine: headline_runs.http(e, plan, data, folder)),
                )
                for name, step in steps:
                    if name.split("_")[0] not in args.only.split(","):
                        continue
                    print(f"[{time.perf_counter() - started:5.0f} s] {engine.name}: {name}", flush=True)
                    try:
                        out[name] = step()
                    except Exception:
                        figures["failed"].append(f"{engine.name} {name}")
                        out[name] = {"error": traceback.format_exc()[-3000:]}
                        print(out[name]["error"], file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    figures["load_end"] = _load()
    figures["seconds"] = time.perf_counter() - started
    return figures


# --- the report ---------------------------------------------------------------------------------------

def _get(fig: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if not isinstance(fig, dict) or key not in fig:
            return float("nan")
        fig = fig[key]
    return fig


def _n(value: Any, digits: int = 0) -> str:
    if not isinstance(value, int | float) or math.isnan(value):
        return "-"
    if digits == 0 or value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _x(ours: Any, base: Any) -> str:
    try:
        return f"{float(ours) / float(base):.2f}" if float(base) else "-"
    except (TypeError, ValueError):
        return "-"


def _rss(pairs: Any) -> str:
    if not isinstance(pairs, list) or not pairs:
        return "-"
    return " / ".join(f"{v[0]:.0f} (anon {v[2]:.0f}, peak {v[1]:.0f})" if len(v) > 2 else f"{v[0]:.0f} (peak {v[1]:.0f})"
                      for v in pairs)


def render(figures: dict[str, Any]) -> str:
    engines = list(figures["engines"])
    e = figures["engines"]
    inbox_c, deliv_c = figures.get("inbox_ceiling", {}), figures.get("delivery_ceiling", {})
    base_r, base_w = _get(figures, "baseline", "read"), _get(figures, "baseline", "write")
    base_r2 = _get(figures, "baseline", "read_2")
    lines = [f"Run {figures['started']}, load average {figures['load_start']:.1f} at the start and"
             f" {figures['load_end']:.1f} at the end, {figures['seconds']:.0f} s in all."
             f" Dataset {figures['dataset']['name']} ({figures['dataset']['posts']:,} posts).", ""]

    def row(label: str, cell: Any, ref: str, ratio: Any = None) -> list[str]:
        cells = [cell(e[name]) for name in engines]
        ratios = [ratio(e[name]) for name in engines] if ratio else ["-"] * len(engines)
        return [label, *cells, ref, *ratios]

    inbox = lambda f: f"{_n(_get(f, 'inbox', 'rps'))}/s, p99 {_n(_get(f, 'inbox', 'p99'), 1)} ms"  # noqa: E731
    rows = [
        row("(1) signed inbox POSTs accepted (202), wrk 50 connections, 1 web process", inbox,
            f"ceiling {_n(inbox_c.get('rps'))}/s, p99 {_n(inbox_c.get('p99'), 1)} ms",
            lambda f: _x(_get(f, "inbox", "rps"), inbox_c.get("rps"))),
        row("(2) fan-out deliveries/s: one post, 10,000 followers on 50 instances (10,000 personal inboxes),"
            " 1 `atrium worker`, queued → end of the run",
            lambda f: f"{_n(_get(f, 'fanout_1', 'rate'))}/s ({_n(_get(f, 'fanout_1', 'done'))} in"
                      f" {_n(_get(f, 'fanout_1', 'seconds'), 1)} s; first after {_n(_get(f, 'fanout_1', 'first_s'), 1)} s)",
            f"ceiling {_n(deliv_c.get('rate'))}/s", lambda f: _x(_get(f, "fanout_1", "rate"), deliv_c.get("rate"))),
        row("(2') same post, followers' instances with shared inboxes: 50 deliveries, queued → last 202",
            lambda f: f"{_n(_get(f, 'fanout_shared', 'seconds'), 2)} s", "-"),
        row(f"(3) home timeline at {figures['dataset']['posts']:,} posts, paced 20/s: p50 / p99 ms",
            lambda f: f"{_n(_get(f, 'http', 'home_paced', 'p50'), 1)} / {_n(_get(f, 'http', 'home_paced', 'p99'), 1)}",
            "-"),
        row("(3) home timeline, wrk 50 connections, 1 web process: req/s (worst p50 / p99 ms of 2 runs)",
            lambda f: f"{_n(_get(f, 'http', 'home_wrk_1', 'rps'))} ({_n(_get(f, 'http', 'home_wrk_1', 'p50'), 1)} /"
                      f" {_n(_get(f, 'http', 'home_wrk_1', 'p99'), 1)})",
            f"bare Starlette + 1 SQLite SELECT: {_n(_get(base_r, 'rps'))} req/s"
            f" ({_n(_get(base_r, 'p50'), 1)} / {_n(_get(base_r, 'p99'), 1)})",
            lambda f: _x(_get(f, "http", "home_wrk_1", "rps"), _get(base_r, "rps"))),
        row("(3) home timeline, wrk 50 connections, 2 web processes: req/s (worst p50 / p99 ms of 2 runs)",
            lambda f: f"{_n(_get(f, 'http', 'home_wrk_2', 'rps'))} ({_n(_get(f, 'http', 'home_wrk_2', 'p50'), 1)} /"
                      f" {_n(_get(f, 'http', 'home_wrk_2', 'p99'), 1)})",
            f"the same baseline, 2 processes: {_n(_get(base_r2, 'rps'))} req/s"
            f" ({_n(_get(base_r2, 'p50'), 1)} / {_n(_get(base_r2, 'p99'), 1)})",
            lambda f: _x(_get(f, "http", "home_wrk_2", "rps"), _get(base_r2, "rps"))),
        row("(4) post creation, POST /api/v1/statuses paced 10/s: p50 / p99 ms",
            lambda f: f"{_n(_get(f, 'http', 'post_paced', 'p50'), 1)} / {_n(_get(f, 'http', 'post_paced', 'p99'), 1)}",
            "-"),
        row("(4) post creation, wrk 50 connections: posts/s (p99 ms)",
            lambda f: f"{_n(_get(f, 'http', 'post_wrk', 'rps'))} ({_n(_get(f, 'http', 'post_wrk', 'p99'), 1)})",
            f"bare Starlette + 1 SQLite INSERT: {_n(_get(base_w, 'rps'))}/s",
            lambda f: _x(_get(f, "http", "post_wrk", "rps"), _get(base_w, "rps"))),
        row("(5) RSS MB per web process after the load: 1 process; each of 2",
            lambda f: f"{_rss(_get(f, 'http', 'rss_web_1'))}; {_rss(_get(f, 'http', 'rss_web_2'))}", "-"),
        row("(5) RSS MB per `atrium worker` after its deliveries (each of 2)",
            lambda f: _rss(_get(f, "fanout_2", "rss")), "-"),
    ]
    headers = ["measure", *engines, "ceiling / baseline (same run)", *(f"{n} ÷ it" for n in engines)]
    lines.append(table(headers, rows))
    lines.append("")

    scale_rows = []
    for label, key1, key2, field in (
        ("home timeline req/s (wrk, 50 connections, mean of 2 interleaved runs)", ("http", "home_wrk_1"),
         ("http", "home_wrk_2"), "rps"),
        ("fan-out deliveries/s (10,000 personal inboxes)", ("fanout_1",), ("fanout_2",), "rate"),
    ):
        for name in engines:
            if key1[0] not in e[name]:
                continue
            one, two = _get(e[name], *key1, field), _get(e[name], *key2, field)
            scale_rows.append([f"{label}, {name}", _n(one), _n(two), _x(two, one)])
    lines.append(table(["scaling on 2 cores", "1 process", "2 processes", "2 ÷ 1"], scale_rows))
    lines.append("")
    lines.extend(sizing_lines(figures))
    notes = []
    for name in engines:
        f = e[name]
        for key in ("inbox",):
            if _get(f, key, "non2xx") not in (0, float("nan")) and isinstance(_get(f, key, "non2xx"), int):
                notes.append(f"{name} {key}: {f[key]['non2xx']} non-2xx answers")
        for key in ("fanout_1", "fanout_2", "fanout_shared"):
            if isinstance(f.get(key), dict) and "states" in f[key]:
                notes.append(f"{name} {key}: first delivery done after {_n(f[key].get('first_s'), 2)} s,"
                             f" states at the end {f[key]['states']}")
        for key in ("home_wrk_1", "home_wrk_2", "post_wrk"):
            non = _get(f, "http", key, "non2xx")
            if isinstance(non, int | float) and non and not math.isnan(non):
                notes.append(f"{name} {key}: {non} non-2xx answers")
        if "http" in f and "copy_s" in f["http"]:
            notes.append(f"{name}: working copy of the dataset made in {f['http']['copy_s']:.0f} s;"
                         f" {f['http'].get('posts_stored', '?')} posts created through the API")
    for failed in figures["failed"]:
        notes.append(f"FAILED: {failed} (see headline.json)")
    lines.extend(f"- {n}" for n in notes)
    return "\n".join(lines)


def _best(f: dict[str, Any], *keys: str) -> float:
    """The best delivery rate among runs."""
    rates = [float(_get(f, key, "rate")) for key in keys if key in f]
    rates = [r for r in rates if not math.isnan(r)]
    return max(rates) if rates else float("nan")


def sizing_lines(figures: dict[str, Any]) -> list[str]:
    lines = [f"Users per core, model: {headline_sizing.model_text()}.", ""]
    rows = []
    for name, f in figures["engines"].items():
        cap = headline_sizing.Capacity(
            reads_1=float(_get(f, "http", "home_wrk_1", "rps")), reads_2=float(_get(f, "http", "home_wrk_2", "rps")),
            posts_1=float(_get(f, "http", "post_wrk", "rps")), inbox_1=float(_get(f, "inbox", "rps")),
            deliveries_1=_best(f, "fanout_1"), deliveries_2=_best(f, "fanout_2"))
        s = headline_sizing.size(cap)
        rows.append([name, _n(s.core_ms_per_active_user_s, 1), _n(s.active_users_per_core),
                     _n(s.employees_per_core), _n(s.cores_for.get(20_000), 1)])
    lines.append(table(["engine", "CPU ms per active user per s", "active users per core", "employees per core",
                        "cores for 20,000 employees at 60 % CPU"], rows))
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    figures = run(args)
    text = render(figures)
    print(text, flush=True)
    dataset.RESULTS.mkdir(parents=True, exist_ok=True)
    (dataset.RESULTS / "headline.md").write_text(text + "\n")
    headline_runs.dump(figures, dataset.RESULTS / "headline.json")
    over = figures["seconds"] >= BUDGET_SECONDS
    print(f"total {figures['seconds']:.0f} s" + (f" (over the {BUDGET_SECONDS} s budget)" if over else ""))
    return 1 if figures["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
