"""Scenario (4b): what fan-out on write costs a whole post, in-process and one at a time.

`server.services.statuses.create_status` (validation, formatting, one write transaction with the
status, its tags, fan-out, adoption and the outbox row) by authors with 0, 100, 1,000 and 10,000
local followers. The baseline is the same call by the author with no followers, measured in the
same run: the difference is what fan-out adds, commit included.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from server.config import Settings
from server.context import make_context
from server.services.statuses import PostInput, create_status
from storage import accounts as account_store
from storage.db import connect

from .dataset import DOMAIN, Dataset
from .servers import SECRET_KEY
from .stats import Latency, ratio, table


@dataclass
class PostingResult:
    rows: list[tuple[str, int, Latency]] = field(default_factory=list)   # label, followers, latency
    error: str = ""

    def render(self) -> str:
        if self.error:
            return f"(4b) create_status FAILED, no figure: {self.error}"
        base = self.rows[0][2]
        return table(
            ["(4b) create_status, in-process, one at a time", "n", "p50 ms", "mean ms", "p99 ms",
             "mean / no followers", "fan-out share of the post (means)"],
            [(label, lat.count, lat.p50, lat.mean, lat.p99, ratio(lat.mean, base.mean),
              f"{max(0.0, 1 - base.mean / lat.mean):.0%}" if lat.mean else "-") for label, _, lat in self.rows],
        )


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
            samples: list[float] = []
            deadline = time.perf_counter() + budget
            while len(samples) < reps and time.perf_counter() < deadline:
                start = time.perf_counter()
                await create_status(ctx, author, PostInput(text=f"Bench post {len(samples)} from the sync #topic1"))
                samples.append((time.perf_counter() - start) * 1000)
            result.rows.append((label, followers, Latency.of(samples)))
    except Exception as exc:   # a product bug must not hide the other scenarios' figures
        result.error = repr(exc)
    finally:
        await db.close()
    return result
