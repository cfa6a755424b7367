"""Thread hops of the SQLite backend: storage/db.py of two source trees, alternated in one run.

    git archive <commit> | tar -x -C /tmp/before
    .venv/bin/python -m bench.bench_db_hops /tmp/before [--rounds 3] [-n 5000] [--posting [--posts 100]]

Per round and per tree (each tree's storage/db.py loaded as its own module; both share this
process, its aiosqlite and the machine's load): N sequential `fetchval("SELECT 1")`, N/20 write
transactions of 12 statements shaped like a post's (inserts, an executemany, reads, an update),
and with --posting (4b)'s create_status (bench.bench_posting) on copies of the quick dataset, by
authors with no and with 100 local followers. Every figure comes with the hops it cost: calls queued to aiosqlite's
per-connection threads, counted at `aiosqlite.Connection._execute`. Read the ratios, not the
absolute times: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import aiosqlite

import storage.db as current_db

HOPS = [0]
_real_execute = aiosqlite.Connection._execute


async def _counted_execute(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
    HOPS[0] += 1
    return await _real_execute(self, fn, *args, **kwargs)


def load_db_module(tree: Path) -> ModuleType:
    """`tree`/storage/db.py as a module of its own (it imports nothing of ours). Its exception
    classes are this tree's, so callers' `except IntegrityError` still match."""
    spec = importlib.util.spec_from_file_location(f"_db_{abs(hash(str(tree)))}", tree / "storage" / "db.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.IntegrityError = current_db.IntegrityError
    module.DatabaseError = current_db.DatabaseError
    return module


SCHEMA = """
CREATE TABLE posts (id INTEGER PRIMARY KEY, author INTEGER NOT NULL, text TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE tags (name TEXT PRIMARY KEY, uses INTEGER NOT NULL DEFAULT 0);
CREATE TABLE post_tags (post INTEGER NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (post, tag));
CREATE TABLE outbox (id INTEGER PRIMARY KEY, post INTEGER NOT NULL);
CREATE TABLE jobs (id INTEGER PRIMARY KEY, post INTEGER NOT NULL);
CREATE TABLE counters (author INTEGER PRIMARY KEY, posts INTEGER NOT NULL DEFAULT 0);
INSERT INTO counters (author) VALUES (1);
"""


async def post_like_transaction(db: Any, n: int) -> None:
    """12 statements, as create_status's transaction has about as many."""
    async with db.transaction() as tx:
        await tx.fetchone("SELECT author, posts FROM counters WHERE author = ?", (1,))
        await tx.execute("INSERT INTO posts (id, author, text, created) VALUES (?, ?, ?, ?)", (n, 1, "hello #a #b", n))
        await tx.executemany("INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING", [("a",), ("b",)])
        await tx.execute("UPDATE tags SET uses = uses + 1 WHERE name IN ('a', 'b')")
        await tx.fetchall("SELECT name, uses FROM tags WHERE name IN ('a', 'b')")
        await tx.executemany("INSERT INTO post_tags (post, tag) VALUES (?, ?)", [(n, "a"), (n, "b")])
        await tx.execute("UPDATE counters SET posts = posts + 1 WHERE author = ?", (1,))
        await tx.execute("INSERT INTO outbox (post) VALUES (?)", (n,))
        await tx.execute("INSERT INTO jobs (post) VALUES (?)", (n,))
        await tx.fetchval("SELECT COUNT(*) FROM jobs WHERE post = ?", (n,))
        await tx.fetchone("SELECT id, text FROM posts WHERE id = ?", (n,))
        await tx.fetchval("SELECT posts FROM counters WHERE author = ?", (1,))


async def timed(count: int, op: Callable[[int], Awaitable[Any]]) -> tuple[float, float, float]:
    """(wall µs, CPU µs of the process's threads, hops) per call, of `count` sequential calls. CPU time
    is the steadier figure on a shared machine: others' load stretches wall time at every hop."""
    HOPS[0] = 0
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        await op(i)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return elapsed / count * 1e6, cpu / count * 1e6, HOPS[0] / count


async def micro(trees: dict[str, ModuleType], folder: Path, n: int) -> dict[tuple[str, str], tuple[float, ...]]:
    """Both trees' databases open at once, timed in alternating chunks (who goes first alternates
    too), so bursts of the machine's other load fall on both alike."""
    dbs = {name: await module.connect(f"sqlite:///{folder / f'hops-{name}.db'}") for name, module in trees.items()}
    try:
        for db in dbs.values():
            await db.executescript(SCHEMA)
            for _ in range(200):   # warm the statement caches and the page cache
                await db.fetchval("SELECT 1")
            await post_like_transaction(db, 10**9)
        ops: dict[str, tuple[int, Callable[[Any, int], Awaitable[Any]]]] = {
            'fetchval("SELECT 1")': (100, lambda db, _i: db.fetchval("SELECT 1")),
            "12-statement write transaction": (5, post_like_transaction),
        }
        sums: dict[tuple[str, str], list[float]] = {}
        for what, (chunk, op) in ops.items():
            calls = n if chunk == 100 else max(20, n // 20)
            for c in range(max(1, calls // chunk)):
                names = list(dbs) if c % 2 == 0 else list(reversed(dbs))
                for name in names:
                    db = dbs[name]
                    first = 1 + c * chunk
                    fig = await timed(chunk, lambda i, db=db, op=op, first=first: op(db, first + i))
                    total = sums.setdefault((what, name), [0.0, 0.0, 0.0, 0.0])
                    for k, v in enumerate((*fig, 1.0)):
                        total[k] += v
        return {key: (w / k, c / k, h / k) for key, (w, c, h, k) in sums.items()}
    finally:
        for db in dbs.values():
            await db.close()


async def posting(trees: dict[str, ModuleType], folder: Path, posts: int) -> dict[tuple[str, str], tuple[float, ...]]:
    """(4b)'s create_status (bench.bench_posting), both trees on their own copy of the quick dataset
    at once, in alternating chunks of 5 posts; the fan-out jobs a post leaves run outside the timing."""
    from server.config import Settings
    from server.context import make_context
    from server.services.statuses import PostInput, create_status
    from storage import accounts as account_store

    from . import dataset
    from .bench_posting import _finish_jobs
    from .servers import SECRET_KEY

    data = dataset.cached(dataset.QUICK, log=False)
    opened: dict[str, tuple[Any, Any]] = {}
    try:
        for name, module in trees.items():
            db_path = dataset.working_copy(data, folder / f"posting-{name}")
            settings = Settings(domain=dataset.DOMAIN, scheme="http", database_url=f"sqlite:///{db_path}",
                                secret_key=SECRET_KEY, data_dir=db_path.parent, run_workers=False)
            db = await module.connect(settings.database_url)
            opened[name] = (make_context(settings, db), db)
        sums: dict[tuple[str, str], list[float]] = {}
        for label, account_id in (("no followers", data.newcomer_id), ("100 local followers", data.posters[0])):
            what = f"(4b) create_status, author with {label}"
            authors = {}
            for name, (ctx, db) in opened.items():
                authors[name] = await account_store.get(db, account_id)
                await create_status(ctx, authors[name], PostInput(text="warm-up #topic1"))
                await _finish_jobs(db)
            for c in range(max(1, posts // 5)):
                for name in (list(opened) if c % 2 == 0 else list(reversed(opened))):
                    ctx, db = opened[name]
                    fig = await timed(5, lambda i, ctx=ctx, author=authors[name]: create_status(
                        ctx, author, PostInput(text=f"Bench post {i} from the sync #topic1")))
                    HOPS[0] = 0
                    await _finish_jobs(db)
                    total = sums.setdefault((what, name), [0.0, 0.0, 0.0, 0.0])
                    for k, v in enumerate((fig[0], fig[1], fig[2] + HOPS[0] / 5, 1.0)):
                        total[k] += v
        return {key: (w / k, c / k, h / k) for key, (w, c, h, k) in sums.items()}
    finally:
        for _, db in opened.values():
            await db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_db_hops", description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="a source tree to compare with this one (git archive of a commit)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-n", type=int, default=5000, help="sequential SELECT 1 per round (transactions: n/20)")
    parser.add_argument("--posting", action="store_true", help="also (4b) create_status on the quick dataset")
    parser.add_argument("--posts", type=int, default=100, help="(4b) posts per author, tree and round")
    args = parser.parse_args(argv)
    n = max(100, min(args.n, 200_000))
    trees = {"before": load_db_module(args.before.resolve()), "after": current_db}
    aiosqlite.Connection._execute = _counted_execute   # type: ignore[method-assign]
    samples: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    folder = Path(tempfile.mkdtemp(prefix="db-hops-"))
    try:
        for round_no in range(max(1, min(args.rounds, 10))):
            round_folder = folder / str(round_no)
            round_folder.mkdir()
            for key, fig in asyncio.run(micro(trees, round_folder, n)).items():
                samples.setdefault(key, []).append(fig)
            if args.posting:
                for key, fig in asyncio.run(posting(trees, round_folder, max(5, min(args.posts, 2000)))).items():
                    samples.setdefault(key, []).append(fig)
            print(f"round {round_no} done", file=sys.stderr, flush=True)
    finally:
        aiosqlite.Connection._execute = _real_execute   # type: ignore[method-assign]
        shutil.rmtree(folder, ignore_errors=True)
    whats = list(dict.fromkeys(what for what, _ in samples))
    print(f"{'median of ' + str(args.rounds) + ' rounds, per call':<56} {'wall µs before':>14} {'after':>9} {'ratio':>6}"
          f" {'CPU µs before':>14} {'after':>9} {'ratio':>6} {'hops before':>12} {'after':>6}")
    for what in whats:
        before, after = samples[(what, "before")], samples[(what, "after")]
        wb, wa = (statistics.median(s[0] for s in side) for side in (before, after))
        cb, ca = (statistics.median(s[1] for s in side) for side in (before, after))
        print(f"{what:<56} {wb:>14,.1f} {wa:>9,.1f} {wa / wb:>6.2f} {cb:>14,.1f} {ca:>9,.1f} {ca / cb:>6.2f}"
              f" {before[0][2]:>12.1f} {after[0][2]:>6.1f}")
    print("(hops: calls queued to aiosqlite's connection threads per call; for (4b), per post,"
          " its fan-out jobs included; CPU: all the process's threads)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
