"""The benchmark datasets on PostgreSQL: the SQLite ones (bench/dataset.py, bench_fanout, bench_inbox)
copied into a PostgreSQL schema with COPY, so both engines are measured on the same rows.

    from bench import dataset, dataset_pg
    data = dataset.cached(dataset.FULL)
    with dataset_pg.working_schema(data) as url:   # postgresql://…?search_path=bench_work_…
        ...                                         # run servers on `url`; the schema is dropped after

- The schema is made by our own migrations (`storage.migrate` on PostgreSQL), so its tables, keys,
  foreign keys and indexes are the product's. The rows are then COPYed (asyncpg's binary COPY)
  with the secondary indexes dropped and re-created from their stored definitions once the rows are
  in, and foreign-key triggers off for the load only (`session_replication_role = replica`: the
  source already satisfied them). ANALYZE ends the load.
- The 1,000,000-post dataset is cached in its own schema `bench_<key>`, where `<key>` is the hash
  that names the cached SQLite file (parameters, generator version, migrations). It is built as
  `bench_<key>_building` and renamed when complete, so a half-built schema is never used.
- Each run works on a copy of the cached schema (`bench_work_<pid>`), made the same way
  (INSERT … SELECT between schemas instead of COPY), and dropped at the end: the writes a run
  measures never touch the cache.

PostgreSQL is `BENCH_PG_URL` (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg

from storage.db import connect
from storage.migrate import migrate

from . import dataset
from .dataset import Dataset

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
BATCH = 50_000
_INTEGER = ("integer", "bigint", "smallint")
_FLOAT = ("real", "double precision", "numeric")


def schema_url(schema: str, base: str = PG_URL) -> str:
    """The DSN that selects `schema` (asyncpg passes `search_path` on as a server setting)."""
    return f"{base}{'&' if '?' in base else '?'}search_path={schema}"


async def _pg() -> Any:
    return await asyncpg.connect(PG_URL)


def reachable() -> bool:
    """Whether PostgreSQL answers at PG_URL."""

    async def probe() -> bool:
        try:
            conn = await asyncio.wait_for(_pg(), 10)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    return asyncio.run(probe())


async def schema_exists(schema: str) -> bool:
    conn = await _pg()
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema))
    finally:
        await conn.close()


async def drop_schema(schema: str) -> None:
    conn = await _pg()
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


async def create_migrated(schema: str) -> None:
    """A new schema holding exactly what `atrium migrate` makes (dropped first if it exists)."""
    await drop_schema(schema)
    conn = await _pg()
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()
    db = await connect(PG_URL, schema=schema)
    try:
        await migrate(db)
    finally:
        await db.close()


async def _columns(conn: Any, schema: str) -> dict[str, dict[str, str]]:
    rows = await conn.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1"
        " ORDER BY table_name, ordinal_position", schema)
    tables: dict[str, dict[str, str]] = {}
    for row in rows:
        tables.setdefault(row["table_name"], {})[row["column_name"]] = row["data_type"]
    return tables


async def _secondary_indexes(conn: Any, schema: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the indexes that back no constraint (those can be dropped)."""
    rows = await conn.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = $1 AND NOT EXISTS"
        " (SELECT 1 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
        "  WHERE n.nspname = $1 AND c.conname = i.indexname)", schema)
    return [(r["indexname"], r["indexdef"]) for r in rows]


def _convert(kind: str) -> Any:
    if kind in _INTEGER:
        return lambda v: None if v is None else int(v)
    if kind in _FLOAT:
        return lambda v: None if v is None else float(v)
    if kind == "text":
        return lambda v: None if v is None else str(v)
    return lambda v: v


async def _load(schema: str, fill: Any) -> dict[str, int]:
    """Run `fill(conn, tables)` with the schema's secondary indexes dropped and FK triggers off, then
    re-create the indexes and ANALYZE. Returns the row count per table."""
    conn = await _pg()
    try:
        await conn.execute(f'SET search_path = "{schema}"')
        await conn.execute("SET session_replication_role = replica")   # no FK triggers while loading
        await conn.execute("SET maintenance_work_mem = '256MB'")
        indexes = await _secondary_indexes(conn, schema)
        for name, _ in indexes:
            await conn.execute(f'DROP INDEX "{schema}"."{name}"')
        tables = await _columns(conn, schema)
        counts = await fill(conn, tables)
        for _, sql in indexes:
            await conn.execute(sql)
        await conn.execute("SET session_replication_role = DEFAULT")
        # Only the tables that hold rows: an empty table analysed as empty keeps planning as if it
        # were while a run fills it (a queue of 10,000 deliveries planned as 0 rows picked a 7 s
        # claim plan), where after `atrium migrate` it has no statistics and is planned by its size.
        for table, rows in counts.items():
            if rows:
                await conn.execute(f'ANALYZE "{table}"')
        return counts
    finally:
        await conn.close()


async def copy_sqlite(sqlite_path: Path, schema: str) -> dict[str, int]:
    """Make `schema` by our migrations and COPY every row of the SQLite file into it."""
    await create_migrated(schema)

    async def fill(conn: Any, tables: dict[str, dict[str, str]]) -> dict[str, int]:
        counts: dict[str, int] = {}
        source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
        try:
            for table, types in tables.items():
                if table == "schema_migrations":
                    continue
                present = [r[1] for r in source.execute(f'PRAGMA table_info("{table}")')]
                columns = [c for c in types if c in present]
                converters = [_convert(types[c]) for c in columns]
                cursor = source.execute(f'SELECT {", ".join(chr(34) + c + chr(34) for c in columns)} FROM "{table}"')
                total = 0
                while rows := cursor.fetchmany(BATCH):
                    records = [tuple(conv(v) for conv, v in zip(converters, row, strict=True)) for row in rows]
                    await conn.copy_records_to_table(table, records=records, columns=columns, schema_name=schema)
                    total += len(records)
                counts[table] = total
        finally:
            source.close()
        return counts

    return await _load(schema, fill)


async def copy_schema(source: str, schema: str) -> dict[str, int]:
    """Make `schema` by our migrations and copy every row of the schema `source` into it."""
    await create_migrated(schema)

    async def fill(conn: Any, tables: dict[str, dict[str, str]]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for table, types in tables.items():
            if table == "schema_migrations":
                continue
            cols = ", ".join(f'"{c}"' for c in types)
            status = await conn.execute(f'INSERT INTO "{schema}"."{table}" ({cols}) SELECT {cols} FROM "{source}"."{table}"')
            counts[table] = int(status.split()[-1])
        return counts

    return await _load(schema, fill)


def cache_schema(data: Dataset) -> str:
    return f"bench_{data.params.key()}"


def cached(data: Dataset, *, rebuild: bool = False, log: bool = True) -> tuple[str, float]:
    """The schema holding `data` (built from its SQLite file when missing); and the seconds the build
    took now (0 when it was cached)."""
    schema = cache_schema(data)
    if not rebuild and asyncio.run(schema_exists(schema)):
        return schema, 0.0
    building = f"{schema}_building"
    if log:
        print(f"copying {data.path.name} into PostgreSQL schema {schema} …", flush=True)
    started = time.perf_counter()

    async def build() -> None:
        await copy_sqlite(data.path, building)
        await drop_schema(schema)
        conn = await _pg()
        try:
            await conn.execute(f'ALTER SCHEMA "{building}" RENAME TO "{schema}"')
        finally:
            await conn.close()

    asyncio.run(build())
    asyncio.run(_drop_stale())
    seconds = time.perf_counter() - started
    if log:
        print(f"copied in {seconds:.0f} s", flush=True)
    return schema, seconds


async def _drop_stale() -> None:
    """Drop the cached schemas of older migrations or generators (about 1 GB each): only the
    current quick and full datasets' schemas are kept."""
    keep = {f"bench_{params.key()}" for params in (dataset.QUICK, dataset.FULL)}
    conn = await _pg()
    try:
        names = [r["nspname"] for r in await conn.fetch("SELECT nspname FROM pg_namespace WHERE nspname ~ $1",
                                                        "^bench_[0-9a-f]{12}$")]
    finally:
        await conn.close()
    for name in names:
        if name not in keep:
            await drop_schema(name)


@contextmanager
def working_schema(data: Dataset, *, keep: bool = False) -> Iterator[tuple[str, float]]:
    """A copy of the cached schema to run against: (its DSN, seconds the copy took); dropped after."""
    source, _ = cached(data)
    schema = f"bench_work_{os.getpid()}"
    started = time.perf_counter()
    asyncio.run(copy_schema(source, schema))
    try:
        yield schema_url(schema), time.perf_counter() - started
    finally:
        if not keep:
            asyncio.run(drop_schema(schema))


@contextmanager
def from_sqlite_file(sqlite_path: Path, schema: str, *, keep: bool = False) -> Iterator[str]:
    """A small SQLite database (a federation scenario's) copied into a fresh schema; its DSN."""
    asyncio.run(copy_sqlite(sqlite_path, schema))
    try:
        yield schema_url(schema)
    finally:
        if not keep:
            asyncio.run(drop_schema(schema))
