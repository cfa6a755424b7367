"""Browser sessions (`web_sessions`): hashed tokens with user agent, IP and last-seen time."""

from __future__ import annotations

from .db import Executor, Row
from .ids import new_id, now_ms

# The session row, its user's login flags and locale, in one query per request.
_SESSION_SQL = (
    "SELECT s.id, s.account_id, s.user_agent, s.ip, s.created_at, s.last_seen_at,"
    " u.role, u.locale, u.must_change_password, u.disabled"
    " FROM web_sessions s JOIN users u ON u.account_id = s.account_id"
    " JOIN accounts a ON a.id = s.account_id"
    " WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.last_seen_at > ? AND a.suspended_at IS NULL"
    " AND u.disabled = 0"
)


async def create(db: Executor, *, token_hash: str, account_id: int, user_agent: str, ip: str) -> int:
    session_id = new_id()
    now = now_ms()
    await db.execute(
        "INSERT INTO web_sessions (id, token_hash, account_id, user_agent, ip, created_at, last_seen_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (session_id, token_hash, account_id, user_agent[:300], ip[:64], now, now),
    )
    return session_id


async def get_active(db: Executor, token_hash: str, *, idle_ms: int) -> Row | None:
    """The live session with this token hash: not revoked, used within `idle_ms`, and whose account
    is neither suspended nor disabled."""
    return await db.fetchone(_SESSION_SQL, (token_hash, now_ms() - idle_ms))


async def touch(db: Executor, session_id: int, *, ip: str, user_agent: str) -> None:
    await db.execute(
        "UPDATE web_sessions SET last_seen_at = ?, ip = ?, user_agent = ? WHERE id = ?",
        (now_ms(), ip[:64], user_agent[:300], session_id),
    )


async def list_for(db: Executor, account_id: int, *, idle_ms: int) -> list[Row]:
    """An account's live sessions, most recently seen first."""
    return await db.fetchall(
        "SELECT id, user_agent, ip, created_at, last_seen_at FROM web_sessions"
        " WHERE account_id = ? AND revoked_at IS NULL AND last_seen_at > ?"
        " ORDER BY last_seen_at DESC, id DESC LIMIT 100",
        (account_id, now_ms() - idle_ms),
    )


async def revoke(db: Executor, account_id: int, session_id: int) -> bool:
    """Revoke one of an account's sessions; False when it is not theirs or already revoked."""
    changed = await db.execute(
        "UPDATE web_sessions SET revoked_at = ? WHERE id = ? AND account_id = ? AND revoked_at IS NULL",
        (now_ms(), session_id, account_id),
    )
    return changed == 1


async def revoke_others(db: Executor, account_id: int, keep_session_id: int | None) -> int:
    """Revoke every session of an account but one (after a password change)."""
    return await db.execute(
        "UPDATE web_sessions SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL AND id <> ?",
        (now_ms(), account_id, keep_session_id or 0),
    )
