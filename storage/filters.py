"""Filters (Mastodon's v2 CustomFilter): a title, the contexts it applies in, warn or hide, an optional
expiry, and what it matches: keywords (optionally whole words) and individual statuses."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from .db import Executor, Row
from .ids import new_id, now_ms

CONTEXTS = ("home", "notifications", "public", "thread", "account")
ACTIONS = ("warn", "hide")
MAX_FILTERS = 100
MAX_KEYWORDS = 100
MAX_STATUSES = 200


@dataclass
class FilterBundle:
    """A filter with its keywords and statuses."""

    filter: Row
    keywords: list[Row] = field(default_factory=list)
    statuses: list[Row] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.filter["id"])

    @property
    def context(self) -> list[str]:
        return list(json.loads(self.filter["context"]))

    def active(self, at_ms: int) -> bool:
        expires_at = self.filter["expires_at"]
        return expires_at is None or int(expires_at) > at_ms


async def create(db: Executor, account_id: int, *, title: str, context: Sequence[str], action: str,
                 expires_at: int | None) -> int:
    filter_id = new_id()
    await db.execute(
        "INSERT INTO custom_filters (id, account_id, title, context, filter_action, expires_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (filter_id, account_id, title, json.dumps(list(context)), action, expires_at, now_ms()),
    )
    return filter_id


async def count(db: Executor, account_id: int) -> int:
    return int(await db.fetchval("SELECT COUNT(*) FROM custom_filters WHERE account_id = ?", (account_id,)) or 0)


KEEP: object = object()  # "leave this field as it is" for update()


async def update(db: Executor, filter_id: int, *, title: str | None = None, context: Sequence[str] | None = None,
                 action: str | None = None, expires_at: int | object | None = KEEP) -> None:
    """Change the given fields (`expires_at=None` clears the expiry; leaving it out keeps it)."""
    sets: list[str] = []
    values: list[object] = []
    if title is not None:
        sets.append("title = ?")
        values.append(title)
    if context is not None:
        sets.append("context = ?")
        values.append(json.dumps(list(context)))
    if action is not None:
        sets.append("filter_action = ?")
        values.append(action)
    if expires_at is not KEEP:
        sets.append("expires_at = ?")
        values.append(expires_at)
    if sets:
        await db.execute(f"UPDATE custom_filters SET {', '.join(sets)} WHERE id = ?", (*values, filter_id))


async def delete(db: Executor, filter_id: int) -> None:
    await db.execute("DELETE FROM custom_filters WHERE id = ?", (filter_id,))


async def get(db: Executor, account_id: int, filter_id: int) -> FilterBundle | None:
    """A filter with its keywords and statuses, only if `account_id` owns it."""
    row = await db.fetchone("SELECT * FROM custom_filters WHERE id = ? AND account_id = ?", (filter_id, account_id))
    if row is None:
        return None
    return (await _bundles(db, [row]))[0]


async def of_account(db: Executor, account_id: int) -> list[FilterBundle]:
    """Every filter of an account (expired ones too, as Mastodon lists them), oldest first."""
    rows = await db.fetchall(
        "SELECT * FROM custom_filters WHERE account_id = ? ORDER BY id LIMIT ?", (account_id, MAX_FILTERS)
    )
    return await _bundles(db, rows)


async def active_of_account(db: Executor, account_id: int, at_ms: int) -> list[FilterBundle]:
    """The filters that apply now (not expired)."""
    rows = await db.fetchall(
        "SELECT * FROM custom_filters WHERE account_id = ? AND (expires_at IS NULL OR expires_at > ?)"
        " ORDER BY id LIMIT ?",
        (account_id, at_ms, MAX_FILTERS),
    )
    return await _bundles(db, rows)


async def active_of_accounts(db: Executor, account_ids: Sequence[int], at_ms: int) -> dict[int, list[FilterBundle]]:
    """`active_of_account` for many accounts at once (streaming renders one post for many viewers)."""
    found: dict[int, list[FilterBundle]] = {}
    ids = list(dict.fromkeys(account_ids))
    for start in range(0, len(ids), 500):   # bounded IN lists
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        rows = await db.fetchall(
            f"SELECT * FROM custom_filters WHERE account_id IN ({marks}) AND (expires_at IS NULL OR expires_at > ?)"
            " ORDER BY id",
            (*chunk, at_ms),
        )
        for bundle in await _bundles(db, rows):
            mine = found.setdefault(int(bundle.filter["account_id"]), [])
            if len(mine) < MAX_FILTERS:
                mine.append(bundle)
    return found


async def _bundles(db: Executor, rows: Sequence[Row]) -> list[FilterBundle]:
    if not rows:
        return []
    bundles = {int(r["id"]): FilterBundle(r) for r in rows}
    marks = ",".join("?" * len(bundles))
    for kw in await db.fetchall(
        f"SELECT * FROM custom_filter_keywords WHERE filter_id IN ({marks}) ORDER BY id", list(bundles)
    ):
        bundles[int(kw["filter_id"])].keywords.append(kw)
    for st in await db.fetchall(
        f"SELECT * FROM custom_filter_statuses WHERE filter_id IN ({marks}) ORDER BY id", list(bundles)
    ):
        bundles[int(st["filter_id"])].statuses.append(st)
    return list(bundles.values())


# --- keywords -----------------------------------------------------------------------------------

async def add_keyword(db: Executor, filter_id: int, keyword: str, whole_word: bool) -> int:
    keyword_id = new_id()
    await db.execute(
        "INSERT INTO custom_filter_keywords (id, filter_id, keyword, whole_word, created_at) VALUES (?, ?, ?, ?, ?)",
        (keyword_id, filter_id, keyword, int(whole_word), now_ms()),
    )
    return keyword_id


async def keyword_count(db: Executor, filter_id: int) -> int:
    return int(await db.fetchval("SELECT COUNT(*) FROM custom_filter_keywords WHERE filter_id = ?", (filter_id,)) or 0)


async def get_keyword(db: Executor, account_id: int, keyword_id: int) -> Row | None:
    """A keyword, only if `account_id` owns its filter."""
    return await db.fetchone(
        "SELECT k.* FROM custom_filter_keywords k JOIN custom_filters f ON f.id = k.filter_id"
        " WHERE k.id = ? AND f.account_id = ?",
        (keyword_id, account_id),
    )


async def update_keyword(db: Executor, keyword_id: int, *, keyword: str | None, whole_word: bool | None) -> None:
    if keyword is not None:
        await db.execute("UPDATE custom_filter_keywords SET keyword = ? WHERE id = ?", (keyword, keyword_id))
    if whole_word is not None:
        await db.execute("UPDATE custom_filter_keywords SET whole_word = ? WHERE id = ?", (int(whole_word), keyword_id))


async def delete_keyword(db: Executor, keyword_id: int) -> None:
    await db.execute("DELETE FROM custom_filter_keywords WHERE id = ?", (keyword_id,))


# --- statuses -----------------------------------------------------------------------------------

async def add_status(db: Executor, filter_id: int, status_id: int) -> int:
    """Filter one status; adding it twice returns the existing entry's id."""
    entry_id = new_id()
    await db.execute(
        "INSERT INTO custom_filter_statuses (id, filter_id, status_id, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (filter_id, status_id) DO NOTHING",
        (entry_id, filter_id, status_id, now_ms()),
    )
    found = await db.fetchval(
        "SELECT id FROM custom_filter_statuses WHERE filter_id = ? AND status_id = ?", (filter_id, status_id)
    )
    return int(found)


async def status_count(db: Executor, filter_id: int) -> int:
    return int(await db.fetchval("SELECT COUNT(*) FROM custom_filter_statuses WHERE filter_id = ?", (filter_id,)) or 0)


async def get_status(db: Executor, account_id: int, entry_id: int) -> Row | None:
    """A filtered-status entry, only if `account_id` owns its filter."""
    return await db.fetchone(
        "SELECT s.* FROM custom_filter_statuses s JOIN custom_filters f ON f.id = s.filter_id"
        " WHERE s.id = ? AND f.account_id = ?",
        (entry_id, account_id),
    )


async def delete_status(db: Executor, entry_id: int) -> None:
    await db.execute("DELETE FROM custom_filter_statuses WHERE id = ?", (entry_id,))
