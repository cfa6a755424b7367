"""Fixtures for federation tests: a migrated SQLite database per test and the paris instance."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from federation.instance import Instance
from storage.db import SQLiteDatabase
from tests.federation.rig import make_instance, open_db


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SQLiteDatabase]:
    database = await open_db(tmp_path)
    yield database
    await database.close()


@pytest.fixture
def paris() -> Instance:
    """Our instance in most tests: paris.example, with lyon.example as its one company peer."""
    return make_instance("paris.example", peers=("lyon.example",))
