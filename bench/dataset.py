"""The timeline benchmark's SQLite database: 50,000 accounts, 1,000,000 posts, one reader.

The schema comes from our migrations (`storage.migrate.migrate`); the rows are bulk-inserted with
`executemany` inside a few large transactions on a plain `sqlite3` connection (no thread hop per
batch, journal off while loading: a half-built file is never used because it is renamed into place
only when complete). The file is cached under `bench/results/` and named by a hash of the
parameters, the generator version and the migrations, so a rerun reuses it; each run works on a
copy so that the writes it measures never touch the cached file.

What is in it:
- `accounts` local employees, `user00001`…; a `reader` (with a `users` row, so a session or a token
  can be minted for it) following `follows_per_reader` of them; an `admin` (so `atrium serve` does
  not create one on start); a `newcomer` following 5 accounts (the worst case of a feed
  computed on read by scanning posts newest first).
- `posts` statuses with snowflake ids spread over the last 365 days, authors drawn uniformly, 80 %
  public, 10 % company, 5 % unlisted, 5 % followers-only; 10 % replies, 10 % with a hashtag, 5 % with
  a mention (so hydration has real work).
- the reader's `home_feed` materialised: every post of the accounts the reader follows, replies
  only to people it also follows (what `storage.timelines.fan_out` would have written).
- fan-out authors `fan_<N>` followed by the first N accounts (each of which already has
  `background_feed` rows in its own feed), and `poster<NN>` accounts followed
  by `poster_followers` accounts each (authors of the post-creation scenario).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from storage.db import connect
from storage.migrate import migrate

GENERATOR_VERSION = 8
RESULTS = Path(__file__).resolve().parent / "results"
DOMAIN = "bench.atrium.test"
BASE = f"http://{DOMAIN}"
BATCH = 50_000
YEAR_MS = 365 * 86_400_000
NEWCOMER_FOLLOWS = 5
DEPARTMENTS = ("Engineering", "Sales", "Support", "Finance", "Legal", "People", "Marketing", "Design")


@dataclass(frozen=True)
class Params:
    """What the dataset is made of (hashed into the cached file's name)."""

    accounts: int = 50_000
    posts: int = 1_000_000
    follows_per_reader: int = 1_000
    fanout_sizes: tuple[int, ...] = (100, 1_000, 10_000)
    posters: int = 50
    poster_followers: int = 100
    tags: int = 200
    background_feed: int = 200         # home_feed rows of each fan-out follower before the bench
    seed: int = 20250314
    now_ms: int = 1_767_225_600_000   # 2026-01-01: fixed, so ids (and the hash) are reproducible

    def key(self) -> str:
        migrations = sorted(
            (entry.name, entry.read_text("utf-8"))
            for entry in resources.files("storage.migrations").iterdir()
            if entry.name.endswith(".sql")
        )
        blob = json.dumps([GENERATOR_VERSION, asdict(self), migrations], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


QUICK = Params(posts=100_000, background_feed=50)
FULL = Params()


@dataclass
class Dataset:
    """A built database and the ids the scenarios need."""

    path: Path
    params: Params
    reader_id: int
    reader_name: str
    admin_id: int
    newcomer_id: int                               # follows only NEWCOMER_FOLLOWS accounts
    fanout_authors: dict[int, int]                 # follower count -> author id
    posters: list[int]
    outbox_name: str                               # the account with the most public posts
    build_seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    def manifest(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        data["params"] = asdict(self.params)
        data["fanout_authors"] = {str(k): v for k, v in self.fanout_authors.items()}
        return data

    @classmethod
    def from_manifest(cls, data: dict[str, Any]) -> Dataset:
        params = {**data["params"], "fanout_sizes": tuple(data["params"]["fanout_sizes"])}
        return cls(
            path=Path(data["path"]), params=Params(**params), reader_id=int(data["reader_id"]),
            reader_name=str(data["reader_name"]), admin_id=int(data["admin_id"]),
            newcomer_id=int(data["newcomer_id"]),
            fanout_authors={int(k): int(v) for k, v in data["fanout_authors"].items()},
            posters=[int(p) for p in data["posters"]], outbox_name=str(data["outbox_name"]),
            build_seconds=float(data["build_seconds"]), counts={k: int(v) for k, v in data["counts"].items()},
        )


def snowflake(ms: int, low: int) -> int:
    return (ms << 16) | (low & 0xFFFF)


def _account_row(account_id: int, username: str, created: int, department: str) -> tuple[object, ...]:
    actor = f"{BASE}/users/{username}"
    return (
        account_id, actor, username, f"{username.capitalize()} Example", f"{BASE}/@{username}", f"{actor}/inbox",
        f"{BASE}/inbox", f"{actor}/outbox", f"{actor}/followers", f"{actor}/following",
        f"{actor}/collections/featured", f"{actor}#main-key", department, "Employee", created, created,
    )


_ACCOUNT_SQL = (
    "INSERT INTO accounts (id, uri, username, domain, display_name, url, inbox_url, shared_inbox_url, outbox_url,"
    " followers_url, following_url, featured_url, public_key_id, department, title, created_at, updated_at)"
    " VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_STATUS_SQL = (
    "INSERT INTO statuses (id, uri, url, account_id, local, visibility, in_reply_to_id, in_reply_to_uri,"
    " in_reply_to_account_id, thread_root_id, content, source_text, language, created_at)"
    " VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, 'en', ?)"
)
_FOLLOW_SQL = (
    "INSERT INTO follows (id, account_id, target_account_id, uri, state, created_at)"
    " VALUES (?, ?, ?, NULL, 'accepted', ?) ON CONFLICT DO NOTHING"
)


def _visibility(rng: random.Random) -> str:
    draw = rng.random()
    if draw < 0.80:
        return "public"
    if draw < 0.90:
        return "company"
    if draw < 0.95:
        return "unlisted"
    return "followers"


@contextmanager
def _indexes_deferred(conn: sqlite3.Connection, tables: tuple[str, ...]) -> Iterator[None]:
    """Drop the tables' secondary indexes and create them again, from the very SQL the migrations
    stored, once the rows are in: one sort per index instead of a random B-tree insert per row."""
    marks = ",".join("?" * len(tables))
    indexes = conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({marks}) AND sql IS NOT NULL",
        tables,
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    yield
    for _, sql in indexes:
        conn.execute(sql)


def _generate(conn: sqlite3.Connection, params: Params) -> dict[str, Any]:
    """Insert every row; returns the ids the scenarios need."""
    rng = random.Random(params.seed)
    start_ms = params.now_ms - 2 * YEAR_MS
    n = params.accounts
    usernames = [f"user{i:05d}" for i in range(n)]
    account_ids = [snowflake(start_ms + i * 1000, i) for i in range(n)]
    extra = ["reader", "admin", "newcomer"] + [f"fan_{size}" for size in params.fanout_sizes]
    extra += [f"poster{i:02d}" for i in range(params.posters)]
    extra_ids = {name: snowflake(start_ms + (n + i) * 1000, n + i) for i, name in enumerate(extra)}

    conn.execute("BEGIN")
    rows = [_account_row(account_ids[i], usernames[i], start_ms, DEPARTMENTS[i % len(DEPARTMENTS)]) for i in range(n)]
    rows += [_account_row(extra_ids[name], name, start_ms, "Engineering") for name in extra]
    conn.executemany(_ACCOUNT_SQL, rows)
    # Logins for the accounts that act in the scenarios (users rows, without passwords).
    conn.executemany(
        "INSERT INTO users (id, account_id, role, created_at) VALUES (?, ?, ?, ?)",
        [(extra_ids[name], extra_ids[name], "admin" if name == "admin" else "user", start_ms) for name in extra],
    )
    conn.execute("COMMIT")

    # The follow graph the scenarios need (not a whole company's: home_feed rows for everyone
    # would be posts x average followers, see README).
    follow_rows: list[tuple[object, ...]] = []
    seq = 0

    def follow(follower: int, target: int) -> None:
        nonlocal seq
        seq += 1
        follow_rows.append((snowflake(start_ms + YEAR_MS, seq), follower, target, start_ms + YEAR_MS))

    reader = extra_ids["reader"]
    followed = rng.sample(account_ids, params.follows_per_reader)
    for target in followed:
        follow(reader, target)
    for target in rng.sample(account_ids, NEWCOMER_FOLLOWS):
        follow(extra_ids["newcomer"], target)
    fanout_authors = {}
    for size in params.fanout_sizes:
        author = extra_ids[f"fan_{size}"]
        fanout_authors[size] = author
        for follower in account_ids[:size]:
            follow(follower, author)
    posters = [extra_ids[f"poster{i:02d}"] for i in range(params.posters)]
    for poster in posters:
        for follower in rng.sample(account_ids, params.poster_followers):
            follow(follower, poster)
    conn.execute("BEGIN")
    conn.executemany(_FOLLOW_SQL, follow_rows)
    conn.execute(
        "UPDATE accounts SET followers_count = (SELECT COUNT(*) FROM follows f WHERE f.target_account_id = accounts.id),"
        " following_count = (SELECT COUNT(*) FROM follows f WHERE f.account_id = accounts.id)"
        " WHERE id IN (SELECT account_id FROM follows UNION SELECT target_account_id FROM follows)"
    )
    tag_ids = [snowflake(start_ms, 60_000 + i) for i in range(params.tags)]
    conn.executemany(
        "INSERT INTO tags (id, name, display_name, created_at) VALUES (?, ?, ?, ?)",
        [(tag_ids[i], f"topic{i}", f"Topic{i}", start_ms) for i in range(params.tags)],
    )
    conn.execute("COMMIT")

    # Posts, oldest first, so the primary key grows at its right edge as in production.
    first_ms = params.now_ms - YEAR_MS
    step = YEAR_MS / params.posts
    status_ids: list[int] = []
    status_authors: list[int] = []   # index into account_ids
    status_roots: list[int] = []
    status_reply_to: list[int] = []  # account id replied to, 0 for none
    posts_by_author: dict[int, int] = {}
    batch: list[tuple[object, ...]] = []
    tag_rows: list[tuple[int, int]] = []
    mention_rows: list[tuple[int, int]] = []
    conn.execute("BEGIN")
    deferred = _indexes_deferred(conn, ("statuses", "home_feed", "status_tags", "mentions"))
    deferred.__enter__()   # left once every row is in
    for i in range(params.posts):
        ms = int(first_ms + i * step)
        status_id = snowflake(ms, i)
        author_index = rng.randrange(n)
        author = account_ids[author_index]
        name = usernames[author_index]
        visibility = _visibility(rng)
        reply_to = reply_uri = reply_account = root = None
        if status_ids and rng.random() < 0.10:
            parent = rng.randrange(len(status_ids))
            reply_to, reply_account = status_ids[parent], account_ids[status_authors[parent]]
            root = status_roots[parent] or reply_to
            reply_uri = f"{BASE}/users/{usernames[status_authors[parent]]}/statuses/{reply_to}"
        text = f"Update {i} from {DEPARTMENTS[author_index % len(DEPARTMENTS)]}: notes from today's sync, next steps"
        html = f"<p>{text}</p>"
        if rng.random() < 0.10:
            tag = rng.randrange(params.tags)
            tag_rows.append((status_id, tag_ids[tag]))
            link = f'<a href="{BASE}/tags/topic{tag}" class="mention hashtag" rel="tag">#<span>topic{tag}</span></a>'
            html = f"<p>{text} {link}</p>"
        if rng.random() < 0.05:
            mention_rows.append((status_id, account_ids[rng.randrange(n)]))
        batch.append((
            status_id, f"{BASE}/users/{name}/statuses/{status_id}", f"{BASE}/@{name}/{status_id}", author, visibility,
            reply_to, reply_uri, reply_account, root, html, text, ms,
        ))
        status_ids.append(status_id)
        status_authors.append(author_index)
        status_roots.append(root or 0)
        status_reply_to.append(reply_account or 0)
        if visibility == "public":
            posts_by_author[author_index] = posts_by_author.get(author_index, 0) + 1
        if len(batch) >= BATCH:
            conn.executemany(_STATUS_SQL, batch)
            batch = []
    conn.executemany(_STATUS_SQL, batch)
    conn.executemany("INSERT INTO status_tags (status_id, tag_id) VALUES (?, ?)", tag_rows)
    conn.executemany("INSERT INTO mentions (status_id, account_id) VALUES (?, ?) ON CONFLICT DO NOTHING", mention_rows)

    # Home feeds, inserted in primary-key order: the reader's is every post of the accounts it
    # follows (what fan-out on write would have put there); the fan-out followers get
    # `background_feed` random posts each, so that fan-out writes into a table where every reader
    # already has a range (as in production) rather than into an empty one.
    # Mastodon's rule, as storage.timelines.fan_out applies it: a reply enters the feed only when
    # the reader also follows the person replied to.
    followed_set = set(followed)
    feed_rows = [
        (reader, sid, account_ids[a]) for sid, a, to in zip(status_ids, status_authors, status_reply_to, strict=True)
        if account_ids[a] in followed_set and (not to or to == account_ids[a] or to in followed_set)
    ]
    for follower in account_ids[: max(params.fanout_sizes, default=0)]:
        picks = rng.sample(range(len(status_ids)), min(params.background_feed, len(status_ids)))
        feed_rows.extend((follower, status_ids[i], account_ids[status_authors[i]]) for i in picks)
    feed_rows.sort()
    conn.executemany("INSERT INTO home_feed (account_id, status_id, author_id) VALUES (?, ?, ?)"
                     " ON CONFLICT DO NOTHING", feed_rows)
    deferred.__exit__(None, None, None)
    conn.execute(
        "UPDATE accounts SET statuses_count = (SELECT COUNT(*) FROM statuses s WHERE s.account_id = accounts.id),"
        " last_status_at = (SELECT MAX(created_at) FROM statuses s WHERE s.account_id = accounts.id)"
    )
    conn.execute("COMMIT")
    busiest = max(posts_by_author, key=lambda k: posts_by_author[k])
    return {
        "reader_id": reader, "reader_name": "reader", "admin_id": extra_ids["admin"],
        "newcomer_id": extra_ids["newcomer"],
        "fanout_authors": fanout_authors, "posters": posters, "outbox_name": usernames[busiest],
    }


async def _migrate(path: Path) -> None:
    db = await connect(f"sqlite:///{path}")
    try:
        await migrate(db)
    finally:
        await db.close()


def build(params: Params, path: Path) -> Dataset:
    """Create the database at `path` (through our migrations), fill it, return what it holds."""
    started = time.perf_counter()
    path.unlink(missing_ok=True)
    asyncio.run(_migrate(path))
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # Loading only: a crash leaves a `.building` file that is never used.
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-2000000")
        conn.execute("PRAGMA foreign_keys=OFF")
        ids = _generate(conn, params)
        conn.execute("ANALYZE")
        counts = {
            table: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in ("accounts", "statuses", "follows", "home_feed", "status_tags", "mentions")
        }
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    return Dataset(path=path, params=params, build_seconds=time.perf_counter() - started, counts=counts, **ids)


def cached(params: Params, *, rebuild: bool = False, log: bool = True) -> Dataset:
    """The dataset for `params`, built once and reused while the parameters and migrations hold."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    key = params.key()
    path = RESULTS / f"timeline-{params.posts}-{key}.db"
    manifest = path.with_suffix(".json")
    if not rebuild and path.exists() and manifest.exists():
        return Dataset.from_manifest(json.loads(manifest.read_text()))
    if log:
        print(f"building {params.accounts:,} accounts / {params.posts:,} posts into {path.name} …", flush=True)
    building = path.with_suffix(".building")
    dataset = build(params, building)
    for suffix in ("-wal", "-shm"):
        Path(str(building) + suffix).unlink(missing_ok=True)
    building.replace(path)
    dataset.path = path
    manifest.write_text(json.dumps(dataset.manifest(), indent=1))
    if log:
        print(f"built in {dataset.build_seconds:.1f} s: {dataset.counts}", flush=True)
    return dataset


def working_copy(dataset: Dataset, folder: Path) -> Path:
    """A copy of the cached file to run against (the scenarios write to it)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "atrium.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copyfile(dataset.path, target)
    return target
