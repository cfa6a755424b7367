"""Usage figures for the instance description apps show (cheap enough to compute once a minute)."""

from __future__ import annotations

from .adoption import day_of
from .db import Executor
from .ids import now_ms


async def known_domains(db: Executor) -> int:
    return int(await db.fetchval("SELECT COUNT(DISTINCT domain) FROM accounts WHERE domain IS NOT NULL") or 0)


async def active_people(db: Executor, *, days: int = 30) -> int:
    """Local people who posted, read or reacted in the last `days` days."""
    first = day_of(now_ms() - days * 86_400_000)
    return int(await db.fetchval("SELECT COUNT(DISTINCT account_id) FROM activity_days WHERE day >= ?", (first,)) or 0)
