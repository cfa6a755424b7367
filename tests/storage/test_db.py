"""The database layer and migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.db import IntegrityError, connect, sqlite_path_from_url, to_postgres_placeholders
from storage.migrate import available_migrations, migrate, pending_migrations, split_statements
from tests.conftest import drop_schema, open_test_database


async def test_migrating_twice_applies_nothing_the_second_time(db):
    # Given a database the fixture already migrated
    # When migrations run again
    applied = await migrate(db)
    # Then nothing is applied and every migration is recorded once
    assert applied == []
    assert await pending_migrations(db) == []
    versions = [r["version"] for r in await db.fetchall("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [m.version for m in available_migrations()]


async def test_an_interrupted_migration_leaves_no_trace_and_is_applied_next_time(tmp_path: Path):
    # Given a fresh SQLite database and a migration that fails half-way
    db = await connect(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        first = available_migrations()[0]
        statements = split_statements(first.sql)
        with pytest.raises(RuntimeError):
            async with db.transaction() as tx:
                await tx.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                    " applied_at BIGINT NOT NULL)"
                )
                for statement in statements[:3]:
                    await tx.execute(statement)
                raise RuntimeError("power cut")
        # Then no table of it exists
        assert await db.fetchone("SELECT name FROM sqlite_master WHERE name = 'accounts'") is None
        # And a normal run applies everything
        applied = await migrate(db)
        assert [m.version for m in applied] == [m.version for m in available_migrations()]
    finally:
        await db.close()


async def test_unique_violations_raise_the_same_error_on_both_engines(db):
    await db.execute("INSERT INTO instance_settings (key, value) VALUES (?, ?)", ("a", "1"))
    with pytest.raises(IntegrityError):
        await db.execute("INSERT INTO instance_settings (key, value) VALUES (?, ?)", ("a", "2"))


async def test_a_failed_transaction_rolls_back_everything(db):
    with pytest.raises(ValueError):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO instance_settings (key, value) VALUES (?, ?)", ("x", "1"))
            raise ValueError("boom")
    assert await db.fetchone("SELECT * FROM instance_settings WHERE key = 'x'") is None


def test_placeholders_are_numbered_for_postgresql():
    assert to_postgres_placeholders("SELECT ? , ? WHERE a = ?") == "SELECT $1 , $2 WHERE a = $3"


@pytest.mark.parametrize(
    ("url", "path"),
    [("sqlite:///data/a.db", "data/a.db"), ("sqlite:////abs/a.db", "/abs/a.db"), ("sqlite://:memory:", ":memory:")],
)
def test_sqlite_urls_name_a_file(url, path):
    assert sqlite_path_from_url(url) == path


async def test_sqlite_runs_in_wal_mode(sqlite_db):
    assert (await sqlite_db.fetchval("PRAGMA journal_mode")).lower() == "wal"


async def test_a_pooled_postgresql_connection_comes_back_clean_without_a_reset_per_statement(tmp_path: Path):
    # The pool's release no longer runs asyncpg's full reset (a round trip per statement): a
    # connection must still come back out of any transaction, in this database's schema.
    db, schema = await open_test_database("postgresql", tmp_path)
    try:
        await _pool_comes_back_clean(db, schema)
    finally:
        await db.close()
        await drop_schema(schema)


async def _pool_comes_back_clean(db, schema):
    await db.execute("CREATE TABLE pool_probe (n INTEGER)")
    for _ in range(db.pool.get_max_size() + 1):   # every connection of the pool, at least once
        async with db.pool.acquire() as conn:
            await conn.execute("BEGIN")
            await conn.execute("INSERT INTO pool_probe VALUES (1)")
            # released inside its transaction, as a cancelled task could leave it
    for _ in range(db.pool.get_max_size() + 1):
        async with db.pool.acquire() as conn:
            assert not conn.is_in_transaction()
    assert await db.fetchval("SELECT count(*) FROM pool_probe") == 0
    # And the statements still run in this database's own schema after many releases
    assert await db.fetchval("SELECT current_schema()") == schema
