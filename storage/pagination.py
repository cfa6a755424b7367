"""Id-cursor pagination (`max_id`, `since_id`, `min_id`, `limit`) as Mastodon defines it; never OFFSET.

`max_id` returns items older than the cursor, newest first; `since_id` items newer than it, newest
first; `min_id` the items immediately newer than it (oldest first internally, returned newest first),
which is how clients catch up on a gap without skipping anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_LIMIT = 40
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class Page:
    """Cursor arguments, already validated."""

    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = DEFAULT_LIMIT

    def clause(self, column: str) -> tuple[str, list[Any], str]:
        """SQL conditions (joined with AND, may be empty), their params, and the ORDER BY direction."""
        conditions: list[str] = []
        params: list[Any] = []
        if self.max_id is not None:
            conditions.append(f"{column} < ?")
            params.append(self.max_id)
        if self.since_id is not None:
            conditions.append(f"{column} > ?")
            params.append(self.since_id)
        if self.min_id is not None:
            conditions.append(f"{column} > ?")
            params.append(self.min_id)
        direction = "ASC" if self.min_id is not None else "DESC"
        return (" AND ".join(conditions), params, direction)

    def finish(self, rows: list[Any]) -> list[Any]:
        """Rows in newest-first order whatever direction they were fetched in."""
        return list(reversed(rows)) if self.min_id is not None else rows


def parse_page(params: dict[str, Any], *, max_limit: int = MAX_LIMIT, default: int = DEFAULT_LIMIT) -> Page:
    """Build a Page from query parameters; invalid numbers raise ValueError with the parameter's name."""

    def cursor(name: str) -> int | None:
        value = params.get(name)
        if value in (None, ""):
            return None
        try:
            number = int(str(value))
        except ValueError:
            raise ValueError(f"{name} must be an id") from None
        if not 0 <= number < 2**63:
            raise ValueError(f"{name} is out of range")
        return number

    raw_limit = params.get("limit")
    if raw_limit in (None, ""):
        limit = default
    else:
        try:
            limit = int(str(raw_limit))
        except ValueError:
            raise ValueError("limit must be a number") from None
    limit = max(1, min(limit, max_limit))
    return Page(cursor("max_id"), cursor("since_id"), cursor("min_id"), limit)


async def fetch_page(db: Any, select: str, where: str, params: tuple[Any, ...] | list[Any], page: Page,
                     column: str = "id") -> list[Any]:
    """`select … WHERE where` one page at a time by `column`, newest first (the shape of every list
    query: followers, blocks, favourites, bookmarks…)."""
    cursor, cursor_params, direction = page.clause(column)
    condition = where + (f" AND {cursor}" if cursor else "")
    rows = await db.fetchall(
        f"{select} WHERE {condition} ORDER BY {column} {direction} LIMIT ?", (*params, *cursor_params, page.limit)
    )
    return page.finish(rows)
