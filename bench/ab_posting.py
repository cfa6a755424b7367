"""Post creation, two source trees alternated in one window: `POST /api/v1/statuses` against a bare INSERT.

    git archive <commit> | tar -x -C /tmp/before
    .venv/bin/python -m bench.ab_posting /tmp/before . --rounds 2 --seconds 8

Each round measures, on a fresh copy of the quick dataset each time, the bare Starlette INSERT
baseline (bench.baseline_app), then `atrium serve` from each tree in turn: `wrk -c50`, 50 posters
with 100 local followers each and a token per poster, as bench_http's (b). The trees share the
machine's load, so their ratio, and each one's ratio to the baseline of the same round, is what to
read on a shared machine. Needs wrk.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from . import dataset, loadgen, servers
from .ab_http import _start

POST_BODY = {"status": "Bench post {n} from the weekly sync #topic1"}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ab_posting", description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs=2, type=Path, help="two source trees (e.g. an archive of a commit, and .)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    if not loadgen.wrk_available():
        parser.error("wrk is not installed (apt-get install wrk)")
    seconds = max(2, min(args.seconds, 60))
    data = dataset.cached(dataset.QUICK, log=False)
    work = dataset.RESULTS / f"ab-posting-{os.getpid()}"   # its own folder: others' runs share bench/results/work
    totals: dict[str, list[float]] = {}
    try:
        for round_no in range(max(1, min(args.rounds, 10))):
            db_path = dataset.working_copy(data, work)
            with servers.baseline_serve(db_path, work) as base:
                fig = loadgen.run_wrk(base.base_url + "/insert", concurrency=50, seconds=seconds, method="POST",
                                      json_body=POST_BODY, folder=work)
            totals.setdefault("baseline", []).append(fig["rps"])
            print(f"round {round_no} baseline INSERT: {fig['rps']:,.0f} req/s, p50 {fig['p50']:.1f} ms"
                  f" (load average {os.getloadavg()[0]:.1f})", flush=True)
            for tree in args.trees:
                db_path = dataset.working_copy(data, work)   # the same starting state for each tree
                tokens = servers.mint_bearer_tokens(db_path, list(data.posters))
                server = _start(tree, db_path, work, 1)
                try:
                    fig = loadgen.run_wrk(server.base_url + "/api/v1/statuses", concurrency=50, seconds=seconds,
                                          headers=tokens, method="POST", json_body=POST_BODY, folder=work)
                finally:
                    server.stop()
                if fig["non2xx"]:
                    raise RuntimeError(f"{tree}: {fig['non2xx']} answers were not 2xx:\n{fig['raw']}")
                totals.setdefault(str(tree), []).append(fig["rps"])
                print(f"round {round_no} {tree}: {fig['rps']:,.1f} posts/s, p50 {fig['p50']:.0f} ms,"
                      f" p99 {fig['p99']:.0f} ms (load average {os.getloadavg()[0]:.1f})", flush=True)
        mean = {name: sum(v) / len(v) for name, v in totals.items()}
        first, second = (mean[str(t)] for t in args.trees)
        print(f"posts/s on average: {first:,.1f} → {second:,.1f} ({second / first:.2f}×);"
              f" bare INSERT {mean['baseline']:,.0f} req/s, i.e. {mean['baseline'] / first:.0f}×"
              f" → {mean['baseline'] / second:.0f}× the posts")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
