"""Two source trees serving the same dataset, alternated, so that they share the machine's load.

    git archive <commit> | tar -x -C /tmp/before
    .venv/bin/python -m bench.ab_http /tmp/before . --rounds 2 --seconds 8 [--workers 2]

Each round starts `atrium serve` from each tree in turn (the tree first on PYTHONPATH, the bench's
rate-limit lift as in bench_http), warms it with 40 requests per surface, then runs `wrk -c50` on the
Mastodon API home and the web home page (40 posts). On a shared machine absolute figures move with
other work; the ratio between trees measured in the same window is what to read. Needs wrk.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx

from . import dataset, servers


def _start(tree: Path, db_path: Path, work: Path, workers: int) -> servers.Server:
    env = servers.atrium_env(db_path, work)
    env["PYTHONPATH"] = str(tree.resolve()) + os.pathsep + env["PYTHONPATH"]
    code = "import sys; from server.cli import main; sys.argv = ['atrium'] + sys.argv[1:]; sys.exit(main())"
    args = [sys.executable, "-c", code, "serve", "--host", "127.0.0.1", "--port", "{port}", "--workers", str(workers)]
    return servers._start(f"ab-{tree.resolve().name}", args, env, work, "/nodeinfo/2.0", 120)


def _wrk(url: str, header: str, seconds: int) -> tuple[float, float, float]:
    out = subprocess.run(["wrk", "-t2", "-c50", f"-d{seconds}s", "--latency", "-H", header, url],
                         capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"non-2xx answers from {url}:\n{out}")

    def percentile(p: int) -> float:
        found = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", out)
        assert found, out
        value = float(found.group(1))
        return {"us": value / 1000, "ms": value, "s": value * 1000}[found.group(2)]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rate, out
    return float(rate.group(1)), percentile(50), percentile(99)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ab_http", description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs=2, type=Path, help="two source trees (e.g. an archive of a commit, and .)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (apt-get install wrk)")
    data = dataset.cached(dataset.QUICK, log=False)
    work = dataset.RESULTS / "ab-work"
    db_path = dataset.working_copy(data, work)
    try:
        token = servers.mint_bearer_tokens(db_path, [data.reader_id])[0]["authorization"]
        cookie = servers.mint_session_cookie(db_path, data.reader_id)["cookie"]
        surfaces = {"api": ("/api/v1/timelines/home?limit=40", "Authorization", token),
                    "web": ("/?limit=40", "Cookie", cookie)}
        totals: dict[tuple[str, str], list[float]] = {}
        for round_no in range(max(1, min(args.rounds, 10))):
            for tree in args.trees:
                server = _start(tree, db_path, work, max(1, min(args.workers, 8)))
                try:
                    for surface, (path, name, value) in surfaces.items():
                        for _ in range(40):
                            httpx.get(server.base_url + path, headers={name: value}, timeout=30)
                        load = os.getloadavg()[0]
                        rps, p50, p99 = _wrk(server.base_url + path, f"{name}: {value}", max(2, min(args.seconds, 60)))
                        totals.setdefault((surface, str(tree)), []).append(rps)
                        print(f"round {round_no} {surface} {tree}: {rps:,.1f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms"
                              f" (load average {load:.1f})", flush=True)
                finally:
                    server.stop()
        for surface in surfaces:
            first, second = (sum(totals[(surface, str(t))]) / len(totals[(surface, str(t))]) for t in args.trees)
            print(f"{surface}: {first:,.1f} → {second:,.1f} req/s on average ({second / first:.2f}×)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
