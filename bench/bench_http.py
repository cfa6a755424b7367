"""Scenarios (a) 5 and (b): the home timeline and post creation through HTTP at 50 clients.

Run: ``.venv/bin/python -m bench --only http,post`` (needs the dataset of scenario (a)).

The surface measured is the first that this checkout serves: the Mastodon API
(`GET /api/v1/timelines/home?limit=40`, bearer token), else the web UI's home page (`/`, session
cookie), else the reader-independent ActivityPub outbox page; the report says which. Posts are
created through `POST /api/v1/statuses` when the API answers it, else in-process through
`server.services.statuses.create_status` (no HTTP: the report says so).

Baselines, measured in the same run on the same database file: bench.baseline_app under uvicorn
(one SELECT of 40 ids; one INSERT), and for the in-process post path one INSERT through
`storage.db` at the same concurrency.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from server.config import Settings
from server.context import make_context
from server.services.statuses import PostInput, create_status
from storage import accounts as account_store
from storage.db import connect

from . import loadgen, servers
from .dataset import DOMAIN, Dataset
from .stats import Latency, ratio, table


@dataclass
class Surface:
    name: str
    path: str
    headers: list[dict[str, str]]
    note: str


@dataclass
class HttpResult:
    surfaces: list[Surface] = field(default_factory=list)
    reads: list[tuple[str, dict[str, Any]]] = field(default_factory=list)   # label, figures
    post_path: str = ""
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @staticmethod
    def _rows(pairs: list[tuple[str, dict[str, Any]]]) -> list[tuple[object, ...]]:
        rows: list[tuple[object, ...]] = []
        bases: dict[str, dict[str, Any]] = {}
        for label, fig in pairs:
            tool = str(fig.get("tool", "?"))
            if label.startswith("baseline"):
                bases[tool] = fig
            base = bases.get(tool)
            rows.append((
                label, tool, int(fig.get("count", 0)), float(fig.get("p50", float("nan"))),
                float(fig.get("p99", float("nan"))), float(fig.get("rps", 0.0)),
                ratio(float(fig.get("p99", float("nan"))), float(base["p99"])) if base else "-",
                ratio(float(base["rps"]), float(fig.get("rps", 0.0))) if base and fig.get("rps") else "-",
            ))
        return rows

    def render(self) -> str:
        headers = ["", "client", "n", "p50 ms", "p99 ms", "req/s", "p99 / baseline", "baseline req/s / ours"]
        # "httpx paced" rows are open loop at a fixed rate: their req/s is that rate, not a capacity.
        lines = []
        for surface in self.surfaces:
            lines.append(f"(5) `{surface.path}` ({surface.name}): {surface.note}")
        if self.reads:
            lines.append(table(headers, self._rows(self.reads)))
        lines.append("")
        lines.append(f"(b) post creation: {self.post_path}")
        lines.append(table(headers, self._rows(self.posts)))
        for label, fig in self.reads + self.posts:
            codes = {k: v for k, v in dict(fig.get("statuses") or {}).items() if not k.startswith("2")}
            if codes or fig.get("non2xx"):
                lines.append(f"WARNING {label} ({fig.get('tool')}): non-2xx answers {codes or fig.get('non2xx')}"
                             f" {fig.get('failures') or ''}")
        lines.extend(self.notes)
        return "\n".join(lines)


def _probe(base_url: str, path: str, headers: dict[str, str], method: str = "GET",
           json_body: dict[str, Any] | None = None) -> httpx.Response | None:
    try:
        return httpx.request(method, base_url + path, headers=headers, json=json_body, timeout=30.0)
    except httpx.HTTPError:
        return None


def choose_surfaces(server: servers.Server, data: Dataset, tokens: list[dict[str, str]],
                    cookie: dict[str, str]) -> list[Surface]:
    """The home timeline surfaces this checkout serves, the one the scenario reports first: the
    Mastodon API, then the web UI's home page; the reader-independent outbox page when neither."""
    found, skipped = [], []
    path = "/api/v1/timelines/home?limit=40"
    if importlib.util.find_spec("server.api") is not None:
        answer = _probe(server.base_url, path, tokens[0])
        if answer is not None and answer.status_code == 200 and isinstance(answer.json(), list):
            found.append(Surface("Mastodon API home", path, tokens[:1],
                                 f"{len(answer.json())} statuses, {len(answer.content):,} bytes of JSON"))
        else:
            skipped.append(f"{path} answered {answer.status_code if answer is not None else 'nothing'}")
    else:
        skipped.append("server/api does not exist in this checkout")
    if importlib.util.find_spec("server.web") is not None:
        answer = _probe(server.base_url, "/?limit=40", cookie)
        if answer is not None and answer.status_code == 200 and "text/html" in answer.headers.get("content-type", ""):
            found.append(Surface("web UI home page", "/?limit=40", [cookie],
                                 f"40 statuses, {len(answer.content):,} bytes of HTML"))
        else:
            skipped.append(f"the web home page answered {answer.status_code if answer is not None else 'nothing'}")
    if not found:
        path = f"/users/{data.outbox_name}/outbox?page=true"
        found.append(Surface("ActivityPub outbox page", path, [{"accept": "application/activity+json"}],
                             "20 Create activities; a stand-in for the home timeline: " + "; ".join(skipped)))
    return found


@dataclass(frozen=True)
class Load:
    """How hard and how long each HTTP measurement drives a server (every loop is bounded)."""

    clients: int = 50
    requests: int = 4000        # closed-loop bound per measurement
    seconds: float = 15.0       # time bound per measurement
    paced_rate: float = 20.0    # open-loop requests/s, all clients together
    use_wrk: bool = False
    gc_freeze: bool = False     # experiment: gc.freeze() the server's heap after warm-up
    more_workers: int = 2       # also measure the reads on `atrium serve --workers N` (0: don't)


def _warm(server: servers.Server, surface: Surface, requests: int = 40) -> None:
    """A few requests before measuring (imports, templates, entity caches in each worker), not counted."""
    for _ in range(requests):
        _probe(server.base_url, surface.path, surface.headers[0])


def _measure(server: servers.Server, path: str, headers: list[dict[str, str]], load: Load, folder: Path, *,
             method: str = "GET", json_body: dict[str, Any] | None = None, paced: bool = True) -> list[dict[str, Any]]:
    """Closed loop with wrk (when installed) and httpx, then open loop (paced) with httpx."""
    url = server.base_url + path
    figures = []
    if load.use_wrk:
        figures.append(loadgen.run_wrk(url, concurrency=load.clients, seconds=max(5, int(load.seconds * 2 // 3)),
                                       headers=headers, method=method, json_body=json_body, folder=folder))
    common = {"url": url, "concurrency": load.clients, "headers": headers, "method": method, "json_body": json_body}
    figures.append(loadgen.run_httpx({**common, "requests": load.requests, "seconds": load.seconds * 2 / 3,
                                      "warmup": 100}))
    if paced:
        figures.append(loadgen.run_httpx({**common, "requests": int(load.paced_rate * load.seconds),
                                          "seconds": load.seconds + 5, "warmup": 20, "rate": load.paced_rate}))
    return figures


async def _in_process_posts(db_path: Path, folder: Path, data: Dataset, *, clients: int, total: int,
                            seconds: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """create_status from `clients` concurrent tasks (one poster each), and the one-INSERT floor."""
    settings = Settings(domain=DOMAIN, scheme="http", database_url=f"sqlite:///{db_path}",
                        secret_key=servers.SECRET_KEY, data_dir=folder, run_workers=False)
    db = await connect(settings.database_url)
    try:
        ctx = make_context(settings, db)
        authors = [await account_store.get(db, poster) for poster in data.posters]
        await db.execute("CREATE TABLE IF NOT EXISTS bench_baseline_inserts"
                         " (id INTEGER PRIMARY KEY, body TEXT NOT NULL, created_at BIGINT NOT NULL)")

        async def drive(action: Any) -> dict[str, Any]:
            latencies: list[float] = []
            counter = 0
            errors: list[str] = []
            deadline = time.perf_counter() + seconds

            async def worker(k: int) -> None:
                nonlocal counter
                while counter < total and time.perf_counter() < deadline:
                    counter += 1
                    n = counter
                    start = time.perf_counter()
                    try:
                        await action(k, n)
                    except Exception as exc:  # reported, not hidden: the figure would be wrong
                        errors.append(repr(exc))
                        return
                    latencies.append((time.perf_counter() - start) * 1000)

            for k in range(min(clients, 5)):   # warm-up: imports, caches
                await action(k, -k - 1)
            start = time.perf_counter()
            await asyncio.gather(*(worker(k) for k in range(clients)))
            elapsed = time.perf_counter() - start
            if errors:
                raise RuntimeError(f"{len(errors)} failures, first: {errors[0]}")
            lat = Latency.of(latencies)
            return {"tool": "in-process", "count": lat.count, "p50": lat.p50, "p99": lat.p99, "max": lat.max,
                    "rps": lat.count / elapsed}

        async def post(k: int, n: int) -> None:
            author = authors[k % len(authors)]
            assert author is not None
            await create_status(ctx, author, PostInput(text=f"Bench post {n} from the weekly sync #topic{n % 200}"))

        async def insert(k: int, n: int) -> None:
            await db.execute("INSERT INTO bench_baseline_inserts (body, created_at) VALUES (?, ?)",
                             (f"Bench post {n} from the weekly sync", int(time.time() * 1000)))

        base = await drive(insert)
        ours = await drive(post)
        return base, ours
    finally:
        await db.close()


def run(data: Dataset, db_path: Path, folder: Path, load: Load) -> HttpResult:
    """Measure (5) and (b) against real uvicorn processes over `db_path`."""
    result = HttpResult()
    if not load.use_wrk:
        result.notes.append("wrk not used: httpx figures only (with `apt-get install wrk`, wrk runs too).")
    tokens = servers.mint_bearer_tokens(db_path, [data.reader_id, *data.posters])
    reader_token, poster_tokens = tokens[:1], tokens[1:]
    cookie = servers.mint_session_cookie(db_path, data.reader_id)
    post_body = {"status": "Bench post {n} from the weekly sync #topic1"}

    with servers.baseline_serve(db_path, folder) as base:
        for fig in _measure(base, f"/ids?account_id={data.reader_id}", [{}], load, folder):
            result.reads.append(("baseline: bare Starlette, one SELECT of 40 ids", fig))
        post_base = _measure(base, "/insert", [{}], load, folder, method="POST", json_body=post_body, paced=False)

    more: list[tuple[str, dict[str, Any]]] = []
    if load.more_workers > 1:
        # Before the posts below change the database: both servers read the same feeds.
        with servers.atrium_serve(db_path, folder, workers=load.more_workers) as atrium:
            for surface in choose_surfaces(atrium, data, reader_token, cookie):
                _warm(atrium, surface)
                for fig in _measure(atrium, surface.path, surface.headers, load, folder):
                    more.append((f"atrium serve --workers {load.more_workers}: {surface.name}", fig))

    api_posts = False
    with servers.atrium_serve(db_path, folder, gc_freeze=load.gc_freeze) as atrium:
        result.surfaces = choose_surfaces(atrium, data, reader_token, cookie)
        for surface in result.surfaces:
            _warm(atrium, surface)
        if load.gc_freeze:
            for surface in result.surfaces:   # import what the first requests import, then freeze
                for _ in range(20):
                    _probe(atrium.base_url, surface.path, surface.headers[0])
            servers.freeze_heap(atrium)
            result.notes.append("EXPERIMENT --gc-freeze: the server's heap was gc.freeze()d after warm-up.")
        for surface in result.surfaces:
            for fig in _measure(atrium, surface.path, surface.headers, load, folder):
                result.reads.append((f"atrium serve: {surface.name}", fig))
        result.reads += more
        if importlib.util.find_spec("server.api") is not None:
            probe = _probe(atrium.base_url, "/api/v1/statuses", poster_tokens[0], "POST", {"status": "probe"})
            api_posts = probe is not None and probe.status_code == 200
        if api_posts:
            result.post_path = ("through HTTP, `POST /api/v1/statuses`, a bearer token per poster (50 posters with"
                                " 100 local followers each: 101 home_feed rows, an outbox row per post)")
            result.posts += [("baseline: bare Starlette, one INSERT", fig) for fig in post_base]
            for fig in _measure(atrium, "/api/v1/statuses", poster_tokens, load, folder, method="POST",
                                json_body=post_body, paced=False):
                result.posts.append(("atrium: POST /api/v1/statuses", fig))
    if not api_posts:
        result.post_path = (
            "the Mastodon API does not answer `POST /api/v1/statuses` in this checkout, so posts are created"
            " in-process through server.services.statuses.create_status (no HTTP); 50 concurrent tasks, one"
            " poster each (100 local followers: 101 home_feed rows, an outbox row, adoption, tags per post)"
        )
        result.posts += [("baseline: bare Starlette, one INSERT over HTTP", fig) for fig in post_base]
        try:
            in_base, ours = asyncio.run(_in_process_posts(db_path, folder, data, clients=load.clients,
                                                          total=load.requests // 2, seconds=load.seconds))
        except Exception as exc:   # a product bug must not hide the other figures
            result.notes.append(f"create_status FAILED, no figure: {exc!r}")
        else:
            result.posts.append(("baseline: one INSERT through storage.db, in-process", in_base))
            result.posts.append(("create_status, in-process", ours))
            http_base = max(float(f["rps"]) for f in post_base)
            result.notes.append(f"create_status in-process: {ours['rps'] / http_base:.2f}× the posts/s of the bare"
                                " HTTP insert endpoint (best client)")
    return result
