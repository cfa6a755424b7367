"""Scenario (a) 1–4: the home timeline at storage level, computed on read against materialised.

Run: ``.venv/bin/python -m bench --only home`` (add ``--quick`` for 100,000 posts).

Every query goes through `storage.db` (aiosqlite, one thread hop per statement) as a route's does.
The baseline, measured in the same run, is the cheapest possible storage call: one `SELECT 1`
through the same handle, i.e. the thread hop every query pays whatever it does.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from storage import fanout, hydrate, timelines
from storage.db import Database, Executor, connect
from storage.ids import new_id, now_ms
from storage.pagination import Page

from .dataset import BASE, Dataset
from .stats import Latency, ratio, table, time_async

PAGE = 40
COMPUTED_SQL = (
    "SELECT s.id FROM statuses s WHERE s.account_id IN (SELECT target_account_id FROM follows"
    " WHERE account_id=? AND state='accepted') ORDER BY s.id DESC LIMIT 40"
)
# The same question with the index on account_id disabled (`+`), so SQLite walks statuses newest
# first and keeps the followed authors' posts: quick when they are frequent, a full scan when not.
COMPUTED_BY_TIME_SQL = COMPUTED_SQL.replace("WHERE s.account_id IN", "WHERE +s.account_id IN")
_FOLLOWED = "(SELECT target_account_id FROM follows WHERE account_id = ? AND state = 'accepted')"
# What a home timeline computed on read really has to ask: the visibility rule (direct and
# followers-only posts) and Mastodon's reply rule (a reply shows when its reader follows both
# people), which the covering (account_id, id) index cannot answer: every candidate row is read.
FULL_RULE_REPLIES = (
    " AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id"
    f" OR s.in_reply_to_account_id = ? OR s.in_reply_to_account_id IN {_FOLLOWED})"
)


def computed_full_rule(reader_id: int) -> tuple[str, tuple[object, ...]]:
    condition, params = timelines.visible_sql(timelines.Viewer(reader_id, local=True))
    sql = (f"SELECT s.id FROM statuses s WHERE s.account_id IN {_FOLLOWED} AND {condition}{FULL_RULE_REPLIES}"
           " ORDER BY s.id DESC LIMIT 40")
    return sql, (reader_id, *params, reader_id, reader_id)


# Fan-out as it was until migration 0010: every follower in one INSERT … SELECT inside the post's
# transaction, measured beside the batched fan-out (storage.fanout) that replaced it.
ONE_TRANSACTION_FANOUT = (
    "INSERT INTO home_feed (account_id, status_id, author_id) SELECT f.account_id, ?, ? FROM follows f"
    " JOIN accounts a ON a.id = f.account_id WHERE f.target_account_id = ? AND f.state = 'accepted'"
    " AND a.domain IS NULL ON CONFLICT DO NOTHING"
)


@dataclass
class HomeResult:
    rows: list[tuple[str, Latency, float]] = field(default_factory=list)   # name, latency, baseline p50
    fanout: list[dict[str, float]] = field(default_factory=list)
    plans: dict[str, list[str]] = field(default_factory=dict)
    feed_bytes_per_row: float = 0.0
    same_page: bool = False

    def render(self) -> str:
        baseline = next(lat for name, lat, _ in self.rows if name.startswith("baseline"))
        lines = [table(
            ["storage-level, one reader (ms)", "n", "p50", "p99", "max", "p50 / baseline", "p99 / baseline"],
            [(name, lat.count, lat.p50, lat.p99, lat.max, ratio(lat.p50, baseline.p50), ratio(lat.p99, baseline.p99))
             for name, lat, _ in self.rows],
        )]
        lines.append("")
        lines.append(table(
            ["(4) fan-out on write, one post", "n", "feed rows", "batches", "ms/post p50", "ms/post mean",
             "ms per 1,000 rows", "longest tx p50", "longest tx max", "one tx: ms p50", "one tx: ms/1,000",
             "floor: executemany ms/1,000"],
            [(f"author with {int(f['followers']):,} local followers", int(f["reps"]), int(f["rows"]),
              int(f["batches"]), f["post_p50"], f["post_mean"], f["per_1000"], f["longest_p50"], f["longest_max"],
              f["one_p50"], f["one_per_1000"], f["bare_per_1000"]) for f in self.fanout],
        ))
        lines.append("(batched = storage.fanout.run after the post's commit, BATCH followers per transaction;"
                     " 'longest tx' is the longest of those transactions, i.e. how long one post can hold"
                     " SQLite's write lock; 'one tx' is the pre-0010 fan-out, every follower in the post's"
                     " transaction. Per 1,000 rows: means; each run starts from an empty WAL and pays the"
                     " checkpoints its own commits trigger)")
        lines.append("")
        lines.append(f"home_feed storage: {self.feed_bytes_per_row:.0f} bytes per row (table + its 3 indexes)")
        lines.append(f"first page computed on read (1+) identical to the materialised one (2): {self.same_page}")
        for name, plan in self.plans.items():
            lines.append(f"plan of {name}: " + " / ".join(plan))
        return "\n".join(lines)

    def figure(self, name: str) -> Latency:
        return next(lat for row, lat, _ in self.rows if row == name)


async def _latencies(db: Database, data: Dataset, count: int, budget: float) -> list[tuple[str, Latency, float]]:
    reader, page = data.reader_id, Page(limit=PAGE)

    async def baseline() -> None:
        await db.fetchall("SELECT 1")

    async def computed() -> None:
        await db.fetchall(COMPUTED_SQL, (reader,))

    async def computed_by_time() -> None:
        await db.fetchall(COMPUTED_BY_TIME_SQL, (reader,))

    async def computed_by_time_newcomer() -> None:
        await db.fetchall(COMPUTED_BY_TIME_SQL, (data.newcomer_id,))

    full_sql, full_args = computed_full_rule(reader)

    async def computed_full() -> None:
        await db.fetchall(full_sql, full_args)

    async def computed_newcomer() -> None:
        await db.fetchall(COMPUTED_SQL, (data.newcomer_id,))

    async def materialised() -> None:
        await timelines.home(db, reader, page)

    async def materialised_hydrated() -> None:
        ids = await timelines.home(db, reader, page)
        await hydrate.load_statuses(db, ids, reader)

    async def computed_hydrated() -> None:
        rows = await db.fetchall(full_sql, full_args)
        await hydrate.load_statuses(db, [int(r["id"]) for r in rows], reader)

    cases = [
        ("baseline: SELECT 1 through storage.db", baseline, count),
        ("(1) computed on read, (account_id, id) index", computed, count),
        ("(1) same, newcomer following 5", computed_newcomer, count),
        ("(1+) computed on read with the visibility and reply rules", computed_full, count // 2),
        ("(1') computed on read, scanning by time", computed_by_time, count),
        ("(1') same, newcomer following 5", computed_by_time_newcomer, max(10, count // 100)),
        ("(2) materialised: timelines.home", materialised, count),
        ("(3) timelines.home + hydrate.load_statuses", materialised_hydrated, count // 2),
        ("(3') computed on read (1+) + load_statuses", computed_hydrated, count // 2),
    ]
    results = []
    for name, call, n in cases:
        results.append((name, await time_async(call, count=n, budget_s=budget, warmup=min(20, n)), 0.0))
    return results


async def _insert_status(db: Database, author_id: int) -> int:
    status_id = new_id()
    await db.execute(
        "INSERT INTO statuses (id, uri, account_id, local, visibility, content, created_at)"
        " VALUES (?, ?, ?, 1, 'public', '<p>fan-out probe</p>', ?)",
        (status_id, f"{BASE}/bench/fanout/{status_id}", author_id, now_ms()),
    )
    return status_id


async def _remove_status(db: Database, status_id: int) -> None:
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM home_feed WHERE status_id = ?", (status_id,))
        await tx.execute("DELETE FROM statuses WHERE id = ?", (status_id,))


async def _timed_tx(db: Database, work: Callable[..., Awaitable[object]], *args: object) -> float:
    """ms for one write transaction running `work(tx, *args)`, commit included.

    It starts from an empty WAL, so it never pays the checkpoint of pages an earlier step dirtied
    (with a fixed order of steps, that debt would land on the same step every time); its own commit
    still checkpoints when it alone dirtied more than SQLite's 1,000-page threshold."""
    await db.fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
    start = time.perf_counter()
    async with db.transaction() as tx:
        await work(tx, *args)
    return (time.perf_counter() - start) * 1000


async def _batched_fanout(db: Database, status_id: int, author: int) -> tuple[float, float, int]:
    """(total ms, longest transaction ms, batches) for storage.fanout's job of one post, each batch
    its own transaction, commit included, starting from an empty WAL."""
    async with db.transaction() as tx:
        await fanout.enqueue(tx, status_id=status_id, author_id=author, in_reply_to_account_id=None, is_reblog=False)
    await db.fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
    times: list[float] = []
    while True:
        start = time.perf_counter()
        finished = await fanout.run_batch(db, status_id)
        times.append((time.perf_counter() - start) * 1000)
        if finished:
            return sum(times), max(times), len(times)


async def _one_transaction_fanout(tx: Executor, status_id: int, author: int) -> None:
    await tx.execute(ONE_TRANSACTION_FANOUT, (status_id, author, author))


async def _floor_fanout(tx: Executor, status_id: int, author: int, followers: list[int]) -> None:
    await tx.executemany("INSERT INTO home_feed (account_id, status_id, author_id) VALUES (?, ?, ?)",
                         [(f, status_id, author) for f in followers])


async def _fanout(db: Database, data: Dataset, reps: int, budget: float) -> list[dict[str, float]]:
    """ms to fan one post out to its followers, per post and per 1,000 feed rows: batched after the
    commit (storage.fanout, what ships), in one transaction (what shipped before migration 0010), and
    as a bare executemany of the same rows in one transaction (the floor for this table)."""
    found = []
    for followers, author in sorted(data.fanout_authors.items()):
        follower_ids = [int(r["account_id"]) for r in await db.fetchall(
            "SELECT account_id FROM follows WHERE target_account_id = ? AND state = 'accepted'", (author,))]
        times: list[float] = []
        longest: list[float] = []
        one: list[float] = []
        bare: list[float] = []
        rows = batches = 0
        deadline = time.perf_counter() + budget
        for _ in range(max(5, min(reps, 20_000 // max(followers, 1)))):
            if time.perf_counter() > deadline and times:
                break
            status_id = await _insert_status(db, author)
            total, worst, batches = await _batched_fanout(db, status_id, author)
            times.append(total)
            longest.append(worst)
            rows = int(await db.fetchval("SELECT COUNT(*) FROM home_feed WHERE status_id = ?", (status_id,)))
            await db.execute("DELETE FROM home_feed WHERE status_id = ?", (status_id,))
            one.append(await _timed_tx(db, _one_transaction_fanout, status_id, author))
            await db.execute("DELETE FROM home_feed WHERE status_id = ?", (status_id,))
            bare.append(await _timed_tx(db, _floor_fanout, status_id, author, follower_ids))
            await _remove_status(db, status_id)
        # Means, not medians, for the cost per row: the checkpoints big commits pay are part of it.
        post, worst_lat, one_lat = Latency.of(times), Latency.of(longest), Latency.of(one)
        found.append({
            "followers": followers, "rows": rows, "batches": batches, "post_p50": post.p50, "post_mean": post.mean,
            "per_1000": post.mean / rows * 1000, "longest_p50": worst_lat.p50, "longest_max": worst_lat.max,
            "one_p50": one_lat.p50, "one_per_1000": one_lat.mean / rows * 1000,
            "bare_per_1000": Latency.of(bare).mean / rows * 1000, "reps": len(times),
        })
    return found


def _plans_and_size(path: Path, data: Dataset) -> tuple[dict[str, list[str]], float]:
    conn = sqlite3.connect(path)
    try:
        plans = {}
        for name, sql, arg in (("(1)", COMPUTED_SQL, data.reader_id), ("(1')", COMPUTED_BY_TIME_SQL, data.reader_id),
                               ("(2)", "SELECT status_id FROM home_feed WHERE account_id = ? ORDER BY status_id DESC"
                                       " LIMIT 40", data.reader_id)):
            plans[name] = [str(row[3]) for row in conn.execute("EXPLAIN QUERY PLAN " + sql, (arg,))]
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'home_feed'")]
        marks = ",".join("?" * len(names))
        size = conn.execute(f"SELECT SUM(pgsize) FROM dbstat WHERE name IN ({marks})", names).fetchone()[0]
        count = conn.execute("SELECT COUNT(*) FROM home_feed").fetchone()[0]
        return plans, (size or 0) / max(count, 1)
    except sqlite3.OperationalError:   # dbstat is compiled out of some SQLite builds
        return plans, float("nan")
    finally:
        conn.close()


async def run(data: Dataset, db_path: Path, *, count: int = 2000, budget: float = 4.0) -> HomeResult:
    """Measure (1)–(4) on `db_path` (a working copy of the dataset)."""
    result = HomeResult()
    db = await connect(f"sqlite:///{db_path}")
    try:
        full_sql, full_args = computed_full_rule(data.reader_id)
        computed = [int(r["id"]) for r in await db.fetchall(full_sql, full_args)]
        materialised = await timelines.home(db, data.reader_id, Page(limit=PAGE))
        result.same_page = computed == materialised
        result.rows = await _latencies(db, data, count, budget)
        result.fanout = await _fanout(db, data, reps=30, budget=budget * 4)
    finally:
        await db.close()
    result.plans, result.feed_bytes_per_row = _plans_and_size(db_path, data)
    return result
