"""A Database, or one of its transactions, that records the statements sent through it (each is a
thread hop on SQLite, a round trip on PostgreSQL): for tests that pin how many a path makes."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any


class Counting:
    """Wraps `inner`; appends the first three words of every statement to `sent`."""

    def __init__(self, inner: Any, sent: list[str]) -> None:
        self._inner, self._sent = inner, sent
        self.dialect = inner.dialect

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._inner, name)
        if name in ("fetchall", "fetchone", "fetchval", "execute", "executemany"):
            async def counted(sql: str, *args: Any) -> Any:
                self._sent.append(" ".join(sql.split()[:3]))
                return await real(sql, *args)
            return counted
        return real

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Counting]:
        async with self._inner.transaction() as tx:
            yield Counting(tx, self._sent)
