"""Live streams for client apps: which connection gets which event, across web workers.

Every worker runs one `Hub`. Status events are written to the `stream_events` table by the event
listener of whichever worker handled the change (server/streaming_wiring.py); every hub reads that
table (PostgreSQL also NOTIFYs, so hubs wake at once) and the `notifications` table, and fans out to
the connections it holds. Rows carry ids only: each status is rendered per connected account, after
asking the same visibility rule as every other surface (storage.timelines.can_see), so a stream
never shows anyone a post they could not open.

Streams (Mastodon's names): user, user:notification, public, public:local, public:remote and their
:media variants, hashtag, hashtag:local, list, direct; and Atrium's public:company.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from storage import follows, hydrate, lists, streams, timelines
from storage import statuses as status_store
from storage.db import Row
from storage.ids import ms_to_min_id, now_ms
from storage.timelines import Viewer

from .api import filtering
from .api.present import Presenter
from .context import Context
from .mastodon import misc

log = logging.getLogger("atrium.streaming")

PUBLIC_STREAMS = ("public", "public:local", "public:remote", "public:media", "public:local:media",
                  "public:remote:media", "public:company")
STATUS_STREAMS = ("user", *PUBLIC_STREAMS, "hashtag", "hashtag:local", "list", "direct")
ALL_STREAMS = (*STATUS_STREAMS, "user:notification")
# The filter context each stream's posts are judged in, as the matching timeline would judge them.
FILTER_CONTEXT = {"user": "home", "list": "home", "hashtag": "public", "hashtag:local": "public",
                  **{name: "public" for name in PUBLIC_STREAMS}}
# Scopes a token needs for each stream (any of them).
STREAM_SCOPES = {
    "user": ("read:statuses", "read:notifications"),
    "user:notification": ("read:notifications",),
    "list": ("read:lists",),
    "direct": ("read:statuses",),
}
DEFAULT_SCOPES = ("read:statuses",)
POLL_SECONDS = 0.25
LAG_MS = 5_000          # events committed up to this late (by id) are still picked up, once
PURGE_AFTER_MS = 300_000
QUEUE_SIZE = 500


@dataclass(frozen=True)
class Subscription:
    stream: str
    param: str | None = None   # the tag of hashtag streams, the list id of list streams

    def names(self) -> list[str]:
        return [self.stream] if self.param is None else [self.stream, self.param]


@dataclass(eq=False)
class Connection:
    """One open stream (a WebSocket with several subscriptions, or an SSE response with one)."""

    account_id: int
    subscriptions: set[Subscription] = field(default_factory=set)
    queue: asyncio.Queue[dict[str, Any] | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    closed: bool = False
    # Only what happens after the connection opened is sent (ids are creation times).
    since_id: int = field(default_factory=lambda: ms_to_min_id(now_ms()))

    def push(self, message: dict[str, Any]) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            # A client that does not read is dropped rather than buffered without bound.
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait(None)


class SubscriptionError(ValueError):
    """A subscribe request that cannot be honoured; the message is sent to the client."""


async def check_subscription(ctx: Context, account_id: int, stream: str, params: dict[str, Any]) -> Subscription:
    """Validate a subscribe request (stream name, tag, list ownership)."""
    if stream not in ALL_STREAMS:
        raise SubscriptionError("Unknown stream type")
    if stream in ("hashtag", "hashtag:local"):
        from activitypub.content import normalize_hashtag

        tag = str(params.get("tag") or "").lstrip("#")[:200]
        if not tag:
            raise SubscriptionError("No tag for stream provided")
        return Subscription(stream, normalize_hashtag(tag))
    if stream == "list":
        raw = str(params.get("list") or "")
        if not raw.isdigit() or len(raw) > 19 or await lists.get(ctx.db, account_id, int(raw)) is None:
            raise SubscriptionError("Unknown list or not your list")
        return Subscription(stream, raw)
    return Subscription(stream)


def _message(sub: Subscription, event: str, payload: str) -> dict[str, Any]:
    return {"stream": sub.names(), "event": event, "payload": payload}


class Hub:
    """This worker's connections and the loop that feeds them."""

    def __init__(self, ctx: Context, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.ctx = ctx
        self.poll_seconds = poll_seconds
        self.connections: set[Connection] = set()
        self._event_cursor = ms_to_min_id(now_ms())
        self._notification_cursor = ms_to_min_id(now_ms())
        self._seen_events: dict[int, int] = {}
        self._seen_notifications: dict[int, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._last_purge = 0
        self._listener: Callable[[], Awaitable[None]] | None = None

    # --- life cycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="atrium-streaming")
        self._listener = await self._listen()

    async def stop(self) -> None:
        for connection in list(self.connections):
            connection.close()
        if self._listener is not None:
            await self._listener()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _listen(self) -> Callable[[], Awaitable[None]] | None:
        """On PostgreSQL, LISTEN so an insert by any worker wakes this hub at once."""
        pool = getattr(self.ctx.db, "pool", None)
        if self.ctx.db.dialect != "postgresql" or pool is None:
            return None
        conn = await pool.acquire()

        def woken(*_args: Any) -> None:
            self._wake.set()

        await conn.add_listener(streams.CHANNEL, woken)

        async def unlisten() -> None:
            with contextlib.suppress(Exception):
                await conn.remove_listener(streams.CHANNEL, woken)
            await pool.release(conn)

        return unlisten

    def add(self, connection: Connection) -> None:
        self.connections.add(connection)
        self._wake.set()

    def remove(self, connection: Connection) -> None:
        connection.close()
        self.connections.discard(connection)

    # --- the loop ------------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("streaming poll failed")
                await asyncio.sleep(1.0)

    async def poll_once(self) -> None:
        """Read new events and notifications and deliver them (also called directly by tests)."""
        now = now_ms()
        if now - self._last_purge > 60_000:
            self._last_purge = now
            await streams.purge(self.ctx.db, older_than_ms=now - PURGE_AFTER_MS)
        if not self.connections:
            self._event_cursor = self._notification_cursor = ms_to_min_id(now - LAG_MS)
            self._seen_events.clear()
            self._seen_notifications.clear()
            return
        rows = await streams.since(self.ctx.db, self._event_cursor)
        for row in rows:
            if self._remember(self._seen_events, int(row["id"])):
                await self._deliver_event(row)
        self._event_cursor = self._advance(self._event_cursor, rows, now)
        accounts = [c.account_id for c in self.connections
                    if any(s.stream in ("user", "user:notification") for s in c.subscriptions)]
        if accounts:
            found = await streams.notifications_since(self.ctx.db, self._notification_cursor, list(set(accounts)))
            for row in found:
                if self._remember(self._seen_notifications, int(row["id"])):
                    await self._deliver_notification(row)
            self._notification_cursor = self._advance(self._notification_cursor, found, now)

    @staticmethod
    def _remember(seen: dict[int, int], item_id: int) -> bool:
        if item_id in seen:
            return False
        seen[item_id] = item_id
        return True

    def _advance(self, cursor: int, rows: list[Row], now: int) -> int:
        """Re-read the last LAG_MS of ids every time: a transaction that committed late is not missed."""
        floor = ms_to_min_id(now - LAG_MS)
        for seen in (self._seen_events, self._seen_notifications):
            for old in [i for i in seen if i < floor]:
                del seen[old]
        newest = max([cursor, *(int(r["id"]) for r in rows)])
        if len(rows) >= streams.BATCH:
            return newest   # a full batch: move on, the rest comes next time
        return min(newest, floor)

    # --- notifications -------------------------------------------------------------------------

    async def _deliver_notification(self, row: Row) -> None:
        targets = [(c, s) for c in list(self.connections)
                   if c.account_id == int(row["account_id"]) and int(row["id"]) > c.since_id
                   for s in c.subscriptions if s.stream in ("user", "user:notification")]
        if not targets:
            return
        rendered = await Presenter(self.ctx, int(row["account_id"])).notifications([row])
        rendered = (await filtering.for_viewer(self.ctx, int(row["account_id"]), "notifications")).notifications(rendered)
        if not rendered:
            return
        payload = json.dumps(rendered[0], ensure_ascii=False)
        for connection, sub in targets:
            connection.push(_message(sub, "notification", payload))

    # --- statuses ------------------------------------------------------------------------------

    async def _deliver_event(self, row: Row) -> None:
        data = json.loads(row["payload"])
        listening = [c for c in list(self.connections) if int(row["id"]) > c.since_id]
        if row["event"] == "delete":
            await self._deliver_delete(data, listening)
        elif row["event"] in ("update", "status.update"):
            await self._deliver_status(int(data["status_id"]), row["event"], listening)

    async def _deliver_delete(self, data: dict[str, Any], listening: list[Connection]) -> None:
        visibility = data.get("visibility")
        author_id = int(data.get("account_id") or 0)
        allowed: set[int] | None = None
        if visibility in ("followers", "direct"):
            allowed = {author_id, *await follows.follower_ids(self.ctx.db, author_id, local_only=True)}
        payload = str(data["status_id"])
        for connection in listening:
            if allowed is not None and connection.account_id not in allowed:
                continue
            for sub in connection.subscriptions:
                if sub.stream in STATUS_STREAMS and sub.stream != "direct":
                    connection.push(_message(sub, "delete", payload))

    async def _deliver_status(self, status_id: int, event: str, listening: list[Connection]) -> None:
        db = self.ctx.db
        row = await status_store.get(db, status_id)
        if row is None:
            return
        wanted = [(c, s) for c in listening for s in c.subscriptions if s.stream in STATUS_STREAMS]
        if not wanted:
            return
        bundle = await hydrate.load_status(db, status_id)
        if bundle is None:
            return
        original = bundle.reblog or bundle
        accounts = {c.account_id for c, _ in wanted}
        home = await streams.home_recipients(db, status_id, list(accounts))
        hidden = await streams.hidden_authors(db, int(row["account_id"]), list(accounts))
        list_ids = [int(s.param) for _, s in wanted if s.stream == "list" and s.param]
        in_lists = await lists.lists_with_member(db, int(row["account_id"]), list_ids)
        matches: dict[int, list[tuple[Connection, Subscription]]] = {}
        for connection, sub in wanted:
            if self._matches(sub, connection.account_id, bundle, original, home, hidden, in_lists):
                matches.setdefault(connection.account_id, []).append((connection, sub))
        if not matches:
            return
        allowed = await self._who_may_see(row, list(matches))
        # Viewers whose flags on this post are alike get the same rendering: one render and one
        # JSON encoding per group, not per connection (a new post reads the same for nearly all).
        ids = [status_id, *([int(row["reblog_of_id"])] if row["reblog_of_id"] is not None else [])]
        poll_id = int(original.status["poll_id"]) if original.status["poll_id"] else None
        profiles = await streams.viewer_profiles(self.ctx.db, ids, sorted(allowed), poll_id)
        authors = {int(row["account_id"]), int(original.status["account_id"])}
        groups: dict[tuple[Any, ...], list[int]] = {}
        for account_id in sorted(allowed):
            key = (account_id if account_id in authors else None, profiles.get(account_id, ()))
            groups.setdefault(key, []).append(account_id)
        viewer_filters = await filtering.ViewerFilters.load(self.ctx, sorted(allowed))
        for members in groups.values():
            presenter = Presenter(self.ctx, members[0])
            rendered = await presenter.statuses([status_id])
            if not rendered:
                continue
            payload = json.dumps(rendered[0], ensure_ascii=False)
            for account_id in members:
                for connection, sub in matches[account_id]:
                    if sub.stream != "direct":
                        shown = self._filtered(viewer_filters, account_id, sub, rendered[0], payload)
                        if shown is not None:
                            connection.push(_message(sub, event, shown))
                    elif event == "update":
                        connection.push(_message(sub, "conversation", await self._conversation(
                            account_id, bundle, rendered[0])))

    @staticmethod
    def _filtered(viewer_filters: filtering.ViewerFilters, account_id: int, sub: Subscription,
                  status_json: dict[str, Any], payload: str) -> str | None:
        """The payload as this listener's filters leave it: unchanged, with `filtered`, or None (hidden)."""
        kept = viewer_filters.of(account_id, FILTER_CONTEXT.get(sub.stream)).statuses([status_json])
        if not kept:
            return None
        return payload if kept[0] is status_json else json.dumps(kept[0], ensure_ascii=False)

    async def _who_may_see(self, row: Row, account_ids: list[int]) -> set[int]:
        """The accounts (all local: streams are for our users) the visibility rule lets see `row`."""
        db = self.ctx.db
        if row["visibility"] in ("followers", "direct"):
            return {a for a in account_ids if await timelines.can_see(db, Viewer(a, local=True), int(row["id"]))}
        # Public, unlisted, company and local posts read the same for every local viewer: ask once.
        visible = await timelines.can_see(db, Viewer(account_ids[0], local=True), int(row["id"]))
        return set(account_ids) if visible else set()

    async def _conversation(self, account_id: int, bundle: hydrate.StatusBundle, status_json: dict[str, Any]) -> str:
        row = bundle.status
        others = [int(m["id"]) for m in bundle.mentions] + [int(row["account_id"])]
        people = await Presenter(self.ctx, account_id).accounts([a for a in dict.fromkeys(others) if a != account_id])
        thread = int(row["thread_root_id"] or row["id"])
        return json.dumps({**misc.conversation(thread, people, status_json), "unread": True}, ensure_ascii=False)

    @staticmethod
    def _matches(
        sub: Subscription, account_id: int, bundle: hydrate.StatusBundle, original: hydrate.StatusBundle,
        home: set[int], hidden: set[int], in_lists: set[int],
    ) -> bool:
        status = bundle.status
        if sub.stream == "user":
            return account_id in home
        if sub.stream == "direct":
            return status["visibility"] == "direct" and (
                int(status["account_id"]) == account_id or any(int(m["id"]) == account_id for m in bundle.mentions))
        if account_id in hidden:
            return False
        if sub.stream == "list":
            return account_id in home and sub.param is not None and int(sub.param) in in_lists
        if status["reblog_of_id"] is not None:
            return False
        if sub.stream in PUBLIC_STREAMS:
            if sub.stream == "public:company":
                return status["visibility"] in ("public", "company")
            if status["visibility"] != "public":
                return False
            if ":local" in sub.stream and not status["local"]:
                return False
            if ":remote" in sub.stream and status["local"]:
                return False
            return not sub.stream.endswith(":media") or bool(original.media)
        if sub.stream in ("hashtag", "hashtag:local"):
            if status["visibility"] not in ("public", "company", "local") or sub.param not in original.tags:
                return False
            return sub.stream == "hashtag" or bool(status["local"])
        return False


async def record_event(ctx: Context, event: str, data: dict[str, Any]) -> None:
    """The events listener. Status changes need nothing here: storage.statuses writes their
    `stream_events` rows in the same transaction as the change, for local and federated posts alike."""
    return None
