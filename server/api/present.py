"""Load what entities need, in a fixed number of queries per page, and serialize with server.mastodon.

Handlers hand this ids or rows they already know the viewer may see; it never decides visibility.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storage import account_notes, follows, hydrate, preferences, social_graph, timelines
from storage import accounts as account_store
from storage import reports as report_store
from storage.db import Row
from storage.ids import now_ms
from storage.timelines import Viewer

from ..context import Context
from ..mastodon import accounts as account_entities
from ..mastodon import misc, status_json
from ..mastodon import notifications as notification_entities
from ..mastodon import statuses as status_entities
from ..mastodon.cache import EntityCache
from ..mastodon.common import RenderContext


def entity_cache(ctx: Context) -> EntityCache:
    """The instance's entity cache, shared by every request of this worker (server/mastodon/cache.py)."""
    cache = ctx.extras.get("mastodon_entity_cache")
    if cache is None:
        cache = ctx.extras["mastodon_entity_cache"] = EntityCache()
    return cache


class Presenter:
    """Serializes for one viewer (None: anonymous)."""

    def __init__(self, ctx: Context, viewer_id: int | None) -> None:
        self.ctx = ctx
        self.viewer_id = viewer_id
        self.rc = RenderContext(urls=ctx.urls, domain=ctx.domain, viewer_id=viewer_id, now_ms=now_ms())
        self._moved: dict[int, dict[str, Any]] = {}
        # An author is serialized once per request, and reused across requests while its row is
        # unchanged (the cache compares every column: counters and profile edits show at once).
        self._accounts: dict[int, dict[str, Any]] = {}
        self._cache = entity_cache(ctx)

    # --- accounts ------------------------------------------------------------------------------

    def account(self, row: Row) -> dict[str, Any]:
        account_id = int(row["id"])
        cached = self._accounts.get(account_id)
        if cached is None:
            moved_id = row["moved_to_id"]
            cached = self._cache.account(row, self.rc, moved=self._moved.get(int(moved_id)) if moved_id else None)
            self._accounts[account_id] = cached
        return cached

    async def _load_moved(self, rows: Sequence[Row]) -> None:
        wanted = {int(r["moved_to_id"]) for r in rows if r["moved_to_id"] is not None} - set(self._moved)
        if wanted:
            for target_id, target in (await account_store.get_many(self.ctx.db, wanted)).items():
                self._moved[target_id] = account_entities.account(target, self.rc)

    async def account_rows(self, rows: Sequence[Row]) -> list[dict[str, Any]]:
        await self._load_moved(rows)
        return [self.account(r) for r in rows]

    async def accounts(self, account_ids: Sequence[int]) -> list[dict[str, Any]]:
        """Accounts in the given order, skipping unknown and suspended ones."""
        found = await account_store.get_many(self.ctx.db, account_ids)
        rows = [found[i] for i in account_ids if i in found and found[i]["suspended_at"] is None]
        return await self.account_rows(rows)

    async def credential_account(self, row: Row, role: str | None) -> dict[str, Any]:
        prefs = await preferences.get_all(self.ctx.db, int(row["id"]))
        pending = await social_graph.pending_request_count(self.ctx.db, int(row["id"]))
        return account_entities.credential_account(
            row, self.rc, role=role or "user", preferences=prefs, follow_requests_count=pending
        )

    async def relationships(self, target_ids: Sequence[int]) -> list[dict[str, Any]]:
        assert self.viewer_id is not None
        targets = list(dict.fromkeys(target_ids))
        flags = await follows.relationships(self.ctx.db, self.viewer_id, targets)
        notes = await account_notes.notes_about(self.ctx.db, self.viewer_id, targets)
        return [{**account_entities.relationship(t, flags[t]), "note": notes.get(t, "")} for t in targets]

    async def relationship(self, target_id: int) -> dict[str, Any]:
        return (await self.relationships([target_id]))[0]

    # --- statuses ------------------------------------------------------------------------------

    async def bundles(self, status_ids: Sequence[int]) -> list[hydrate.StatusBundle]:
        return await hydrate.load_statuses(self.ctx.db, list(status_ids), self.viewer_id, display_only=True)

    def status_of(self, bundle: hydrate.StatusBundle, *, source: bool = False) -> dict[str, Any]:
        return status_entities.status(bundle, self.rc, self.account, source=source,
                                      parts_of=self._cache.status_parts)

    async def statuses(self, status_ids: Sequence[int]) -> list[dict[str, Any]]:
        bundles = await self.bundles(status_ids)
        authors = [b.account for b in bundles] + [b.reblog.account for b in bundles if b.reblog is not None]
        await self._load_moved(authors)
        return [self.status_of(b) for b in bundles]

    async def statuses_json(self, status_ids: Sequence[int]) -> bytes:
        """The same list as `statuses`, serialized: a JSON array of Status entities built from
        pieces kept across requests (server/mastodon/status_json.py), for answers no filter touches."""
        bundles = await self.bundles(status_ids)
        authors = [b.account for b in bundles] + [b.reblog.account for b in bundles if b.reblog is not None]
        await self._load_moved(authors)
        return status_json.render_list(bundles, self.rc, self._pieces)

    def _pieces(self, bundle: hydrate.StatusBundle) -> status_json.StatusPieces:
        return self._cache.status_pieces(bundle, self.rc, self.account)

    async def status(self, status_id: int) -> dict[str, Any] | None:
        found = await self.statuses([status_id])
        return found[0] if found else None

    # --- notifications -------------------------------------------------------------------------

    async def notifications(self, rows: Sequence[Row]) -> list[dict[str, Any]]:
        account_ids = [int(r["from_account_id"]) for r in rows]
        accounts = {int(a["id"]): a for a in await self.accounts(account_ids)}
        status_ids = [int(r["status_id"]) for r in rows if r["status_id"] is not None]
        if self.viewer_id is not None:
            # Defence in depth: a notification never shows a post its recipient may not open.
            status_ids = await timelines.filter_visible(self.ctx.db, Viewer(self.viewer_id, local=True), status_ids)
        statuses = {int(s["id"]): s for s in await self.statuses(status_ids)}
        out = []
        for row in rows:
            account_json = accounts.get(int(row["from_account_id"]))
            if account_json is None:
                continue
            status_json = statuses.get(int(row["status_id"])) if row["status_id"] is not None else None
            if row["status_id"] is not None and status_json is None:
                continue   # the post is gone: so is what it notified
            report_json = await self._report(row) if row["type"] == "admin.report" else None
            out.append(notification_entities.notification(row, account_json, status_json, report_json))
        return out

    async def _report(self, row: Row) -> dict[str, Any] | None:
        if row["report_id"] is None:
            return None
        report = await report_store.get(self.ctx.db, int(row["report_id"]))
        if report is None:
            return None
        return await self.report(report)

    async def report(self, report: Row) -> dict[str, Any] | None:
        target = await account_store.get(self.ctx.db, int(report["target_account_id"]))
        if target is None:
            return None
        return misc.report(report, self.account(target))
