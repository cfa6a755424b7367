"""Copy every table of one migrated database into another (SQLite → PostgreSQL), then prove it.

The copy reads the schema from the databases themselves, so a table added by a future migration is
copied without touching this module:

1. Both databases must be at the same migration versions and hold the same tables and columns; the
   target must be empty (only `schema_migrations`, which its own migration run filled).
2. Tables are copied parents first (foreign keys give the order), in batches of `batch_size` rows
   paged by key, never OFFSET. A column that refers to its own table (a manager, a reply, a boost)
   or closes a cycle is written NULL first and filled in once every row exists, so no row order
   inside a table can break a constraint and no superuser setting is needed on PostgreSQL.
3. The source is read inside one write transaction (SQLite's lock keeps writers out, so the copy is
   one consistent snapshot) and the target is written inside one transaction: a failure leaves the
   target as empty as it was.
4. `verify` counts rows and computes an order-independent checksum of every table on both sides.

Values are converted to the target column's type. PostgreSQL's REAL is single precision, where
SQLite's is double: checksums compare REAL columns at single precision, as stored.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .db import Database, Executor

SKIPPED = ("schema_migrations",)
_INTEGER_TYPES = ("integer", "bigint", "smallint", "int", "int2", "int4", "int8")
_FLOAT_TYPES = ("real", "double precision", "float4", "float8", "numeric")
_DIGITS = re.compile(r"^-?\d+$")


class CopyError(Exception):
    """The databases cannot be copied (different schemas, a non-empty target, a value that does not fit)."""


@dataclass
class Table:
    """A table as the copy needs it."""

    name: str
    columns: list[str]
    types: dict[str, str]                     # lowercased declared type per column
    primary_key: list[str]
    references: dict[str, str] = field(default_factory=dict)   # column -> referenced table


@dataclass(frozen=True)
class TableCheck:
    """Rows and checksum of one table on both sides."""

    table: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.source_checksum == self.target_checksum


def quote(name: str) -> str:
    """A quoted identifier (names come from the database's own catalog)."""
    return '"' + name.replace('"', '""') + '"'


# --- schema ------------------------------------------------------------------------------------

async def describe(db: Database) -> dict[str, Table]:
    """Every table of `db` with its columns, types, primary key and foreign keys."""
    if db.dialect == "sqlite":
        return await _describe_sqlite(db)
    return await _describe_postgres(db)


async def _describe_sqlite(db: Executor) -> dict[str, Table]:
    names = [str(r["name"]) for r in await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )]
    tables = {}
    for name in names:
        info = await db.fetchall(f"PRAGMA table_info({quote(name)})")
        columns = [str(c["name"]) for c in info]
        pk = [str(c["name"]) for c in sorted((c for c in info if c["pk"]), key=lambda c: int(c["pk"]))]
        refs = {str(f["from"]): str(f["table"]) for f in await db.fetchall(f"PRAGMA foreign_key_list({quote(name)})")}
        tables[name] = Table(name, columns, {str(c["name"]): str(c["type"]).lower() for c in info}, pk, refs)
    return tables


async def _describe_postgres(db: Executor) -> dict[str, Table]:
    columns = await db.fetchall(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c"
        " JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
        " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
        " ORDER BY c.table_name, c.ordinal_position"
    )
    tables: dict[str, Table] = {}
    for row in columns:
        table = tables.setdefault(str(row["table_name"]), Table(str(row["table_name"]), [], {}, []))
        table.columns.append(str(row["column_name"]))
        table.types[str(row["column_name"])] = str(row["data_type"]).lower()
    keys = await db.fetchall(
        "SELECT tc.table_name, tc.constraint_type, kcu.column_name, kcu.ordinal_position, ccu.table_name AS ref"
        " FROM information_schema.table_constraints tc"
        " JOIN information_schema.key_column_usage kcu"
        "  ON kcu.constraint_schema = tc.constraint_schema AND kcu.constraint_name = tc.constraint_name"
        " LEFT JOIN information_schema.constraint_column_usage ccu"
        "  ON tc.constraint_type = 'FOREIGN KEY' AND ccu.constraint_schema = tc.constraint_schema"
        "  AND ccu.constraint_name = tc.constraint_name"
        " WHERE tc.table_schema = current_schema() AND tc.constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')"
        " ORDER BY tc.table_name, kcu.ordinal_position"
    )
    for row in keys:
        table = tables.get(str(row["table_name"]))
        if table is None:
            continue
        if row["constraint_type"] == "PRIMARY KEY":
            table.primary_key.append(str(row["column_name"]))
        elif row["ref"] is not None:
            table.references[str(row["column_name"])] = str(row["ref"])
    return tables


def copy_order(tables: dict[str, Table]) -> tuple[list[str], dict[str, list[str]]]:
    """Tables parents first, and per table the columns to fill in after every row exists.

    Self-references are always deferred; a cycle between tables is broken by deferring the
    references of one of its tables to the others still unplaced.
    """
    deferred: dict[str, list[str]] = {}
    for table in tables.values():
        own = [col for col, ref in table.references.items() if ref == table.name]
        if own:
            deferred[table.name] = own
    remaining = {
        name: {ref for col, ref in t.references.items() if ref != name and ref in tables}
        for name, t in tables.items()
    }
    order: list[str] = []
    while remaining:
        ready = sorted(name for name, deps in remaining.items() if not deps)
        if not ready:
            # A cycle: one of its tables waits for no one in it; those columns are filled in later.
            name, members = _a_cycle(remaining)
            cut = [col for col, ref in tables[name].references.items() if ref in members and ref != name]
            deferred.setdefault(name, []).extend(cut)
            remaining[name] -= members
            continue
        for name in ready:
            order.append(name)
            del remaining[name]
        for deps in remaining.values():
            deps.difference_update(ready)
    return order, deferred


def _a_cycle(remaining: dict[str, set[str]]) -> tuple[str, set[str]]:
    """A table on a cycle of `remaining` (where every table waits for another) and the cycle's tables."""
    node = sorted(remaining)[0]
    path: list[str] = []
    while node not in path:
        path.append(node)
        node = sorted(remaining[node])[0]
    return node, set(path[path.index(node):])


# --- reading in pages ----------------------------------------------------------------------------

async def iterate_rows(db: Executor, table: Table, columns: Sequence[str], batch_size: int,
                       where: str = "") -> AsyncIterator[list[tuple[Any, ...]]]:
    """The rows of `table` (only `columns`), a page at a time, paged by primary key (SQLite: rowid when a
    table has no declared key; WITHOUT ROWID tables always have one)."""
    cols = ", ".join(quote(c) for c in columns)
    if db.dialect == "sqlite" and not table.primary_key:
        key = ["rowid"]
        select = f"SELECT rowid AS _atrium_key, {cols} FROM {quote(table.name)}"
    elif table.primary_key:
        key = [quote(c) for c in table.primary_key]
        select = f"SELECT {', '.join(key)}, {cols} FROM {quote(table.name)}"
    else:
        # No key to page by (none of Atrium's tables): one read.
        rows = await db.fetchall(f"SELECT {cols} FROM {quote(table.name)}" + (f" WHERE {where}" if where else ""))
        if rows:
            yield [tuple(r) for r in rows]
        return
    width = len(key)
    last: tuple[Any, ...] | None = None
    while True:
        conditions = [where] if where else []
        params: list[Any] = []
        if last is not None:
            conditions.append(f"({', '.join(key)}) > ({', '.join('?' * width)})" if width > 1 else f"{key[0]} > ?")
            params.extend(last)
        sql = select + (" WHERE " + " AND ".join(conditions) if conditions else "")
        sql += f" ORDER BY {', '.join(key)} LIMIT ?"
        rows = await db.fetchall(sql, (*params, batch_size))
        if not rows:
            return
        last = tuple(rows[-1][i] for i in range(width))
        yield [tuple(r)[width:] for r in rows]
        if len(rows) < batch_size:
            return


# --- the copy ------------------------------------------------------------------------------------

def _converter(table: str, column: str, target_type: str) -> Callable[[Any], Any]:
    def to_int(value: Any) -> Any:
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _DIGITS.match(value):
            return int(value)
        raise CopyError(f"{table}.{column}: {value!r} is not a whole number")

    def to_float(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise CopyError(f"{table}.{column}: {value!r} is not a number")

    def to_text(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bytes):
            raise CopyError(f"{table}.{column}: binary data in a text column")
        text = value if isinstance(value, str) else str(value)
        if "\x00" in text:
            raise CopyError(f"{table}.{column}: a NUL character, which PostgreSQL text cannot hold")
        return text

    if target_type in _INTEGER_TYPES:
        return to_int
    if target_type in _FLOAT_TYPES:
        return to_float
    if target_type in ("text", "character varying", "varchar", "character"):
        return to_text
    return lambda value: value


async def check_compatible(source: Database, target: Database) -> tuple[dict[str, Table], dict[str, Table]]:
    """Both schemas, after checking they hold the same tables and columns and the target is empty."""
    src, dst = await describe(source), await describe(target)
    src_versions = {int(r["version"]) for r in await source.fetchall("SELECT version FROM schema_migrations")}
    dst_versions = {int(r["version"]) for r in await target.fetchall("SELECT version FROM schema_migrations")}
    if src_versions != dst_versions:
        raise CopyError(
            f"the databases are at different migrations (source {sorted(src_versions)}, target {sorted(dst_versions)});"
            " run `atrium migrate` on the source first"
        )
    if set(src) != set(dst):
        raise CopyError(f"the databases have different tables: only in source {sorted(set(src) - set(dst))},"
                        f" only in target {sorted(set(dst) - set(src))}")
    for name, table in src.items():
        if set(table.columns) != set(dst[name].columns):
            raise CopyError(f"{name}: the databases have different columns")
    for name in sorted(set(dst) - set(SKIPPED)):
        if await target.fetchval(f"SELECT 1 FROM {quote(name)} LIMIT 1"):
            raise CopyError(f"the target database is not empty (table {name} has rows)")
    return src, dst


async def copy_database(
    source: Database,
    target: Database,
    *,
    batch_size: int = 1000,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Copy every row of `source` into the empty, migrated `target`; returns rows copied per table."""
    src, dst = await check_compatible(source, target)
    order, deferred = copy_order({n: t for n, t in src.items() if n not in SKIPPED})
    copied: dict[str, int] = {}
    async with source.transaction() as reader, target.transaction() as writer:
        for name in order:
            table = src[name]
            later = set(deferred.get(name, ()))
            columns = table.columns
            convert = [_converter(name, c, dst[name].types.get(c, "")) for c in columns]
            marks = ", ".join("?" * len(columns))
            insert = f"INSERT INTO {quote(name)} ({', '.join(quote(c) for c in columns)}) VALUES ({marks})"
            nulled = [i for i, c in enumerate(columns) if c in later]
            count = 0
            async for rows in iterate_rows(reader, table, columns, batch_size):
                batch = []
                for row in rows:
                    values = [conv(v) for conv, v in zip(convert, row, strict=True)]
                    for i in nulled:
                        values[i] = None
                    batch.append(values)
                await writer.executemany(insert, batch)
                count += len(batch)
            copied[name] = count
            if progress is not None:
                progress(name, count)
        for name, cols in deferred.items():
            await _fill_deferred(reader, writer, src[name], dst[name], cols, batch_size)
    return copied


async def _fill_deferred(reader: Executor, writer: Executor, table: Table, target: Table, columns: list[str],
                         batch_size: int) -> None:
    if not table.primary_key:
        raise CopyError(f"{table.name}: a self-referencing table without a primary key cannot be copied")
    key = table.primary_key
    wanted = [*columns, *key]
    convert = [_converter(table.name, c, target.types.get(c, "")) for c in wanted]
    update = (f"UPDATE {quote(table.name)} SET {', '.join(f'{quote(c)} = ?' for c in columns)}"
              f" WHERE {' AND '.join(f'{quote(c)} = ?' for c in key)}")
    not_null = " OR ".join(f"{quote(c)} IS NOT NULL" for c in columns)
    async for rows in iterate_rows(reader, table, wanted, batch_size, where=f"({not_null})"):
        await writer.executemany(update, [[conv(v) for conv, v in zip(convert, row, strict=True)] for row in rows])


# --- verification --------------------------------------------------------------------------------

def _cell(value: Any, column_type: str) -> bytes:
    if value is None:
        return b"N"
    if column_type in _FLOAT_TYPES or isinstance(value, float):
        number = float(value)
        if column_type in ("real", "float4"):
            number = struct.unpack("<f", struct.pack("<f", number))[0]
        return b"f" + repr(number).encode()
    if isinstance(value, bool):
        return b"i" + str(int(value)).encode()
    if isinstance(value, int):
        return b"i" + str(value).encode()
    if isinstance(value, bytes):
        return b"b" + value.hex().encode()
    return b"s" + str(value).encode()


async def table_checksum(db: Executor, table: Table, columns: Sequence[str], types: dict[str, str],
                         batch_size: int = 2000) -> tuple[int, str]:
    """(rows, checksum) of a table: the sum of per-row SHA-256 prefixes, so row order does not matter."""
    total, rows_seen = 0, 0
    kinds = [types.get(c, "") for c in columns]
    async for rows in iterate_rows(db, table, columns, batch_size):
        for row in rows:
            digest = hashlib.sha256(b"\x1f".join(_cell(v, k) for v, k in zip(row, kinds, strict=True))).digest()
            total = (total + int.from_bytes(digest[:8], "big")) % (1 << 64)
            rows_seen += 1
    return rows_seen, f"{total:016x}"


async def verify(source: Database, target: Database, *, batch_size: int = 2000) -> list[TableCheck]:
    """Row counts and checksums of every table on both sides (the target's column types decide how
    values compare)."""
    src, dst = await describe(source), await describe(target)
    checks = []
    for name in sorted(set(src) | set(dst)):
        if name not in src or name not in dst:
            checks.append(TableCheck(name, -1 if name not in src else 0, -1 if name not in dst else 0, "", ""))
            continue
        # The target ran its own migrations: the same versions, applied at another time.
        columns = ["name", "version"] if name in SKIPPED else sorted(src[name].columns)
        types = dst[name].types
        s_rows, s_sum = await table_checksum(source, src[name], columns, types, batch_size)
        t_rows, t_sum = await table_checksum(target, dst[name], columns, types, batch_size)
        checks.append(TableCheck(name, s_rows, t_rows, s_sum, t_sum))
    return checks
