"""The async database handle: one small interface over SQLite (aiosqlite) and PostgreSQL (asyncpg).

Every SQL statement in Atrium is written once, with `?` placeholders, in SQL that both engines accept;
the PostgreSQL backend rewrites the placeholders to `$1, $2, …`. Rows come back as mappings
(`row["column"]`) on both engines.

SQLite runs in WAL mode with one writer connection (writes are serialised by an asyncio lock, as
SQLite serialises them anyway) and a few reader connections, so reads never wait behind a write
transaction. Each call is one thread hop (aiosqlite runs one thread per connection), so callers batch
statements rather than looping over single-row queries.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

import aiosqlite

Row = Mapping[str, Any]


def row_values(row: Row) -> tuple[Any, ...]:
    """Every value of a row, for caches keyed by what a row says: sqlite3.Row iterates over its
    values; asyncpg's Record and plain dicts have values()."""
    values = getattr(row, "values", None)
    return tuple(values()) if callable(values) else tuple(row)


Params = Sequence[Any]


class DatabaseError(Exception):
    """A database could not be opened or a URL is malformed."""


class IntegrityError(Exception):
    """A uniqueness or foreign-key constraint was violated (the same on both engines)."""


class Executor(Protocol):
    """What storage functions need: the database itself or an open transaction."""

    dialect: str

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    async def fetchval(self, sql: str, params: Params = ()) -> Any: ...

    async def execute(self, sql: str, params: Params = ()) -> int: ...

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...


class Database(Executor, Protocol):
    """An open database: executes statements and opens transactions."""

    url: str

    def transaction(self) -> Any: ...

    async def close(self) -> None: ...

    async def executescript(self, script: str) -> None: ...


# --- SQLite -------------------------------------------------------------------------------------

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    # NORMAL is durable across application crashes in WAL mode; only an OS crash or power loss can
    # roll back the last transactions. FULL costs an fsync per commit; see docs/OPERATIONS.md.
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA cache_size=-65536",
    "PRAGMA mmap_size=268435456",
)


# The functions below run on a connection's own thread (aiosqlite's worker), each in one hop: the
# cursor is created, run, drained and closed there. Closing it there matters: a cursor dropped on
# the event loop's thread resets its statement (cached, so shared by every cursor running the same
# SQL) there, possibly while the connection's thread runs that statement for another caller of the
# same transaction ("bad parameter or other API misuse", seen with federation.batch). Closed in
# `finally`, a cursor an exception's traceback keeps alive holds no statement any more.


def _run_fetchall(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    cursor = conn.cursor()
    try:
        return cursor.execute(sql, params).fetchall()
    finally:
        cursor.close()


def _run_fetchone(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> Any:
    cursor = conn.cursor()
    try:
        return cursor.execute(sql, params).fetchone()
    finally:
        cursor.close()


def _run_execute(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> int:
    cursor = conn.cursor()
    try:
        return cursor.execute(sql, params).rowcount
    finally:
        cursor.close()


def _run_executemany(conn: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    cursor = conn.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    cursor = conn.cursor()
    try:
        cursor.executescript(script)
    finally:
        cursor.close()


def _run_pragmas(conn: sqlite3.Connection) -> None:
    for pragma in _SQLITE_PRAGMAS:
        _run_fetchall(conn, pragma, ())


async def _hop(conn: aiosqlite.Connection, fn: Any, *args: Any) -> Any:
    """Run `fn(sqlite3_connection, *args)` on `conn`'s thread: one hop. `Connection._execute` is
    aiosqlite's own queue to that thread (every public method goes through it; pinned by
    tests/storage/test_db_hops.py); its public helpers cost two hops per statement, or leave the
    cursor to the event loop's thread."""
    return await conn._execute(fn, conn._conn, *args)


class _SQLiteExecutor:
    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await _hop(self._conn, _run_fetchall, sql, tuple(params))

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        return await _hop(self._conn, _run_fetchone, sql, tuple(params))

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Params = ()) -> int:
        try:
            return await _hop(self._conn, _run_execute, sql, tuple(params))
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        try:
            await _hop(self._conn, _run_executemany, sql, [tuple(r) for r in rows])
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc


class SQLiteDatabase(_SQLiteExecutor):
    """An SQLite file in WAL mode: one writer connection, `readers` reader connections."""

    def __init__(self, url: str, path: str, readers: int = 2) -> None:
        self.url = url
        self.path = path
        self._reader_count = readers
        self._writer: aiosqlite.Connection | None = None
        self._readers: list[_SQLiteExecutor] = []
        self._reader_cycle: Iterator[_SQLiteExecutor] | None = None
        self._write_lock = asyncio.Lock()

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        await _hop(conn, _run_pragmas)
        return conn

    async def open(self) -> SQLiteDatabase:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._writer = await self._connect()
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot open SQLite database at {self.path}: {exc}") from exc
        super().__init__(self._writer)
        if self.path == ":memory:":
            self._readers = [_SQLiteExecutor(self._writer)]
        else:
            self._readers = [_SQLiteExecutor(await self._connect()) for _ in range(self._reader_count)]
        self._reader_cycle = itertools.cycle(self._readers)
        return self

    def _reader(self) -> _SQLiteExecutor:
        assert self._reader_cycle is not None, "database is not open"
        return next(self._reader_cycle)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._reader().fetchall(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        return await self._reader().fetchone(sql, params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._write_lock:
            return await super().execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self._write_lock:
            await super().executemany(sql, rows)

    async def executescript(self, script: str) -> None:
        assert self._writer is not None
        async with self._write_lock:
            await _hop(self._writer, _run_script, script)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_SQLiteExecutor]:
        """A write transaction (BEGIN IMMEDIATE): everything inside commits together or not at all."""
        assert self._writer is not None, "database is not open"
        async with self._write_lock:
            await _hop(self._writer, _run_execute, "BEGIN IMMEDIATE", ())
            try:
                yield _SQLiteExecutor(self._writer)
            except BaseException:
                await _hop(self._writer, _run_execute, "ROLLBACK", ())
                raise
            else:
                await _hop(self._writer, _run_execute, "COMMIT", ())

    async def close(self) -> None:
        for reader in self._readers:
            if reader._conn is not self._writer:
                await reader._conn.close()
        if self._writer is not None:
            await self._writer.close()
        self._readers = []
        self._writer = None


# --- PostgreSQL ---------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\?")


def to_postgres_placeholders(sql: str) -> str:
    """Rewrite `?` placeholders as `$1, $2, …` (our SQL never has `?` inside string literals)."""
    counter = itertools.count(1)
    return _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", sql)


class _PostgresExecutor:
    dialect = "postgresql"

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._conn.fetch(to_postgres_placeholders(sql), *params))

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        return await self._conn.fetchrow(to_postgres_placeholders(sql), *params)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        return await self._conn.fetchval(to_postgres_placeholders(sql), *params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        import asyncpg

        try:
            status = await self._conn.execute(to_postgres_placeholders(sql), *params)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(str(exc)) from exc
        parts = status.split()
        return int(parts[-1]) if parts and parts[-1].isdigit() else 0

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        import asyncpg

        try:
            await self._conn.executemany(to_postgres_placeholders(sql), [tuple(r) for r in rows])
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(str(exc)) from exc


class _PoolExecutor:
    """Runs each statement on a connection borrowed from the pool."""

    dialect = "postgresql"

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._pool.acquire() as conn:
            return await _PostgresExecutor(conn).fetchall(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self._pool.acquire() as conn:
            return await _PostgresExecutor(conn).fetchone(sql, params)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        async with self._pool.acquire() as conn:
            return await _PostgresExecutor(conn).fetchval(sql, params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._pool.acquire() as conn:
            return await _PostgresExecutor(conn).execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self._pool.acquire() as conn:
            await _PostgresExecutor(conn).executemany(sql, rows)


class PostgresDatabase(_PoolExecutor):
    """A PostgreSQL database reached through an asyncpg pool."""

    def __init__(self, url: str, min_size: int = 2, max_size: int = 10, schema: str | None = None) -> None:
        self.url = url
        self._min_size = min_size
        self._max_size = max_size
        self._schema = schema
        self._pool: Any = None

    async def open(self) -> PostgresDatabase:
        import asyncpg

        try:
            settings = {"search_path": self._schema} if self._schema else None
            self._pool = await asyncpg.create_pool(
                self.url, min_size=self._min_size, max_size=self._max_size, command_timeout=60,
                server_settings=settings, reset=_reset_connection,
            )
        except (OSError, asyncpg.PostgresError) as exc:
            raise DatabaseError(f"cannot connect to PostgreSQL at {_redact(self.url)}: {exc}") from exc
        super().__init__(self._pool)
        return self

    async def executescript(self, script: str) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute(script)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_PostgresExecutor]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield _PostgresExecutor(conn)

    @property
    def pool(self) -> Any:
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


async def _reset_connection(conn: Any) -> None:
    """What a connection needs before it goes back to the pool: only a rollback, if one was left open.

    asyncpg's default reset sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every
    release, and the storage layer borrows a connection per statement, so that reset was a second round
    trip per statement (measured: 3,100-6,800 statements/s with it, 9,000-16,800 without). Atrium sets
    no session state (the schema is a connect-time setting), takes no advisory locks, opens no cursors
    outside transactions, and its one LISTEN (streaming) is removed before its connection is released.
    """
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


def _redact(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


def sqlite_path_from_url(url: str) -> str:
    """`sqlite:///relative/path.db`, `sqlite:////abs/path.db` or `sqlite://:memory:` → a file path."""
    if not url.startswith("sqlite:"):
        raise DatabaseError(f"not an SQLite URL: {url!r}")
    rest = url[len("sqlite:") :]
    if rest in ("//:memory:", ":memory:", "///:memory:"):
        return ":memory:"
    if rest.startswith("///"):
        path = rest[3:]
    elif rest.startswith("//"):
        path = rest[2:]
    else:
        path = rest
    if not path:
        raise DatabaseError(f"SQLite URL has no path: {url!r}")
    return unquote(path)


async def connect(url: str, *, schema: str | None = None) -> SQLiteDatabase | PostgresDatabase:
    """Open the database named by `url` (sqlite:///… or postgresql://…; `schema` selects a
    PostgreSQL schema, which tests use to isolate themselves)."""
    if url.startswith("sqlite:"):
        return await SQLiteDatabase(url, sqlite_path_from_url(url)).open()
    if url.startswith(("postgresql://", "postgres://")):
        return await PostgresDatabase(url, schema=schema).open()
    raise DatabaseError(f"unsupported database URL {url!r}: use sqlite:///path or postgresql://…")


__all__ = [
    "Database",
    "DatabaseError",
    "Executor",
    "IntegrityError",
    "PostgresDatabase",
    "Row",
    "SQLiteDatabase",
    "connect",
    "sqlite_path_from_url",
    "to_postgres_placeholders",
]
