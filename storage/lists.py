"""Lists: an employee's own groupings of the accounts they follow, each with its own timeline."""

from __future__ import annotations

from collections.abc import Sequence

from .db import Executor, Row
from .ids import new_id, now_ms
from .pagination import Page

REPLIES_POLICIES = ("followed", "list", "none")
MAX_LISTS = 50


async def create(db: Executor, account_id: int, title: str, *, replies_policy: str = "list", exclusive: bool = False) -> int:
    list_id = new_id()
    await db.execute(
        "INSERT INTO lists (id, account_id, title, replies_policy, exclusive, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (list_id, account_id, title, replies_policy, int(exclusive), now_ms()),
    )
    return list_id


async def count(db: Executor, account_id: int) -> int:
    return int(await db.fetchval("SELECT COUNT(*) FROM lists WHERE account_id = ?", (account_id,)) or 0)


async def get(db: Executor, account_id: int, list_id: int) -> Row | None:
    """A list, only if `account_id` owns it."""
    return await db.fetchone("SELECT * FROM lists WHERE id = ? AND account_id = ?", (list_id, account_id))


async def of_account(db: Executor, account_id: int) -> list[Row]:
    return await db.fetchall("SELECT * FROM lists WHERE account_id = ? ORDER BY lower(title), id", (account_id,))


async def update(
    db: Executor, list_id: int, *, title: str | None, replies_policy: str | None, exclusive: bool | None
) -> None:
    if title is not None:
        await db.execute("UPDATE lists SET title = ? WHERE id = ?", (title, list_id))
    if replies_policy is not None:
        await db.execute("UPDATE lists SET replies_policy = ? WHERE id = ?", (replies_policy, list_id))
    if exclusive is not None:
        await db.execute("UPDATE lists SET exclusive = ? WHERE id = ?", (int(exclusive), list_id))


async def delete(db: Executor, list_id: int) -> None:
    await db.execute("DELETE FROM lists WHERE id = ?", (list_id,))


async def add_accounts(db: Executor, list_id: int, account_ids: Sequence[int]) -> None:
    await db.executemany(
        "INSERT INTO list_accounts (list_id, account_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(list_id, a) for a in dict.fromkeys(account_ids)],
    )


async def remove_accounts(db: Executor, list_id: int, account_ids: Sequence[int]) -> None:
    await db.executemany(
        "DELETE FROM list_accounts WHERE list_id = ? AND account_id = ?", [(list_id, a) for a in account_ids]
    )


async def members(db: Executor, list_id: int, page: Page) -> list[int]:
    """Account ids in a list (cursor: the account id)."""
    cursor, params, direction = page.clause("account_id")
    where = "list_id = ?" + (f" AND {cursor}" if cursor else "")
    rows = await db.fetchall(
        f"SELECT account_id FROM list_accounts WHERE {where} ORDER BY account_id {direction} LIMIT ?",
        (list_id, *params, page.limit),
    )
    return [int(r["account_id"]) for r in page.finish(rows)]


async def containing(db: Executor, owner_id: int, account_id: int) -> list[Row]:
    """The owner's lists that include `account_id`."""
    return await db.fetchall(
        "SELECT l.* FROM lists l JOIN list_accounts la ON la.list_id = l.id"
        " WHERE l.account_id = ? AND la.account_id = ? ORDER BY lower(l.title), l.id",
        (owner_id, account_id),
    )


async def lists_with_member(db: Executor, author_id: int, list_ids: Sequence[int]) -> set[int]:
    """Which of `list_ids` include `author_id` (the streaming fan-out's question)."""
    if not list_ids:
        return set()
    marks = ",".join("?" * len(list_ids))
    rows = await db.fetchall(
        f"SELECT list_id FROM list_accounts WHERE account_id = ? AND list_id IN ({marks})", (author_id, *list_ids)
    )
    return {int(r["list_id"]) for r in rows}


async def timeline(db: Executor, owner_id: int, list_id: int, page: Page) -> list[int]:
    """Status ids of a list's timeline: the owner's home feed, narrowed to the list's members."""
    cursor, params, direction = page.clause("hf.status_id")
    where = "hf.account_id = ? AND la.list_id = ?" + (f" AND {cursor}" if cursor else "")
    rows = await db.fetchall(
        "SELECT hf.status_id FROM home_feed hf JOIN list_accounts la ON la.account_id = hf.author_id"
        f" WHERE {where} ORDER BY hf.status_id {direction} LIMIT ?",
        (owner_id, list_id, *params, page.limit),
    )
    return [int(r["status_id"]) for r in page.finish(rows)]
