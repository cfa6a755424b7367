"""Scenario (4b): what fan-out on write costs a whole post, in-process and one at a time.

`server.services.statuses.create_status` (validation, formatting, one write transaction with the
status, its tags, adoption, the outbox row and the fan-out job; then, after the commit, the fan-out
of up to INLINE_FANOUT_ROWS followers in batches) by authors with 0, 100, 1,000 and 10,000 local
followers. The baseline is the same call by the author with no followers, measured in the same run:
the difference is what fan-out adds. What a bigger audience leaves to the workers is run after each
post, outside the timing, and reported in its own column.

Run alone: ``.venv/bin/python -m bench.bench_posting [--quick]`` (the dataset is cached as for
``python -m bench``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from server.config import Settings
from server.context import make_context
from server.services.statuses import INLINE_FANOUT_ROWS, PostInput, create_status
from storage import accounts as account_store
from storage import fanout
from storage.db import Database, connect

from .dataset import DOMAIN, Dataset
from .servers import SECRET_KEY
from .stats import Latency, ratio, table


@dataclass
class PostingResult:
    rows: list[tuple[str, int, Latency]] = field(default_factory=list)   # label, followers, latency
    background: dict[str, Latency] = field(default_factory=dict)           # label → the workers' share, ms
    error: str = ""

    def render(self) -> str:
        if self.error:
            return f"(4b) create_status FAILED, no figure: {self.error}"
        base = self.rows[0][2]
        return table(
            ["(4b) create_status, in-process, one at a time", "n", "p50 ms", "mean ms", "p99 ms",
             "mean / no followers", "fan-out share of the post (means)", "left to the workers: mean ms"],
            [(label, lat.count, lat.p50, lat.mean, lat.p99, ratio(lat.mean, base.mean),
              f"{max(0.0, 1 - base.mean / lat.mean):.0%}" if lat.mean else "-",
              self.background[label].mean if label in self.background else "-") for label, _, lat in self.rows],
        ) + f"\n(the request fans out to at most {INLINE_FANOUT_ROWS:,} followers before answering)"


async def run(data: Dataset, db_path: Path, folder: Path, *, budget: float = 8.0) -> PostingResult:
    result = PostingResult()
    settings = Settings(domain=DOMAIN, scheme="http", database_url=f"sqlite:///{db_path}", secret_key=SECRET_KEY,
                        data_dir=folder, run_workers=False)
    db = await connect(settings.database_url)
    try:
        ctx = make_context(settings, db)
        authors = [("author with no followers", 0, data.newcomer_id, 40),
                   ("author with 100 local followers", 100, data.posters[0], 40)]
        authors += [(f"author with {n:,} local followers", n, author, max(3, 20_000 // n))
                    for n, author in sorted(data.fanout_authors.items()) if n > 100]
        for label, followers, account_id, reps in authors:
            author = await account_store.get(db, account_id)
            assert author is not None
            await create_status(ctx, author, PostInput(text="warm-up #topic1"))
            await _finish_jobs(db)
            samples: list[float] = []
            rest: list[float] = []
            deadline = time.perf_counter() + budget
            while len(samples) < reps and time.perf_counter() < deadline:
                start = time.perf_counter()
                await create_status(ctx, author, PostInput(text=f"Bench post {len(samples)} from the sync #topic1"))
                samples.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                if await _finish_jobs(db):
                    rest.append((time.perf_counter() - start) * 1000)
            result.rows.append((label, followers, Latency.of(samples)))
            if rest:
                result.background[label] = Latency.of(rest)
    except Exception as exc:   # a product bug must not hide the other scenarios' figures
        result.error = repr(exc)
    finally:
        await db.close()
    return result


async def _finish_jobs(db: Database) -> int:
    """Run what the requests handed to the workers (no worker runs in the bench); returns the count."""
    jobs = [int(r["id"]) for r in await db.fetchall("SELECT id FROM fanout_jobs ORDER BY id")]
    for job_id in jobs:
        await fanout.run(db, job_id)
    return len(jobs)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import asyncio
    import os
    import shutil

    from . import dataset

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 posts instead of 1,000,000")
    parser.add_argument("--budget", type=float, default=8.0, help="seconds per author at most")
    args = parser.parse_args(argv)
    data = dataset.cached(dataset.QUICK if args.quick else dataset.FULL)
    # A folder of its own: `python -m bench` runs of other people share bench/results/work.
    work = dataset.RESULTS / f"work-posting-{os.getpid()}"
    db_path = dataset.working_copy(data, work)
    try:
        print(asyncio.run(run(data, db_path, work, budget=args.budget)).render())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
