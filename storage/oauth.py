"""OAuth 2 applications, authorization codes and tokens. Secrets are stored only as SHA-256 hashes:
a leaked database does not hand out working tokens."""

from __future__ import annotations

from collections.abc import Sequence

from .db import Executor, Row
from .ids import new_id, now_ms

TOKEN_COLUMNS = "t.id, t.app_id, t.account_id, t.scopes, t.created_at, t.expires_at, t.last_used_at, t.revoked_at"
# How stale `last_used_at` may get before a request refreshes it (one write a minute, not one a request).
TOUCH_EVERY_MS = 60_000


async def create_app(
    db: Executor,
    *,
    client_id: str,
    client_secret_hash: str,
    name: str,
    website: str | None,
    redirect_uris: Sequence[str],
    scopes: str,
    owner_account_id: int | None = None,
) -> int:
    app_id = new_id()
    await db.execute(
        "INSERT INTO oauth_apps (id, client_id, client_secret_hash, name, website, redirect_uris, scopes,"
        " owner_account_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (app_id, client_id, client_secret_hash, name, website, "\n".join(redirect_uris), scopes, owner_account_id,
         now_ms()),
    )
    return app_id


async def get_app(db: Executor, app_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM oauth_apps WHERE id = ?", (app_id,))


async def get_app_by_client_id(db: Executor, client_id: str) -> Row | None:
    return await db.fetchone("SELECT * FROM oauth_apps WHERE client_id = ?", (client_id,))


async def create_code(
    db: Executor,
    *,
    code_hash: str,
    app_id: int,
    account_id: int,
    scopes: str,
    redirect_uri: str,
    code_challenge: str | None,
    code_challenge_method: str | None,
    expires_at: int,
) -> None:
    await db.execute(
        "INSERT INTO oauth_codes (code_hash, app_id, account_id, scopes, redirect_uri, code_challenge,"
        " code_challenge_method, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (code_hash, app_id, account_id, scopes, redirect_uri, code_challenge, code_challenge_method, expires_at),
    )


async def consume_code(tx: Executor, code_hash: str) -> Row | None:
    """Mark an unexpired, unused code as used and return it; None if it cannot be used (any more)."""
    now = now_ms()
    changed = await tx.execute(
        "UPDATE oauth_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?",
        (now, code_hash, now),
    )
    if changed != 1:
        return None
    return await tx.fetchone("SELECT * FROM oauth_codes WHERE code_hash = ?", (code_hash,))


async def purge_codes(db: Executor, *, older_than_ms: int) -> int:
    return await db.execute("DELETE FROM oauth_codes WHERE expires_at < ?", (older_than_ms,))


async def create_token(
    db: Executor,
    *,
    token_hash: str,
    refresh_hash: str | None,
    app_id: int | None,
    account_id: int | None,
    scopes: str,
    expires_at: int | None = None,
) -> int:
    token_id = new_id()
    await db.execute(
        "INSERT INTO oauth_tokens (id, token_hash, refresh_hash, app_id, account_id, scopes, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (token_id, token_hash, refresh_hash, app_id, account_id, scopes, now_ms(), expires_at),
    )
    return token_id


async def get_token(db: Executor, token_hash: str) -> Row | None:
    """A token by the hash of its secret, with its user's role and disabled flag (NULL for app tokens)."""
    return await db.fetchone(
        f"SELECT {TOKEN_COLUMNS}, u.role, u.disabled FROM oauth_tokens t"
        " LEFT JOIN users u ON u.account_id = t.account_id WHERE t.token_hash = ?",
        (token_hash,),
    )


async def get_token_by_refresh(db: Executor, refresh_hash: str) -> Row | None:
    return await db.fetchone(f"SELECT {TOKEN_COLUMNS} FROM oauth_tokens t WHERE t.refresh_hash = ?", (refresh_hash,))


async def touch(db: Executor, token: Row) -> None:
    now = now_ms()
    if token["last_used_at"] is None or now - int(token["last_used_at"]) > TOUCH_EVERY_MS:
        await db.execute("UPDATE oauth_tokens SET last_used_at = ? WHERE id = ?", (now, token["id"]))


async def revoke(db: Executor, token_id: int) -> bool:
    changed = await db.execute(
        "UPDATE oauth_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (now_ms(), token_id)
    )
    return changed == 1


async def revoke_by_secret(db: Executor, app_id: int, secret_hash: str) -> bool:
    """Revoke the app's token whose access or refresh secret hashes to `secret_hash` (RFC 7009)."""
    changed = await db.execute(
        "UPDATE oauth_tokens SET revoked_at = ? WHERE app_id = ? AND revoked_at IS NULL"
        " AND (token_hash = ? OR refresh_hash = ?)",
        (now_ms(), app_id, secret_hash, secret_hash),
    )
    return changed > 0


async def revoke_app_for_account(db: Executor, account_id: int, app_id: int) -> int:
    """Withdraw an app's access to an account (the "authorized apps" settings page)."""
    return await db.execute(
        "UPDATE oauth_tokens SET revoked_at = ? WHERE account_id = ? AND app_id = ? AND revoked_at IS NULL",
        (now_ms(), account_id, app_id),
    )


async def revoke_all_for_account(db: Executor, account_id: int) -> int:
    """Sign an account out of every app (suspension, password change)."""
    return await db.execute(
        "UPDATE oauth_tokens SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL", (now_ms(), account_id)
    )


async def authorizations(db: Executor, account_id: int) -> list[Row]:
    """Apps holding a live token for the account, with their scopes and last use."""
    return await db.fetchall(
        "SELECT a.id AS app_id, a.name, a.website, t.id AS token_id, t.scopes, t.created_at, t.last_used_at"
        " FROM oauth_tokens t JOIN oauth_apps a ON a.id = t.app_id"
        " WHERE t.account_id = ? AND t.revoked_at IS NULL ORDER BY t.id DESC",
        (account_id,),
    )
