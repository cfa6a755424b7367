"""storage.reports: a Flag stored once, and who handles reports."""

from __future__ import annotations

import json

from storage import accounts, reports
from storage.db import Database
from tests.storage.helpers import local, remote


async def test_a_report_with_a_uri_is_stored_once(db: Database) -> None:
    alice = await local(db, "alice")
    reporter = await remote(db, "mod", "lyon.example")
    async with db.transaction() as tx:
        first = await reports.create(tx, reporter_id=reporter, target_account_id=alice, status_ids=[1, 2],
                                     comment="spam", uri="https://lyon.example/flags/1")
        again = await reports.create(tx, reporter_id=reporter, target_account_id=alice, uri="https://lyon.example/flags/1")
    assert first is not None and again is None
    row = await reports.get_by_uri(db, "https://lyon.example/flags/1")
    assert row is not None and json.loads(row["status_ids"]) == [1, 2]
    assert [r["id"] for r in await reports.list_open(db)] == [first]
    assert [r["id"] for r in await reports.list_for_target(db, alice)] == [first]
    assert await reports.resolve(db, first, None)
    assert await reports.list_open(db) == []


async def test_moderators_are_admins_and_moderators_still_active(db: Database) -> None:
    admin, moderator, user, suspended = [await local(db, n) for n in ("admin", "mod", "user", "gone")]
    for account_id, role in ((admin, "admin"), (moderator, "moderator"), (user, "user"), (suspended, "admin")):
        await accounts.create_user(db, account_id, password_hash=None, role=role)
    await accounts.set_suspended(db, suspended, True)
    assert await reports.moderator_ids(db) == sorted([admin, moderator])
