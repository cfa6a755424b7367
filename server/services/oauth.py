"""OAuth 2 for client apps: registering apps, authorization codes (with PKCE S256), tokens.

Mastodon's flows as of 4.4: authorization_code (PKCE optional, S256 only), client_credentials and
refresh_token; the password grant is gone (Mastodon removed it in 4.4), so it is refused here too.
Secrets (client secrets, codes, access and refresh tokens) are random 256-bit values stored only
as SHA-256 hashes. Codes live ten minutes and work once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from storage import oauth as oauth_store
from storage.db import Row
from storage.ids import now_ms

from ..context import Context
from ..oauth import scopes as scope_model

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_TTL_MS = 10 * 60_000
MAX_REDIRECT_URIS = 10
MAX_REDIRECT_URI_LENGTH = 2000
# Schemes a browser would run or read locally instead of handing the code to an app.
_FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "about", "blob"})
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")


class OAuthError(Exception):
    """An RFC 6749 error: `error` code, description for people, HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class Grant:
    access_token: str
    refresh_token: str | None
    scopes: list[str]
    created_at: int   # seconds since the epoch, as Doorkeeper answers


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def valid_redirect_uri(uri: str) -> bool:
    """Absolute, no fragment, not a scheme that would run in the browser; or the out-of-band URN."""
    if uri == OOB:
        return True
    if len(uri) > MAX_REDIRECT_URI_LENGTH or any(ch.isspace() or ord(ch) < 0x20 for ch in uri):
        return False
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme) or scheme in _FORBIDDEN_SCHEMES or parts.fragment:
        return False
    if scheme in ("http", "https"):
        return bool(parts.netloc)
    return bool(parts.netloc or parts.path)


def split_redirect_uris(value: str | Sequence[str]) -> list[str]:
    items = value.splitlines() if isinstance(value, str) else [str(v) for v in value]
    return list(dict.fromkeys(u.strip() for u in items if u.strip()))


async def register_app(
    ctx: Context, *, name: str, redirect_uris: Sequence[str], scopes: Sequence[str], website: str | None,
    owner_account_id: int | None = None,
) -> tuple[Row, str]:
    """Create an app; returns its row and its client secret (shown once, stored hashed)."""
    secret = new_secret()
    app_id = await oauth_store.create_app(
        ctx.db, client_id=secrets.token_urlsafe(32), client_secret_hash=hash_secret(secret), name=name,
        website=website, redirect_uris=redirect_uris, scopes=" ".join(scopes), owner_account_id=owner_account_id,
    )
    app = await oauth_store.get_app(ctx.db, app_id)
    assert app is not None
    return app, secret


def redirect_uris_of(app: Row) -> list[str]:
    return [u for u in (app["redirect_uris"] or "").split("\n") if u]


def check_client_secret(app: Row, secret: str | None) -> bool:
    if not secret:
        return False
    return hmac.compare_digest(hash_secret(secret), app["client_secret_hash"])


async def authenticate_client(ctx: Context, client_id: str | None, client_secret: str | None) -> Row:
    app = await oauth_store.get_app_by_client_id(ctx.db, client_id or "") if client_id else None
    if app is None or not check_client_secret(app, client_secret):
        raise OAuthError("invalid_client", "Client authentication failed due to unknown client, no client"
                         " authentication included, or unsupported authentication method.", 401)
    return app


def requested_scopes(app: Row, scope: str | None) -> list[str]:
    """The scopes asked for (default: the app's own), which the app must have registered."""
    try:
        wanted = scope_model.parse(scope, default=app["scopes"])
    except scope_model.InvalidScope:
        raise OAuthError("invalid_scope", "The requested scope is invalid, unknown, or malformed.") from None
    if not scope_model.is_subset(wanted, app["scopes"].split()):
        raise OAuthError("invalid_scope", "The requested scope is invalid, unknown, or malformed.")
    return wanted


def check_challenge(challenge: str | None, method: str | None) -> None:
    if challenge is None:
        if method:
            raise OAuthError("invalid_request", "code_challenge_method needs a code_challenge.")
        return
    if (method or "plain") != "S256":
        raise OAuthError("invalid_request", "Only the S256 code challenge method is supported.")
    if not _CHALLENGE.match(challenge):
        raise OAuthError("invalid_request", "The code challenge is malformed.")


async def issue_code(
    ctx: Context, app: Row, account_id: int, scopes: Sequence[str], redirect_uri: str,
    challenge: str | None, method: str | None,
) -> str:
    code = new_secret()
    await oauth_store.create_code(
        ctx.db, code_hash=hash_secret(code), app_id=int(app["id"]), account_id=account_id, scopes=" ".join(scopes),
        redirect_uri=redirect_uri, code_challenge=challenge, code_challenge_method="S256" if challenge else None,
        expires_at=now_ms() + CODE_TTL_MS,
    )
    return code


def _pkce_matches(challenge: str, verifier: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return hmac.compare_digest(computed, challenge)


async def _new_token(ctx: Context, app_id: int | None, account_id: int | None, scopes: Sequence[str],
                     *, refreshable: bool) -> Grant:
    access, refresh = new_secret(), (new_secret() if refreshable else None)
    await oauth_store.create_token(
        ctx.db, token_hash=hash_secret(access), refresh_hash=hash_secret(refresh) if refresh else None,
        app_id=app_id, account_id=account_id, scopes=" ".join(scopes),
    )
    return Grant(access, refresh, list(scopes), now_ms() // 1000)


async def exchange_code(
    ctx: Context, *, client_id: str | None, client_secret: str | None, code: str | None, redirect_uri: str | None,
    code_verifier: str | None,
) -> Grant:
    """authorization_code: a code for a token. A public client (no secret) must use PKCE."""
    app = await oauth_store.get_app_by_client_id(ctx.db, client_id or "") if client_id else None
    if app is None:
        raise OAuthError("invalid_client", "Client authentication failed due to unknown client.", 401)
    if client_secret is not None and not check_client_secret(app, client_secret):
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    if not code:
        raise OAuthError("invalid_request", "The code is missing.")
    invalid = OAuthError("invalid_grant", "The provided authorization grant is invalid, expired, revoked, does not"
                         " match the redirection URI used in the authorization request, or was issued to another client.")
    # The code is used up by this attempt whatever its outcome: a wrong verifier cannot be retried.
    async with ctx.db.transaction() as tx:
        row = await oauth_store.consume_code(tx, hash_secret(code))
    if row is None or int(row["app_id"]) != int(app["id"]) or (redirect_uri or "") != row["redirect_uri"]:
        raise invalid
    if row["code_challenge"]:
        if not code_verifier or not _VERIFIER.match(code_verifier) or not _pkce_matches(row["code_challenge"], code_verifier):
            raise invalid
    elif client_secret is None:
        raise OAuthError("invalid_client", "Client authentication failed: a client secret or PKCE is required.", 401)
    return await _new_token(ctx, int(app["id"]), int(row["account_id"]), row["scopes"].split(), refreshable=True)


async def client_credentials(ctx: Context, *, client_id: str | None, client_secret: str | None, scope: str | None) -> Grant:
    """client_credentials: a token for the app itself (no user), e.g. to register or read the instance."""
    app = await authenticate_client(ctx, client_id, client_secret)
    return await _new_token(ctx, int(app["id"]), None, requested_scopes(app, scope), refreshable=False)


async def refresh(
    ctx: Context, *, client_id: str | None, client_secret: str | None, refresh_token: str | None, scope: str | None
) -> Grant:
    """refresh_token: a new token pair; the old pair is revoked (rotation), scopes may only narrow."""
    app = await authenticate_client(ctx, client_id, client_secret)
    row = await oauth_store.get_token_by_refresh(ctx.db, hash_secret(refresh_token or "")) if refresh_token else None
    if row is None or row["revoked_at"] is not None or row["app_id"] != app["id"]:
        raise OAuthError("invalid_grant", "The refresh token is invalid, expired or revoked.")
    granted = row["scopes"].split()
    try:
        wanted = scope_model.parse(scope, default=" ".join(granted))
    except scope_model.InvalidScope:
        raise OAuthError("invalid_scope", "The requested scope is invalid, unknown, or malformed.") from None
    if not scope_model.is_subset(wanted, granted):
        raise OAuthError("invalid_scope", "The requested scope is invalid, unknown, or malformed.")
    if not await oauth_store.revoke(ctx.db, int(row["id"])):
        raise OAuthError("invalid_grant", "The refresh token is invalid, expired or revoked.")
    return await _new_token(ctx, int(app["id"]), row["account_id"], wanted, refreshable=True)


async def revoke(ctx: Context, *, client_id: str | None, client_secret: str | None, token: str | None) -> None:
    """RFC 7009: revoke an access or refresh token of this app; an unknown token is not an error."""
    app = await oauth_store.get_app_by_client_id(ctx.db, client_id or "") if client_id else None
    if app is None or not check_client_secret(app, client_secret):
        raise OAuthError("unauthorized_client", "You are not authorized to revoke this token", 403)
    if token:
        await oauth_store.revoke_by_secret(ctx.db, int(app["id"]), hash_secret(token))


async def mint_token(ctx: Context, account_id: int, scopes: Sequence[str], *, app_name: str = "Personal access token") -> str:
    """A token for a script or bot, made by an admin (CLI) or the person (settings page).

    Each token gets its own out-of-band app, so revoking it in "authorized apps" revokes only it.
    """
    app, _ = await register_app(ctx, name=app_name, redirect_uris=[OOB], scopes=list(scopes), website=None,
                                owner_account_id=account_id)
    grant = await _new_token(ctx, int(app["id"]), account_id, list(scopes), refreshable=False)
    return grant.access_token
