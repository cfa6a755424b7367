"""Shared fixtures: a migrated database on each engine, and a context for service tests.

`db` runs a test on SQLite and on PostgreSQL (ATRIUM_TEST_DATABASE_URL, default the local server's
`test` database); every PostgreSQL test gets a schema of its own. When no PostgreSQL server answers
the PostgreSQL half is skipped with a message saying so, except under CI, where it must run.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database, connect
from storage.migrate import migrate

PG_URL = os.environ.get("ATRIUM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


async def _postgres_reachable() -> bool:
    import asyncpg

    try:
        conn = await asyncpg.connect(PG_URL, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def require_postgres(what: str) -> None:
    """The one place a PostgreSQL test may skip: only when no server answers on a developer's
    machine (issue #7 asks for exactly this), never under CI, where it fails instead."""
    if await _postgres_reachable():
        return
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL}, and CI must run {what}")
    pytest.skip(f"PostgreSQL is not reachable at {PG_URL}: {what} did not run")


async def open_test_database(engine: str, tmp_path: Path) -> tuple[Database, str | None]:
    if engine == "sqlite":
        db = await connect(f"sqlite:///{tmp_path / 'test.db'}")
        return db, None
    await require_postgres("the PostgreSQL half of the storage suite")
    import asyncpg

    schema = "t_" + secrets.token_hex(6)
    conn = await asyncpg.connect(PG_URL)
    await conn.execute(f"CREATE SCHEMA {schema}")
    await conn.close()
    db = await connect(PG_URL, schema=schema)
    return db, schema


async def drop_schema(schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_URL)
    await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database, once per engine."""
    database, schema = await open_test_database(request.param, tmp_path)
    try:
        await migrate(database)
        yield database
    finally:
        await database.close()
        if schema:
            await drop_schema(schema)


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite database (for tests about SQLite itself, or too slow to double)."""
    database, _ = await open_test_database("sqlite", tmp_path)
    try:
        await migrate(database)
        yield database
    finally:
        await database.close()


def make_settings(tmp_path: Path, **overrides: object):
    """Settings for an in-process test instance at http://paris.test (no real network)."""
    from server.config import load_settings

    env = {
        "ATRIUM_DOMAIN": "paris.test",
        "ATRIUM_SCHEME": "http",
        "ATRIUM_DATA_DIR": str(tmp_path / "data"),
        "ATRIUM_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'atrium.db'}",
        "ATRIUM_COMPANY_AUDIENCE": "https://company.atrium.test/ns/members",
        "ATRIUM_RUN_WORKERS": "false",
    }
    env.update({k: str(v) for k, v in overrides.items()})
    return load_settings(env)


@pytest.fixture
async def ctx(db: Database, tmp_path: Path):
    """A service context on each engine, with the instance actor created."""
    from server.context import make_context
    from server.services.accounts import ensure_instance_actor

    context = make_context(make_settings(tmp_path), db)
    await ensure_instance_actor(context)
    return context
