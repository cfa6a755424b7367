"""Hashtags by name (names are stored normalised: NFKC, casefolded)."""

from __future__ import annotations

from collections.abc import Sequence

from .db import Executor, Row


async def get(db: Executor, name: str) -> Row | None:
    return await db.fetchone("SELECT * FROM tags WHERE name = ?", (name,))


async def get_many(db: Executor, names: Sequence[str]) -> dict[str, Row]:
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return {}
    marks = ",".join("?" * len(wanted))
    rows = await db.fetchall(f"SELECT * FROM tags WHERE name IN ({marks})", wanted)
    return {r["name"]: r for r in rows}
