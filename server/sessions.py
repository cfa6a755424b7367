"""Browser sessions and CSRF protection for the web UI.

A session is a random token kept in a signed, HttpOnly, SameSite=Lax cookie (Secure over https);
the database stores only its SHA-256 (`web_sessions`), with the user agent, IP and last-seen time
so that people can see and revoke their sessions. Every POST form carries a CSRF token: an HMAC of
the session token (or, before sign-in, of a random per-browser token in its own cookie), so a page
on another site can neither read nor forge it. The Origin header, when sent, must be ours too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, TimestampSigner
from starlette.requests import Request
from starlette.responses import Response

from storage import sessions as session_store
from storage.ids import now_ms

from .context import Context
from .errors import HTTPError

COOKIE = "atrium_session"
ANON_COOKIE = "atrium_anon"
MAX_AGE = 30 * 86_400           # seconds a session lasts without use (the cookie is re-signed as it is used)
TOUCH_EVERY_MS = 5 * 60_000      # last-seen is written at most this often (one write per active user per 5 min)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: the session row's id, whose it is, and their login flags."""

    id: int
    account_id: int
    role: str
    locale: str | None
    must_change_password: bool
    token: str

    @property
    def is_admin(self) -> bool:
        return self.role in ("admin", "moderator")


def _ctx(request: Request) -> Context:
    return request.app.state.ctx


def _signer(ctx: Context, salt: str) -> TimestampSigner:
    return TimestampSigner(ctx.settings.secret_key, salt=salt)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _unsign(ctx: Context, salt: str, value: str | None) -> str | None:
    if not value or len(value) > 200:
        return None
    try:
        return _signer(ctx, salt).unsign(value, max_age=MAX_AGE).decode()
    except (BadSignature, UnicodeDecodeError):
        return None


async def current(request: Request) -> WebSession | None:
    """The browser's live session, loaded once per request."""
    if hasattr(request.state, "web_session"):
        return request.state.web_session
    ctx = _ctx(request)
    token = _unsign(ctx, "atrium.session", request.cookies.get(COOKIE))
    found = None
    if token is not None:
        row = await session_store.get_active(ctx.db, token_hash(token), idle_ms=MAX_AGE * 1000)
        if row is not None:
            found = WebSession(int(row["id"]), int(row["account_id"]), row["role"], row["locale"],
                               bool(row["must_change_password"]), token)
            if now_ms() - int(row["last_seen_at"]) > TOUCH_EVERY_MS:
                await session_store.touch(ctx.db, found.id, ip=client_ip(request),
                                          user_agent=request.headers.get("user-agent", ""))
                # Sliding expiry: a session in use keeps going; one left alone ends after MAX_AGE.
                request.state.refresh_session_cookie = token
    request.state.web_session = found
    return found


async def account_id_from_cookie(request: Request) -> int | None:
    """For other surfaces (e.g. streaming) that accept the browser's session: whose it is, or None."""
    session = await current(request)
    return session.account_id if session else None


def _cookie(response: Response, ctx: Context, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=ctx.settings.scheme == "https")


async def sign_in(request: Request, response: Response, account_id: int) -> WebSession:
    """Start a new session (a fresh token: no fixation) and set its cookie on `response`."""
    ctx = _ctx(request)
    token = secrets.token_urlsafe(32)
    session_id = await session_store.create(
        ctx.db, token_hash=token_hash(token), account_id=account_id,
        user_agent=request.headers.get("user-agent", ""), ip=client_ip(request),
    )
    _cookie(response, ctx, COOKIE, _signer(ctx, "atrium.session").sign(token).decode(), MAX_AGE)
    request.state.web_session = None
    session = await _reload(request, token)
    assert session is not None and session.id == session_id
    return session


async def _reload(request: Request, token: str) -> WebSession | None:
    row = await session_store.get_active(_ctx(request).db, token_hash(token), idle_ms=MAX_AGE * 1000)
    if row is None:
        return None
    session = WebSession(int(row["id"]), int(row["account_id"]), row["role"], row["locale"],
                         bool(row["must_change_password"]), token)
    request.state.web_session = session
    return session


async def sign_out(request: Request, response: Response) -> None:
    session = await current(request)
    if session is not None:
        await session_store.revoke(_ctx(request).db, session.account_id, session.id)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    request.state.web_session = None


def _anon_token(request: Request) -> str:
    """The random per-browser token CSRF tokens hang on before sign-in (made on first use)."""
    cached = getattr(request.state, "anon_token", None)
    if cached:
        return cached
    token = _unsign(_ctx(request), "atrium.anon", request.cookies.get(ANON_COOKIE))
    if token is None:
        token = secrets.token_urlsafe(24)
        request.state.new_anon_token = token
    request.state.anon_token = token
    return token


def _csrf_for(ctx: Context, basis: str) -> str:
    return hmac.new(ctx.settings.secret_key.encode(), f"csrf|{basis}".encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The CSRF token to put in this browser's forms."""
    session = getattr(request.state, "web_session", None)
    basis = f"s|{session.token}" if session else f"a|{_anon_token(request)}"
    return _csrf_for(_ctx(request), basis)


def finish(request: Request, response: Response) -> Response:
    """Set the cookies this request decided on (the anonymous CSRF basis, a refreshed session)."""
    ctx = _ctx(request)
    token = getattr(request.state, "new_anon_token", None)
    if token:
        _cookie(response, ctx, ANON_COOKIE, _signer(ctx, "atrium.anon").sign(token).decode(), MAX_AGE)
    refresh = getattr(request.state, "refresh_session_cookie", None)
    if refresh and getattr(request.state, "web_session", None) is not None:
        _cookie(response, ctx, COOKIE, _signer(ctx, "atrium.session").sign(refresh).decode(), MAX_AGE)
    return response


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:   # old browsers and same-origin GET-turned-POST navigations may omit it
        return True
    return origin.rstrip("/") == _ctx(request).settings.base_url


async def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse (403) a POST whose CSRF token is missing or wrong, or that comes from another origin."""
    token = submitted or request.headers.get(CSRF_HEADER) or ""
    expected = csrf_token(request)
    if not _same_origin(request) or not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPError(403, "This form has expired or did not come from Atrium. Reload the page and try again.")
