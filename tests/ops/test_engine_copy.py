"""Copying a populated SQLite instance into PostgreSQL, table by table, and proving the copy."""

from __future__ import annotations

import math

import pytest

from server.context import make_context
from server.services.accounts import ensure_instance_actor
from storage import engine_copy
from storage.engine_copy import CopyError, Table, copy_order
from storage.migrate import migrate
from tests.conftest import drop_schema, make_settings, open_test_database
from tests.ops.populate import populate


@pytest.fixture
async def source(sqlite_db, tmp_path):
    """A populated SQLite instance."""
    settings = make_settings(tmp_path)
    ctx = make_context(settings, sqlite_db)
    await ensure_instance_actor(ctx)
    population = await populate(ctx, settings.media_dir)
    return sqlite_db, population


@pytest.fixture
async def target(tmp_path):
    """A migrated, empty PostgreSQL schema of its own."""
    db, schema = await open_test_database("postgresql", tmp_path)
    try:
        await migrate(db)
        yield db
    finally:
        await db.close()
        await drop_schema(schema)


def test_tables_come_parents_first_and_self_references_and_cycles_are_deferred():
    tables = {
        "accounts": Table("accounts", ["id", "manager_id"], {}, ["id"], {"manager_id": "accounts"}),
        "statuses": Table("statuses", ["id", "account_id", "reply_id", "poll_id"], {}, ["id"],
                          {"account_id": "accounts", "reply_id": "statuses", "poll_id": "polls"}),
        "polls": Table("polls", ["id", "status_id"], {}, ["id"], {"status_id": "statuses"}),
        "mentions": Table("mentions", ["status_id", "account_id"], {}, ["status_id", "account_id"],
                          {"status_id": "statuses", "account_id": "accounts"}),
    }
    order, deferred = copy_order(tables)
    assert order[0] == "accounts"
    assert order.index("mentions") > order.index("statuses")
    assert set(order) == set(tables)
    assert deferred["accounts"] == ["manager_id"]
    # statuses ↔ polls is a cycle: one side's reference waits until both tables are filled
    assert "poll_id" in deferred.get("statuses", []) or "status_id" in deferred.get("polls", [])
    assert "reply_id" in deferred["statuses"]


async def test_every_table_is_copied_and_verified(source, target):
    db, population = source
    # When the populated instance is copied in small batches
    seen = []
    copied = await engine_copy.copy_database(db, target, batch_size=3, progress=lambda t, n: seen.append(t))
    # Then every table but the migrations' own bookkeeping was copied, with every row
    tables = {r["name"] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert set(copied) == tables - {"schema_migrations"}
    assert seen == list(copied)
    assert copied["statuses"] == await db.fetchval("SELECT COUNT(*) FROM statuses") > 3
    checks = await engine_copy.verify(db, target)
    assert {c.table for c in checks} == tables
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]
    # And the references that point forward in id order survived
    assert await target.fetchval("SELECT manager_id FROM accounts WHERE id = ?", (population.bob,)) == population.alice
    assert await target.fetchval("SELECT in_reply_to_id FROM statuses WHERE id = ?",
                                 (population.remote_reply,)) == population.public_post
    assert population.remote_reply < population.public_post
    assert await target.fetchval("SELECT value FROM instance_settings WHERE key = 'ops.test'") == "\u00e9t\u00e9 \u2603"
    focus = await target.fetchval("SELECT focus_y FROM media_attachments")
    assert math.isclose(focus, -0.3, rel_tol=1e-6)


async def test_verification_finds_a_row_that_differs(source, target):
    db, population = source
    await engine_copy.copy_database(db, target)
    await target.execute("UPDATE statuses SET content = '<p>tampered</p>' WHERE id = ?", (population.local_post,))
    checks = {c.table: c for c in await engine_copy.verify(db, target)}
    assert not checks["statuses"].ok
    assert checks["statuses"].source_rows == checks["statuses"].target_rows
    assert [name for name, c in checks.items() if not c.ok] == ["statuses"]


async def test_a_target_with_data_is_refused_and_left_untouched(source, target):
    db, _ = source
    await target.execute("INSERT INTO instance_settings (key, value) VALUES ('mine', 'x')")
    with pytest.raises(CopyError, match="not empty"):
        await engine_copy.copy_database(db, target)
    assert await target.fetchval("SELECT COUNT(*) FROM accounts") == 0


async def test_databases_at_different_migrations_are_refused(source, target):
    db, _ = source
    await target.execute("DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)")
    with pytest.raises(CopyError, match="different migrations"):
        await engine_copy.copy_database(db, target)


async def test_a_failure_half_way_leaves_the_target_empty(source, target):
    db, _ = source
    # A value PostgreSQL cannot hold, in a table copied late
    await db.execute("INSERT INTO instance_settings (key, value) VALUES ('bad', ?)", ("nul\x00byte",))
    with pytest.raises(CopyError, match="NUL"):
        await engine_copy.copy_database(db, target)
    assert await target.fetchval("SELECT COUNT(*) FROM accounts") == 0
    assert await target.fetchval("SELECT COUNT(*) FROM statuses") == 0
