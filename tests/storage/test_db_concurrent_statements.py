"""SQLite: statements of one transaction issued concurrently (federation.batch does) run safely.

aiosqlite runs one connection's statements on one thread. A cursor dropped on the event loop's
thread used to reset its cached statement there, racing with the connection's thread running the
same SQL for another caller: "bad parameter or other API misuse" (about 1 in 4,000 statements here)."""

from __future__ import annotations

import asyncio

from storage.db import Database

UPSERT = "INSERT INTO tags (id, name, display_name, created_at, last_status_at) VALUES (?, ?, ?, 0, 0)" \
         " ON CONFLICT (name) DO UPDATE SET last_status_at = tags.last_status_at + 1"


async def test_concurrent_executemany_of_one_statement_in_one_transaction(sqlite_db: Database) -> None:
    errors: list[BaseException] = []
    for round_ in range(60):
        async with sqlite_db.transaction() as tx:
            async def one(i: int, tx: object = tx, round_: int = round_) -> None:
                await tx.executemany(UPSERT, [(round_ * 1000 + i, f"t{i % 7}", "t")])  # type: ignore[attr-defined]
                await tx.executemany(UPSERT, [(10**6 + i, f"u{i % 5}", "u"), (10**7 + i, f"v{i % 3}", "v")])  # type: ignore[attr-defined]

            outcomes = await asyncio.gather(*(one(i) for i in range(150)), return_exceptions=True)
            errors += [o for o in outcomes if isinstance(o, BaseException)]
    assert errors == []
    total = await sqlite_db.fetchval("SELECT SUM(last_status_at) FROM tags")
    assert total == 60 * 150 * 3 - (7 + 5 + 3)   # every upsert counted once (the first of each name inserts)
