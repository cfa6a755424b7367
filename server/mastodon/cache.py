"""Entities reused across requests, valid only for the exact rows they were built from.

A home page of 40 posts built from scratch spends most of its time turning rows into Account and
Status entities. Those rows are read again on every request anyway (storage/hydrate.py), so the
cache needs no invalidation: an entry is keyed by its id and remembers the full tuple of values
it was built from (every column of the status row and every shown column of the account row,
storage.accounts.DISPLAY_COLUMNS: counters, edit time, profile fields, suspension…, plus the media,
mentions and tags of a status); a lookup whose rows differ in any value rebuilds the entry. A
profile edit, a new follower or a like shows in the very next answer, in every worker.

What is cached reads the same for every viewer: the viewer's flags, polls and the boost wrapper
are assembled per request (server/mastodon/statuses.py::status). Cached objects are shared
between answers: callers copy (`{**entity, ...}`) and never mutate them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from storage.accounts import display_values
from storage.db import Row, row_values
from storage.hydrate import StatusBundle, status_values

from . import accounts as account_entities
from . import status_json
from . import statuses as status_entities
from .common import RenderContext

# Bounds: about 3 KB per entry (and 1.6 KB of JSON pieces per status), so ~55 MB at worst per
# worker (a reader's home shows the posts of
# the few thousand accounts people follow, the hot part of the timeline).
MAX_ACCOUNTS = 5_000
MAX_STATUSES = 10_000


row_key = row_values


class _Bounded:
    """id → (key, value), holding at most `size` entries (the least recently used are dropped first)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: dict[int, tuple[tuple[Any, ...], Any]] = {}
        self.hits = 0
        self.misses = 0

    def get(self, item_id: int, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
        found = self.items.get(item_id)
        if found is not None and found[0] == key:
            self.hits += 1
            self.items[item_id] = self.items.pop(item_id)   # most recently used last
            return found[1]
        self.misses += 1
        value = build()
        if found is None and len(self.items) >= self.size:
            for old in list(self.items)[: max(1, self.size // 8)]:
                del self.items[old]
        self.items[item_id] = (key, value)
        return value


class EntityCache:
    """Account entities and the viewer-independent parts of Status entities, for one instance (the
    URLs in them come from its RenderContext)."""

    def __init__(self, max_accounts: int = MAX_ACCOUNTS, max_statuses: int = MAX_STATUSES) -> None:
        self._accounts = _Bounded(max_accounts)
        self._statuses = _Bounded(max_statuses)
        self._pieces = _Bounded(max_statuses)

    def account(self, row: Row, rc: RenderContext, *, moved: dict[str, Any] | None = None) -> dict[str, Any]:
        """The Account entity of `row` (shared: do not mutate)."""
        if row["moved_to_id"] is not None:
            # Its `moved` part is another account's entity, with its own versions: not cached.
            return account_entities.account(row, rc, moved=moved)
        return self._accounts.get(int(row["id"]), display_values(row), lambda: account_entities.account(row, rc))

    def status_parts(self, bundle: StatusBundle, rc: RenderContext) -> status_entities.StatusParts:
        return self._statuses.get(int(bundle.status["id"]), _parts_key(bundle),
                                  lambda: status_entities.status_parts(bundle, rc))

    def status_pieces(self, bundle: StatusBundle, rc: RenderContext,
                      render_account: status_entities.AccountRenderer) -> status_json.StatusPieces:
        """`bundle`'s own entity as JSON pieces (server/mastodon/status_json.py), kept while neither
        the post nor its author changes."""
        if bundle.account["moved_to_id"] is not None:
            # Its author's entity embeds another account's (`moved`), with versions of its own.
            return status_json.pieces(bundle, rc, render_account, self.status_parts)
        key = (_parts_key(bundle), display_values(bundle.account))
        return self._pieces.get(int(bundle.status["id"]), key,
                                lambda: status_json.pieces(bundle, rc, render_account, self.status_parts))

    def stats(self) -> dict[str, int]:
        return {"accounts": len(self._accounts.items), "account_hits": self._accounts.hits,
                "account_misses": self._accounts.misses, "statuses": len(self._statuses.items),
                "status_hits": self._statuses.hits, "status_misses": self._statuses.misses,
                "pieces": len(self._pieces.items), "pieces_hits": self._pieces.hits,
                "pieces_misses": self._pieces.misses}


def _parts_key(bundle: StatusBundle) -> tuple[Any, ...]:
    """Everything a status's viewer-independent parts are built from."""
    return (
        status_values(bundle.status),
        tuple(row_key(m) for m in bundle.media),
        tuple((m["id"], m["username"], m["domain"], m["url"], m["uri"]) for m in bundle.mentions),
        tuple(bundle.tags),
    )
