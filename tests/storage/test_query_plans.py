"""The timeline queries use the indexes chosen for them (EXPLAIN QUERY PLAN on SQLite)."""

from __future__ import annotations

from storage.pagination import Page
from storage.timelines import Viewer, visible_sql


async def plan(db, sql: str, params=()) -> str:
    rows = await db.fetchall("EXPLAIN QUERY PLAN " + sql, params)
    return " | ".join(str(r["detail"]) for r in rows)


async def test_home_timeline_is_a_range_scan_of_the_feed_primary_key(sqlite_db):
    cursor, params, direction = Page(max_id=10**17, limit=40).clause("status_id")
    detail = await plan(
        sqlite_db,
        f"SELECT status_id FROM home_feed WHERE account_id = ? AND {cursor} ORDER BY status_id {direction} LIMIT 40",
        (1, *params),
    )
    assert "USING PRIMARY KEY" in detail or "USING COVERING INDEX" in detail, detail
    assert "TEMP B-TREE" not in detail, detail


async def test_account_statuses_use_the_author_index(sqlite_db):
    condition, vparams = visible_sql(Viewer.anonymous())
    detail = await plan(
        sqlite_db,
        f"SELECT s.id FROM statuses s WHERE s.account_id = ? AND {condition} AND s.id < ? ORDER BY s.id DESC LIMIT 20",
        (1, *vparams, 10**17),
    )
    assert "statuses_account" in detail, detail
    assert "TEMP B-TREE" not in detail, detail


async def test_local_timeline_uses_the_visibility_index(sqlite_db):
    detail = await plan(
        sqlite_db,
        "SELECT s.id FROM statuses s WHERE s.visibility = 'public' AND s.local = 1 AND s.id < ? ORDER BY s.id DESC LIMIT 20",
        (10**17,),
    )
    assert "statuses_visibility" in detail, detail
    assert "TEMP B-TREE" not in detail, detail


async def test_notifications_are_read_through_their_index(sqlite_db):
    detail = await plan(
        sqlite_db, "SELECT * FROM notifications WHERE account_id = ? AND id < ? ORDER BY id DESC LIMIT 20", (1, 10**17)
    )
    assert "notifications_account" in detail, detail
