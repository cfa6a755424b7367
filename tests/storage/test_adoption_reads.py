"""Adoption reads: one write per account and day in a process, right across processes."""

from __future__ import annotations

import pytest

from storage import accounts, adoption
from storage.db import Database
from tests.storage.helpers import local

DAY_MS = 86_400_000


@pytest.fixture(autouse=True)
def _fresh_process_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adoption, "_reads_recorded", set())
    monkeypatch.setattr(adoption, "_reads_day", 0)


async def _reads(db: Database, account_id: int, day: int) -> int | None:
    return await db.fetchval("SELECT reads FROM activity_days WHERE account_id = ? AND day = ?", (account_id, day))


async def test_a_read_is_written_once_a_day_per_process(db: Database) -> None:
    alice = await local(db, "alice")
    now = 1_780_000_000_000
    assert await adoption.record_read(db, alice, at_ms=now) is True
    assert await adoption.record_read(db, alice, at_ms=now + 1000) is False
    assert await _reads(db, alice, adoption.day_of(now)) == 1
    # The next day is a new row, and yesterday's memory is let go
    assert await adoption.record_read(db, alice, at_ms=now + DAY_MS) is True
    assert await _reads(db, alice, adoption.day_of(now + DAY_MS)) == 1
    assert adoption._reads_recorded == {(alice, adoption.day_of(now + DAY_MS))}


async def test_another_process_adds_to_the_same_daily_row(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    alice = await local(db, "alice")
    await accounts.create_user(db, alice, password_hash=None)
    now = 1_780_000_000_000
    await adoption.record_read(db, alice, at_ms=now)
    monkeypatch.setattr(adoption, "_reads_recorded", set())   # what a second web worker knows
    assert await adoption.record_read(db, alice, at_ms=now) is True
    assert await _reads(db, alice, adoption.day_of(now)) == 2   # an upsert: one row, still "read that day"
    rows = await adoption.summary_by(db, "department", adoption.day_of(now), adoption.day_of(now))
    assert [(int(r["people"]), int(r["read"])) for r in rows] == [(1, 1)]   # one person who read that day
