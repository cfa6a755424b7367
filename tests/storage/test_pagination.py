"""Id cursors: reading a timeline page by page never skips nor repeats a post, even while new posts
arrive between pages (property test)."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage import timelines
from storage.db import connect
from storage.ids import new_id
from storage.migrate import migrate
from storage.pagination import Page, parse_page


async def _setup():
    db = await connect("sqlite://:memory:")
    await migrate(db)
    await db.execute(
        "INSERT INTO accounts (id, uri, username, created_at, updated_at) VALUES (1, 'https://p.test/users/a', 'a', 0, 0)"
    )
    return db


async def _post(db) -> int:
    status_id = new_id()
    await db.execute(
        "INSERT INTO statuses (id, uri, account_id, local, visibility, created_at) VALUES (?, ?, 1, 1, 'public', 0)",
        (status_id, f"https://p.test/s/{status_id}"),
    )
    await db.execute("INSERT INTO home_feed (account_id, status_id, author_id) VALUES (1, ?, 1)", (status_id,))
    return status_id


@settings(max_examples=40, deadline=None)
@given(
    initial=st.integers(min_value=0, max_value=60),
    limit=st.integers(min_value=1, max_value=15),
    arrivals=st.lists(st.integers(min_value=0, max_value=4), max_size=12),
)
def test_paging_backwards_sees_every_post_once_while_posts_arrive(initial, limit, arrivals):
    async def scenario():
        db = await _setup()
        try:
            existing = [await _post(db) for _ in range(initial)]
            seen: list[int] = []
            page = Page(limit=limit)
            step = 0
            while True:
                ids = await timelines.home(db, 1, page)
                seen.extend(ids)
                for _ in range(arrivals[step] if step < len(arrivals) else 0):
                    await _post(db)  # new posts land above the cursor: they must not disturb it
                step += 1
                if len(ids) < limit:
                    break
                page = Page(max_id=ids[-1], limit=limit)
            assert len(seen) == len(set(seen)), "a post was shown twice"
            assert sorted(seen, reverse=True) == seen, "pages are not newest first"
            assert set(existing) <= set(seen), "a post was skipped"
        finally:
            await db.close()

    asyncio.run(scenario())


@settings(max_examples=30, deadline=None)
@given(initial=st.integers(min_value=0, max_value=30), limit=st.integers(min_value=1, max_value=10),
       newer=st.integers(min_value=0, max_value=30))
def test_catching_up_with_min_id_returns_every_newer_post_once(initial, limit, newer):
    async def scenario():
        db = await _setup()
        try:
            old = [await _post(db) for _ in range(initial)]
            marker = old[-1] if old else 0
            fresh = [await _post(db) for _ in range(newer)]
            seen: list[int] = []
            cursor = marker
            while True:
                ids = await timelines.home(db, 1, Page(min_id=cursor, limit=limit))
                if not ids:
                    break
                assert ids == sorted(ids, reverse=True)
                seen.extend(ids)
                cursor = ids[0]
            assert sorted(seen) == fresh
        finally:
            await db.close()

    asyncio.run(scenario())


def test_cursor_parameters_are_validated():
    assert parse_page({"limit": "500"}).limit == 40
    assert parse_page({"limit": "0"}).limit == 1
    assert parse_page({"max_id": "12"}).max_id == 12
    with pytest.raises(ValueError, match="max_id"):
        parse_page({"max_id": "abc"})
    with pytest.raises(ValueError, match="limit"):
        parse_page({"limit": "ten"})
