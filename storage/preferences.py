"""Per-account preferences (default visibility, language, media display…), as small JSON values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .db import Executor


async def get_all(db: Executor, account_id: int) -> dict[str, Any]:
    rows = await db.fetchall("SELECT key, value FROM account_preferences WHERE account_id = ?", (account_id,))
    return {r["key"]: json.loads(r["value"]) for r in rows}


async def set_many(db: Executor, account_id: int, values: Mapping[str, Any]) -> None:
    await db.executemany(
        "INSERT INTO account_preferences (account_id, key, value) VALUES (?, ?, ?)"
        " ON CONFLICT (account_id, key) DO UPDATE SET value = excluded.value",
        [(account_id, key, json.dumps(value)) for key, value in values.items()],
    )
