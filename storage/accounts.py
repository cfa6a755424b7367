"""Accounts: local employees and the remote actors we know, in one table; users hold local logins."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .db import Executor, Row, row_values
from .ids import new_id, now_ms

ACCOUNT_COLUMNS = (
    "id, uri, username, domain, actor_type, display_name, note, note_source, url, inbox_url, "
    "shared_inbox_url, outbox_url, followers_url, following_url, featured_url, public_key_id, "
    "public_key_pem, avatar_path, avatar_remote_url, header_path, header_remote_url, locked, "
    "discoverable, bot, fields, department, title, manager_id, manager_uri, location, pronouns, "
    "also_known_as, moved_to_id, suspended_at, silenced_at, followers_count, following_count, "
    "statuses_count, last_status_at, created_at, updated_at, fetched_at"
)
# What an account shows to readers (the client API's Account entity, a post's author and mentions):
# no keys, inboxes or collections. A page of 40 posts reads its authors with these, in about half
# the time of ACCOUNT_COLUMNS (the public key alone is ~450 bytes a row).
DISPLAY_COLUMNS = (
    "id, uri, username, domain, actor_type, display_name, note, url, avatar_path, avatar_remote_url, "
    "header_path, header_remote_url, locked, discoverable, bot, fields, department, title, manager_id, "
    "location, pronouns, moved_to_id, suspended_at, silenced_at, followers_count, following_count, "
    "statuses_count, last_status_at, created_at"
)
_DISPLAY_NAMES = tuple(DISPLAY_COLUMNS.split(", "))


def display_values(row: Row) -> tuple[Any, ...]:
    """The DISPLAY_COLUMNS values of an account row read with these or with ACCOUNT_COLUMNS, for
    caches of what readers see: the same account gives the same tuple whichever way it was read."""
    if len(row) == len(_DISPLAY_NAMES):
        return row_values(row)
    return tuple(row[name] for name in _DISPLAY_NAMES)

# Columns a remote actor document may set (everything else is ours).
REMOTE_FIELDS = (
    "username", "actor_type", "display_name", "note", "url", "inbox_url", "shared_inbox_url",
    "outbox_url", "followers_url", "following_url", "featured_url", "public_key_id", "public_key_pem",
    "avatar_remote_url", "header_remote_url", "locked", "discoverable", "bot", "fields", "department",
    "title", "manager_uri", "location", "pronouns", "also_known_as",
)

# Columns a local user may edit in their profile.
PROFILE_FIELDS = (
    "display_name", "note", "note_source", "locked", "discoverable", "bot", "fields", "department",
    "title", "manager_id", "location", "pronouns", "avatar_path", "header_path",
)


@dataclass(frozen=True)
class NewLocalAccount:
    """What it takes to create an employee's account (URLs are derived by the caller)."""

    username: str
    uri: str
    url: str
    inbox_url: str
    outbox_url: str
    followers_url: str
    following_url: str
    featured_url: str
    shared_inbox_url: str
    public_key_pem: str
    private_key_pem: str
    display_name: str = ""
    actor_type: str = "Person"
    department: str | None = None
    title: str | None = None
    manager_id: int | None = None
    location: str | None = None
    pronouns: str | None = None
    locked: bool = False
    bot: bool = False
    discoverable: bool = True


async def create_local_account(db: Executor, new: NewLocalAccount, *, account_id: int | None = None) -> int:
    account_id = account_id or new_id()
    now = now_ms()
    await db.execute(
        "INSERT INTO accounts (id, uri, username, domain, actor_type, display_name, url, inbox_url, outbox_url,"
        " followers_url, following_url, featured_url, shared_inbox_url, public_key_id, public_key_pem,"
        " private_key_pem, department, title, manager_id, location, pronouns, locked, bot, discoverable,"
        " created_at, updated_at)"
        " VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            account_id, new.uri, new.username, new.actor_type, new.display_name, new.url, new.inbox_url,
            new.outbox_url, new.followers_url, new.following_url, new.featured_url, new.shared_inbox_url,
            new.uri + "#main-key", new.public_key_pem, new.private_key_pem, new.department, new.title,
            new.manager_id, new.location, new.pronouns, int(new.locked), int(new.bot), int(new.discoverable),
            now, now,
        ),
    )
    return account_id


async def get(db: Executor, account_id: int) -> Row | None:
    return await db.fetchone(f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?", (account_id,))


async def get_many(db: Executor, account_ids: Iterable[int], *, columns: str = ACCOUNT_COLUMNS) -> dict[int, Row]:
    """Accounts by id; `columns=DISPLAY_COLUMNS` for rows that are only shown."""
    ids = list({int(i) for i in account_ids if i is not None})
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = await db.fetchall(f"SELECT {columns} FROM accounts WHERE id IN ({marks})", ids)
    return {int(r["id"]): r for r in rows}


async def get_by_uri(db: Executor, uri: str) -> Row | None:
    return await db.fetchone(f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE uri = ?", (uri,))


async def get_by_key_id(db: Executor, key_id: str) -> Row | None:
    return await db.fetchone(f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE public_key_id = ?", (key_id,))


async def get_local_by_username(db: Executor, username: str) -> Row | None:
    return await db.fetchone(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE lower(username) = lower(?) AND COALESCE(domain, '') = ''",
        (username,),
    )


async def get_by_handle(db: Executor, username: str, domain: str | None) -> Row | None:
    """An account by `username` and `domain` (None or our own domain: local)."""
    return await db.fetchone(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE lower(username) = lower(?) AND COALESCE(domain, '') = ?",
        (username, (domain or "").lower()),
    )


async def get_private_key(db: Executor, account_id: int) -> tuple[str, str] | None:
    """(key id, private key PEM) of a local account."""
    row = await db.fetchone(
        "SELECT public_key_id, private_key_pem FROM accounts WHERE id = ? AND private_key_pem IS NOT NULL",
        (account_id,),
    )
    return None if row is None else (row["public_key_id"], row["private_key_pem"])


async def upsert_remote(db: Executor, uri: str, domain: str, values: dict[str, Any]) -> int:
    """Insert or refresh a remote actor from its parsed document; returns its id."""
    now = now_ms()
    cols = [c for c in REMOTE_FIELDS if c in values]
    data = [_encode(c, values[c]) for c in cols]
    existing = await db.fetchone("SELECT id FROM accounts WHERE uri = ?", (uri,))
    if existing:
        sets = ", ".join(f"{c} = ?" for c in cols)
        await db.execute(
            f"UPDATE accounts SET {sets}, updated_at = ?, fetched_at = ? WHERE id = ?",
            (*data, now, now, existing["id"]),
        )
        return int(existing["id"])
    account_id = new_id()
    names = ", ".join(cols)
    marks = ", ".join("?" * len(cols))
    await db.execute(
        f"INSERT INTO accounts (id, uri, domain, {names}, created_at, updated_at, fetched_at)"
        f" VALUES (?, ?, ?, {marks}, ?, ?, ?)",
        (account_id, uri, domain, *data, now, now, now),
    )
    return account_id


def _encode(column: str, value: Any) -> Any:
    if column in ("fields", "also_known_as") and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    return value


async def update_profile(db: Executor, account_id: int, values: dict[str, Any]) -> None:
    cols = [c for c in PROFILE_FIELDS if c in values]
    if not cols:
        return
    sets = ", ".join(f"{c} = ?" for c in cols)
    await db.execute(
        f"UPDATE accounts SET {sets}, updated_at = ? WHERE id = ?",
        (*[_encode(c, values[c]) for c in cols], now_ms(), account_id),
    )


async def set_moved_to(db: Executor, account_id: int, target_id: int) -> None:
    await db.execute("UPDATE accounts SET moved_to_id = ?, updated_at = ? WHERE id = ?", (target_id, now_ms(), account_id))


async def set_suspended(db: Executor, account_id: int, suspended: bool) -> None:
    await db.execute(
        "UPDATE accounts SET suspended_at = ? WHERE id = ?", (now_ms() if suspended else None, account_id)
    )


async def set_silenced(db: Executor, account_id: int, silenced: bool) -> None:
    await db.execute(
        "UPDATE accounts SET silenced_at = ? WHERE id = ?", (now_ms() if silenced else None, account_id)
    )


async def delete(db: Executor, account_id: int) -> None:
    await db.execute("DELETE FROM accounts WHERE id = ?", (account_id,))


async def list_local(db: Executor, *, limit: int = 1000, after_id: int = 0) -> list[Row]:
    return await db.fetchall(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE domain IS NULL AND id > ? AND actor_type <> 'Application'"
        " ORDER BY id LIMIT ?",
        (after_id, limit),
    )


async def count_local(db: Executor) -> int:
    return int(
        await db.fetchval(
            "SELECT COUNT(*) FROM accounts a JOIN users u ON u.account_id = a.id WHERE a.suspended_at IS NULL"
        )
        or 0
    )


async def search(db: Executor, query: str, *, limit: int = 40, local_only: bool = False) -> list[Row]:
    """People by handle, name, department or title (the directory search)."""
    pattern = "%" + query.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
    local = "AND domain IS NULL " if local_only else ""
    return await db.fetchall(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE suspended_at IS NULL AND actor_type <> 'Application' {local}"
        " AND (lower(username) LIKE ? OR lower(display_name) LIKE ? OR lower(COALESCE(department, '')) LIKE ?"
        " OR lower(COALESCE(title, '')) LIKE ?)"
        " ORDER BY (domain IS NULL) DESC, followers_count DESC, id LIMIT ?",
        (pattern, pattern, pattern, pattern, limit),
    )


async def directory(
    db: Executor, *, local_only: bool, limit: int, offset: int, order: str = "active", department: str | None = None
) -> list[Row]:
    """The people directory (discoverable accounts)."""
    order_by = "last_status_at DESC" if order == "active" else "id DESC"
    conditions = ["suspended_at IS NULL", "discoverable = 1", "actor_type IN ('Person', 'Service')"]
    params: list[Any] = []
    if local_only:
        conditions.append("domain IS NULL")
    if department:
        conditions.append("lower(department) = lower(?)")
        params.append(department)
    return await db.fetchall(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {' AND '.join(conditions)}"
        f" ORDER BY {order_by}, id DESC LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )


async def reports_to(db: Executor, manager_id: int) -> list[Row]:
    """Direct reports of a manager (the org chart, one level)."""
    return await db.fetchall(
        f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE manager_id = ? AND suspended_at IS NULL ORDER BY display_name",
        (manager_id,),
    )


async def bump_counter(db: Executor, account_id: int, column: str, delta: int) -> None:
    if column not in ("followers_count", "following_count", "statuses_count"):
        raise ValueError(column)
    await db.execute(
        f"UPDATE accounts SET {column} = MAX({column} + ?, 0) WHERE id = ?"
        if db.dialect == "sqlite"
        else f"UPDATE accounts SET {column} = GREATEST({column} + ?, 0) WHERE id = ?",
        (delta, account_id),
    )


async def refresh_counters(db: Executor, account_ids: Sequence[int]) -> None:
    """Recompute follower/following/status counts from the rows (authoritative, used after bulk changes)."""
    for account_id in account_ids:
        await db.execute(
            "UPDATE accounts SET"
            " followers_count = (SELECT COUNT(*) FROM follows WHERE target_account_id = ? AND state = 'accepted'),"
            " following_count = (SELECT COUNT(*) FROM follows WHERE account_id = ? AND state = 'accepted'),"
            " statuses_count = (SELECT COUNT(*) FROM statuses WHERE account_id = ? AND reblog_of_id IS NULL)"
            " WHERE id = ?",
            (account_id, account_id, account_id, account_id),
        )


# --- users (local logins) -----------------------------------------------------------------------

async def create_user(
    db: Executor,
    account_id: int,
    *,
    password_hash: str | None,
    role: str = "user",
    email: str | None = None,
    must_change_password: bool = False,
    invite_id: int | None = None,
) -> int:
    user_id = new_id()
    await db.execute(
        "INSERT INTO users (id, account_id, email, password_hash, role, must_change_password, invite_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (user_id, account_id, email, password_hash, role, int(must_change_password), invite_id, now_ms()),
    )
    return user_id


async def get_user_by_account(db: Executor, account_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM users WHERE account_id = ?", (account_id,))


async def set_password(db: Executor, account_id: int, password_hash: str, *, must_change: bool = False) -> None:
    await db.execute(
        "UPDATE users SET password_hash = ?, must_change_password = ? WHERE account_id = ?",
        (password_hash, int(must_change), account_id),
    )


async def set_locale(db: Executor, account_id: int, locale: str | None) -> None:
    await db.execute("UPDATE users SET locale = ? WHERE account_id = ?", (locale, account_id))


async def set_role(db: Executor, account_id: int, role: str) -> None:
    await db.execute("UPDATE users SET role = ? WHERE account_id = ?", (role, account_id))


async def touch_sign_in(db: Executor, account_id: int) -> None:
    await db.execute("UPDATE users SET last_sign_in_at = ? WHERE account_id = ?", (now_ms(), account_id))


async def list_users(db: Executor) -> list[Row]:
    return await db.fetchall(
        "SELECT a.id, a.username, a.display_name, a.department, a.title, a.manager_id, a.suspended_at,"
        " u.role, u.email, u.created_at, u.last_sign_in_at FROM users u JOIN accounts a ON a.id = u.account_id"
        " ORDER BY a.id"
    )


async def count_admins(db: Executor) -> int:
    return int(await db.fetchval("SELECT COUNT(*) FROM users WHERE role = 'admin'") or 0)


# --- invites ------------------------------------------------------------------------------------

async def create_invite(
    db: Executor, code: str, *, created_by_id: int | None, max_uses: int | None, expires_at: int | None
) -> int:
    invite_id = new_id()
    await db.execute(
        "INSERT INTO invites (id, code, created_by_id, max_uses, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (invite_id, code, created_by_id, max_uses, expires_at, now_ms()),
    )
    return invite_id


async def get_usable_invite(db: Executor, code: str) -> Row | None:
    return await db.fetchone(
        "SELECT * FROM invites WHERE code = ? AND (max_uses IS NULL OR uses < max_uses)"
        " AND (expires_at IS NULL OR expires_at > ?)",
        (code, now_ms()),
    )


async def use_invite(db: Executor, invite_id: int) -> bool:
    """Count one use; False when the invite ran out in the meantime."""
    changed = await db.execute(
        "UPDATE invites SET uses = uses + 1 WHERE id = ? AND (max_uses IS NULL OR uses < max_uses)", (invite_id,)
    )
    return changed == 1


async def list_invites(db: Executor) -> list[Row]:
    return await db.fetchall("SELECT * FROM invites ORDER BY id DESC")
