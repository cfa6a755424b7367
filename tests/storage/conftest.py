"""A migrated SQLite database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import migrate
from storage.db import SQLiteDatabase, connect


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SQLiteDatabase]:
    database = await connect(f"sqlite:///{tmp_path / 'atrium.db'}")
    assert isinstance(database, SQLiteDatabase)
    await migrate.migrate(database)
    yield database
    await database.close()
