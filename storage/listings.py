"""Read-only listings for the web UI: departments, post and hashtag search, authorized apps, and
the admin pages' lists (reports, peers, invites with their creators)."""

from __future__ import annotations

from .accounts import ACCOUNT_COLUMNS
from .db import Executor, Row
from .timelines import Viewer, visible_sql


def _like(query: str) -> str:
    return "%" + query.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"


async def departments(db: Executor) -> list[str]:
    """Departments that have at least one discoverable person, alphabetically."""
    rows = await db.fetchall(
        "SELECT DISTINCT department FROM accounts WHERE department IS NOT NULL AND department <> ''"
        " AND suspended_at IS NULL AND discoverable = 1 ORDER BY department LIMIT 500"
    )
    return [r["department"] for r in rows]


async def search_statuses(db: Executor, viewer: Viewer, query: str, *, limit: int = 20) -> list[int]:
    """Ids of posts whose text contains `query`, visible to `viewer`, newest first (no boosts)."""
    condition, params = visible_sql(viewer)
    rows = await db.fetchall(
        f"SELECT s.id FROM statuses s WHERE s.reblog_of_id IS NULL AND {condition}"
        " AND (lower(COALESCE(s.source_text, s.content)) LIKE ? OR lower(s.spoiler_text) LIKE ?)"
        " ORDER BY s.id DESC LIMIT ?",
        (*params, _like(query), _like(query), limit),
    )
    return [int(r["id"]) for r in rows]


async def search_tags(db: Executor, query: str, *, limit: int = 20) -> list[str]:
    rows = await db.fetchall(
        "SELECT name FROM tags WHERE name LIKE ? ORDER BY last_status_at DESC, name LIMIT ?",
        (_like(query), limit),
    )
    return [r["name"] for r in rows]


async def status_by_url(db: Executor, url: str) -> int | None:
    """A known status by its ActivityPub id or its web page URL."""
    value = await db.fetchval("SELECT id FROM statuses WHERE uri = ? OR url = ? ORDER BY id LIMIT 1", (url, url))
    return int(value) if value is not None else None


async def account_by_url(db: Executor, url: str) -> int | None:
    value = await db.fetchval("SELECT id FROM accounts WHERE uri = ? OR url = ? ORDER BY id LIMIT 1", (url, url))
    return int(value) if value is not None else None


async def authorized_apps(db: Executor, account_id: int) -> list[Row]:
    """Apps holding a live token for the account: name, website, scopes, when authorized and last used."""
    return await db.fetchall(
        "SELECT a.id AS app_id, a.name, a.website, t.scopes, MIN(t.created_at) AS created_at,"
        " MAX(t.last_used_at) AS last_used_at, COUNT(*) AS tokens"
        " FROM oauth_tokens t JOIN oauth_apps a ON a.id = t.app_id"
        " WHERE t.account_id = ? AND t.revoked_at IS NULL GROUP BY a.id, a.name, a.website, t.scopes"
        " ORDER BY MAX(t.created_at) DESC LIMIT 100",
        (account_id,),
    )


async def open_reports(db: Executor, *, limit: int = 100) -> list[Row]:
    return await db.fetchall(
        "SELECT r.id, r.account_id, r.target_account_id, r.comment, r.category, r.status_ids, r.created_at,"
        " r.action_taken_at FROM reports r ORDER BY (r.action_taken_at IS NULL) DESC, r.id DESC LIMIT ?",
        (limit,),
    )


async def peers(db: Executor) -> list[Row]:
    return await db.fetchall(
        "SELECT p.domain, p.source, p.note, p.suspended_at, p.created_at, h.last_success_at, h.last_failure_at,"
        " h.consecutive_failures, h.software FROM peers p LEFT JOIN hosts h ON h.domain = p.domain ORDER BY p.domain"
    )


async def people(db: Executor, *, department: str | None, limit: int, offset: int) -> list[Row]:
    """The directory's listing: discoverable people, by name, optionally of one department."""
    conditions = ["suspended_at IS NULL", "discoverable = 1", "actor_type IN ('Person', 'Service')"]
    params: list[object] = []
    if department:
        conditions.append("lower(department) = lower(?)")
        params.append(department)
    return await db.fetchall(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {' AND '.join(conditions)}"
        " ORDER BY lower(display_name), id LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )


async def pending_request_ids(db: Executor, account_id: int, *, limit: int = 500) -> set[int]:
    """Who is waiting for `account_id` to answer their follow request."""
    rows = await db.fetchall(
        "SELECT account_id FROM follows WHERE target_account_id = ? AND state = 'pending' ORDER BY id DESC LIMIT ?",
        (account_id, limit),
    )
    return {int(r["account_id"]) for r in rows}
