"""Bearer tokens → who is calling and with which scopes, and the checks endpoints make.

Mastodon's answers, which apps key on: no or unknown token 401 "The access token is invalid",
revoked 401 "The access token was revoked", expired 401 "The access token expired", a scope the
token lacks 403 "This action is outside the authorized scopes", an app-only token on a user
endpoint 422 "This method requires an authenticated user", a suspended or disabled login 403
"Your login is currently disabled".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from storage import credentials
from storage import oauth as oauth_store
from storage.db import Row
from storage.ids import now_ms
from storage.timelines import Viewer

from ..context import Context
from ..errors import HTTPError
from ..oauth import scopes as scope_model

INVALID = "The access token is invalid"
OUT_OF_SCOPE = "This action is outside the authorized scopes"
USER_REQUIRED = "This method requires an authenticated user"
DISABLED = "Your login is currently disabled"


@dataclass(frozen=True)
class Auth:
    """A valid token: its row id, app, account (None for client_credentials) and scopes."""

    token_id: int
    app_id: int | None
    account: Row | None
    role: str | None
    granted: tuple[str, ...]
    scopes: frozenset[str]
    # False when the account had no saved filter as the token was checked (read in the same
    # statement): its answers skip loading filters. True when unknown.
    has_filters: bool = True

    @property
    def account_id(self) -> int:
        assert self.account is not None
        return int(self.account["id"])

    @property
    def viewer(self) -> Viewer:
        if self.account is None:
            return Viewer.anonymous()
        return Viewer(int(self.account["id"]), local=self.account["domain"] is None)

    @property
    def is_admin(self) -> bool:
        return self.role in ("admin", "moderator")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _unauthorized(message: str) -> HTTPError:
    return HTTPError(401, message, headers={
        "WWW-Authenticate": f'Bearer realm="Atrium", error="invalid_token", error_description="{message}"'})


def bearer_token(conn: HTTPConnection) -> str | None:
    """The token from `Authorization: Bearer …`, or the `access_token` query parameter."""
    header = conn.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        token = header[7:].strip()
        return token or None
    token = conn.query_params.get("access_token")
    return token or None


async def token_auth(ctx: Context, token: str) -> Auth:
    """Check a token's secret; raise the HTTPError Mastodon would answer when it is not usable."""
    if len(token) > 512:
        raise _unauthorized(INVALID)
    # The token and its account in one statement, read fresh on every request: revocation, a
    # disabled login and suspension take effect at once in every worker.
    row, account = await credentials.token_and_account(ctx.db, hash_secret(token))
    if row is None:
        raise _unauthorized(INVALID)
    if row["revoked_at"] is not None:
        raise _unauthorized("The access token was revoked")
    if row["expires_at"] is not None and int(row["expires_at"]) <= now_ms():
        raise _unauthorized("The access token expired")
    if row["account_id"] is not None:
        if account is None:
            raise _unauthorized(INVALID)
        if account["suspended_at"] is not None or row["disabled"]:
            raise HTTPError(403, DISABLED)
    await oauth_store.touch(ctx.db, row)
    granted = tuple(row["scopes"].split())
    return Auth(int(row["id"]), row["app_id"], account, row["role"], granted, scope_model.expand(granted),
                has_filters=bool(row["has_filters"]))


async def authenticate(conn: HTTPConnection) -> Auth | None:
    """The caller's token, checked once per request; None when no token was sent."""
    if "api_auth" in conn.scope.get("state", {}):
        return conn.state.api_auth
    token = bearer_token(conn)
    auth = await token_auth(conn.app.state.ctx, token) if token is not None else None
    conn.state.api_auth = auth
    return auth


def _check_scopes(auth: Auth, required: tuple[str, ...]) -> None:
    if required and not scope_model.allows(auth.scopes, required):
        raise HTTPError(403, OUT_OF_SCOPE)


async def require_token(conn: HTTPConnection, *required: str) -> Auth:
    """Any valid token (an app's own, or a user's) holding one of `required`."""
    auth = await authenticate(conn)
    if auth is None:
        raise _unauthorized(INVALID)
    _check_scopes(auth, required)
    return auth


async def require_user(conn: HTTPConnection, *required: str) -> Auth:
    """A user's token holding one of `required`."""
    auth = await require_token(conn, *required)
    if auth.account is None:
        raise HTTPError(422, USER_REQUIRED)
    return auth


async def optional_user(conn: HTTPConnection, *required: str) -> Auth | None:
    """Public reads: a token is checked when sent; without one, anonymous is allowed only when the
    instance is open (a closed company instance shows nothing to the anonymous, as Mastodon's
    limited federation mode)."""
    auth = await authenticate(conn)
    if auth is None:
        if conn.app.state.ctx.settings.federation_mode == "closed":
            raise _unauthorized(INVALID)
        return None
    _check_scopes(auth, required)
    return auth


def viewer_of(auth: Auth | None) -> Viewer:
    return auth.viewer if auth is not None else Viewer.anonymous()


def no_saved_filters(auth: Auth | None) -> bool:
    """True when the caller is known to have no saved filter (for filtering.for_viewer)."""
    return auth is None or not auth.has_filters


def viewer_id_of(auth: Auth | None) -> int | None:
    """The reading account's id, or None for the anonymous and for app-only tokens."""
    return auth.account_id if auth is not None and auth.account is not None else None
