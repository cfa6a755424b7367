"""SQLite: each statement costs one hop to its connection's thread (aiosqlite runs one thread per
connection; a hop is a queue put, a thread wake-up and a call_soon_threadsafe back, 30–100 µs)."""

from __future__ import annotations

from collections import Counter

import pytest

from storage.db import IntegrityError, SQLiteDatabase

INSERT = "INSERT INTO instance_settings (key, value) VALUES (?, ?)"


def count_hops(db: SQLiteDatabase, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the functions queued to each connection's thread ("writer", "reader")."""
    hops: Counter[str] = Counter()
    assert db._writer is not None
    conns = {id(db._writer): ("writer", db._writer)}
    conns.update({id(r._conn): ("reader", r._conn) for r in db._readers if r._conn is not db._writer})
    for name, conn in conns.values():
        real = conn._execute

        async def counted(fn, *args, _real=real, _name=name, **kwargs):  # type: ignore[no-untyped-def]
            hops[_name] += 1
            return await _real(fn, *args, **kwargs)

        monkeypatch.setattr(conn, "_execute", counted)
    return hops


async def test_every_statement_and_transaction_step_is_one_hop(sqlite_db: SQLiteDatabase,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    hops = count_hops(sqlite_db, monkeypatch)
    assert await sqlite_db.execute(INSERT, ("a", "1")) == 1
    await sqlite_db.executemany(INSERT, [("b", "2"), ("c", "3")])
    assert hops == {"writer": 2}
    assert await sqlite_db.fetchval("SELECT COUNT(*) FROM instance_settings") == 3
    assert (await sqlite_db.fetchone("SELECT value FROM instance_settings WHERE key = ?", ("b",)))["value"] == "2"
    assert len(await sqlite_db.fetchall("SELECT * FROM instance_settings")) == 3
    assert hops == {"writer": 2, "reader": 3}
    hops.clear()
    async with sqlite_db.transaction() as tx:          # BEGIN, 4 statements, COMMIT
        await tx.execute(INSERT, ("d", "4"))
        await tx.executemany(INSERT, [("e", "5")])
        assert await tx.fetchval("SELECT value FROM instance_settings WHERE key = 'd'") == "4"
        assert [r["key"] for r in await tx.fetchall("SELECT key FROM instance_settings WHERE key > 'c'")] == ["d", "e"]
    assert hops == {"writer": 6}
    hops.clear()
    with pytest.raises(IntegrityError):
        async with sqlite_db.transaction() as tx:      # BEGIN, the failing statement, ROLLBACK
            await tx.executemany(INSERT, [("f", "6"), ("a", "again")])
    assert hops == {"writer": 3}
    assert await sqlite_db.fetchone("SELECT * FROM instance_settings WHERE key = 'f'") is None


async def test_rows_read_by_name_and_position_and_fetchone_takes_the_first(sqlite_db: SQLiteDatabase) -> None:
    await sqlite_db.executemany(INSERT, [("k1", "v1"), ("k2", "v2"), ("k3", "v3")])
    row = await sqlite_db.fetchone("SELECT key, value FROM instance_settings ORDER BY key")
    assert row is not None and (row["key"], row[1], tuple(row.keys())) == ("k1", "v1", ("key", "value"))
    assert await sqlite_db.fetchval("SELECT value FROM instance_settings WHERE key = 'none'") is None
    # A statement left half-read was closed: the same SQL runs again from its first row.
    again = await sqlite_db.fetchone("SELECT key, value FROM instance_settings ORDER BY key")
    assert again is not None and again["key"] == "k1"
    assert await sqlite_db.execute("UPDATE instance_settings SET value = 'x' WHERE key > 'k1'") == 2
