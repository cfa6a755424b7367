"""GET/POST /oauth/authorize: the page where an employee lets an app use their account.

A plain server-rendered page (webui/templates/oauth/authorize.html): sign in (unless the browser
already has a web session and the app did not ask for `force_login`), see what the app asks for,
approve or deny. The form is CSRF-protected (an HMAC of a random cookie of this page's own), its
hidden fields are checked again on POST, and errors about the client or its redirect URI are shown
here, never sent to an unverified redirect URI (RFC 6749 §4.1.2.1).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

import webui
from storage import accounts as account_store
from storage import oauth as oauth_store
from storage.db import Row

from ..context import Context
from ..services import oauth as oauth_service
from ..services.passwords import verify_password
from ..services.statuses import ServiceError

TEMPLATES = Path(webui.__file__).parent / "templates" / "oauth"
CSRF_COOKIE = "atrium_oauth_csrf"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), auto_reload=False)
_PASS_THROUGH = ("client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method",
                 "force_login", "response_type")

_GENERAL = {
    "read": "read all of your account's data",
    "write": "post, change and delete on your behalf",
    "follow": "follow, unfollow, block and mute accounts",
    "push": "receive push notifications",
    "profile": "read your profile's basic information only",
    "admin:read": "read all data on this server (administrators)",
    "admin:write": "moderate this server (administrators)",
}


def describe(scope: str) -> str:
    if scope in _GENERAL:
        return _GENERAL[scope]
    verb, _, thing = scope.rpartition(":")
    action = {"read": "read", "write": "change", "admin:read": "read (as administrator)",
              "admin:write": "change (as administrator)"}.get(verb, verb)
    return f"{action} your {thing.replace('_', ' ')}"


def _ctx(request: Request) -> Context:
    return request.app.state.ctx


def _csrf(ctx: Context, basis: str) -> str:
    return hmac.new(ctx.settings.secret_key.encode(), f"oauth-csrf|{basis}".encode(), hashlib.sha256).hexdigest()


def _page(request: Request, status: int = 200, *, form_action: str | None = None, **values: Any) -> HTMLResponse:
    ctx = _ctx(request)
    values.setdefault("instance_name", ctx.settings.instance_name)
    values.setdefault("title", "Authorization required")
    html = _env.get_template("authorize.html").render(values)
    # The form posts here, then we redirect to the app: browsers apply form-action to that redirect.
    targets = "'self'" + (f" {form_action}" if form_action else "")
    csp = ("default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none';"
           f" form-action {targets}")
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store", "Content-Security-Policy": csp})


def _error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return _page(request, status, title="Authorization failed", error=message)


def _form_action_source(redirect_uri: str) -> str | None:
    if redirect_uri == oauth_service.OOB:
        return None
    parts = urlsplit(redirect_uri)
    if parts.scheme in ("http", "https"):
        return f"{parts.scheme}://{parts.netloc}"
    return f"{parts.scheme}:"


def _redirect(redirect_uri: str, params: dict[str, str]) -> Response:
    if redirect_uri == oauth_service.OOB:
        if "code" in params:
            return RedirectResponse("/oauth/authorize/native?" + urlencode({"code": params["code"]}), status_code=302)
        return RedirectResponse("/oauth/authorize/native?" + urlencode(params), status_code=302)
    separator = "&" if urlsplit(redirect_uri).query else "?"
    target = redirect_uri + separator + urlencode({k: v for k, v in params.items() if v is not None})
    return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})


class _Rejected(Exception):
    """The request cannot go on; `response` says why (an error page or a redirect to the app)."""

    def __init__(self, response: Response) -> None:
        self.response = response


async def _validate(request: Request, values: dict[str, str]) -> tuple[Row, str, list[str]]:
    """The app, redirect URI and scopes of an authorization request, or _Rejected."""
    ctx = _ctx(request)
    client_id = values.get("client_id", "")
    app = await oauth_store.get_app_by_client_id(ctx.db, client_id) if client_id and len(client_id) < 200 else None
    if app is None:
        raise _Rejected(_error_page(request, 400, "This app is not known to this server (unknown client_id)."))
    registered = oauth_service.redirect_uris_of(app)
    redirect_uri = values.get("redirect_uri") or (registered[0] if len(registered) == 1 else "")
    if redirect_uri not in registered:
        raise _Rejected(_error_page(request, 400, "The redirect URI is not one this app registered."))
    state = values.get("state")
    if values.get("response_type", "code") != "code":
        raise _Rejected(_redirect(redirect_uri, {"error": "unsupported_response_type", "error_description":
                                                 "Only the code response type is supported.", "state": state or ""}))
    try:
        wanted = oauth_service.requested_scopes(app, values.get("scope"))
        oauth_service.check_challenge(values.get("code_challenge") or None, values.get("code_challenge_method") or None)
    except oauth_service.OAuthError as exc:
        raise _Rejected(_redirect(redirect_uri, {"error": exc.error, "error_description": exc.description,
                                                 "state": state or ""})) from None
    return app, redirect_uri, wanted


def _forced(values: dict[str, str]) -> bool:
    return values.get("force_login", "").lower() in ("1", "true", "yes", "on")


async def _session_account(request: Request) -> Row | None:
    try:
        from .. import sessions
    except ModuleNotFoundError:   # the web UI is optional
        return None
    account_id = await sessions.account_id_from_cookie(request)
    if account_id is None:
        return None
    return await account_store.get(_ctx(request).db, account_id)


async def _consent(request: Request, values: dict[str, str], app: Row, redirect_uri: str, wanted: list[str],
                   *, status: int = 200, form_error: str | None = None) -> Response:
    ctx = _ctx(request)
    signed_in = None if _forced(values) else await _session_account(request)
    basis = request.cookies.get(CSRF_COOKIE) or ""
    new_basis = None
    if len(basis) != 43:
        basis = new_basis = secrets.token_urlsafe(32)
    hidden = [(name, values[name]) for name in _PASS_THROUGH if values.get(name)]
    response = _page(
        request, status, form_action=_form_action_source(redirect_uri), app_name=app["name"],
        app_website=app["website"] if (app["website"] or "").startswith(("https://", "http://")) else None,
        account_name=signed_in["username"] if signed_in else None, ask_login=signed_in is None,
        scope_lines=[describe(s) for s in wanted], csrf_token=_csrf(ctx, basis), hidden=hidden,
        redirect_display="this page" if redirect_uri == oauth_service.OOB else redirect_uri,
        username=values.get("username", "")[:100], form_error=form_error,
    )
    if new_basis is not None:
        response.set_cookie(CSRF_COOKIE, new_basis, path="/oauth", httponly=True, samesite="strict",
                            secure=ctx.settings.scheme == "https")
    return response


async def authorize_page(request: Request) -> Response:
    values = {k: v for k, v in request.query_params.items() if k in _PASS_THROUGH}
    try:
        app, redirect_uri, wanted = await _validate(request, values)
    except _Rejected as rejected:
        return rejected.response
    return await _consent(request, values, app, redirect_uri, wanted)


async def _sign_in(request: Request, username: str, password: str) -> Row:
    """The account these credentials open, or ServiceError with a message for the form."""
    ctx = _ctx(request)
    from ..api.routing import limiter_of

    decision = limiter_of(request.scope).hit("sign_in", request.client.host if request.client else "-")
    if not decision.allowed:
        raise ServiceError(429, "Too many sign-in attempts. Wait a few minutes and try again.")
    account = await account_store.get_local_by_username(ctx.db, username.strip().lstrip("@")[:100])
    user = await account_store.get_user_by_account(ctx.db, int(account["id"])) if account is not None else None
    # Argon2 takes tens of milliseconds of CPU: off the event loop.
    valid = await run_in_threadpool(verify_password, user["password_hash"] if user else None, password)
    if not valid or account is None or user is None:
        raise ServiceError(422, "Invalid username or password.")
    if account["suspended_at"] is not None or user["disabled"]:
        raise ServiceError(403, "Your login is currently disabled.")
    if user["must_change_password"]:
        raise ServiceError(403, "Sign in on the web first to choose a new password, then come back.")
    return account


async def authorize_submit(request: Request) -> Response:
    ctx = _ctx(request)
    form = await request.form(max_files=0, max_fields=40)
    values = {k: v for k, v in form.items() if isinstance(v, str) and len(v) <= 4000}
    basis = request.cookies.get(CSRF_COOKIE) or ""
    origin = request.headers.get("origin")
    if (origin is not None and origin.rstrip("/") != ctx.settings.base_url) or len(basis) != 43 or not hmac.compare_digest(
        values.get("csrf_token", "").encode(), _csrf(ctx, basis).encode()
    ):
        return _error_page(request, 403, "This form has expired or did not come from this server. Go back to the app"
                                         " and start again.")
    try:
        app, redirect_uri, wanted = await _validate(request, values)
    except _Rejected as rejected:
        return rejected.response
    state = values.get("state") or ""
    if values.get("decision") != "approve":
        return _redirect(redirect_uri, {"error": "access_denied", "error_description":
                                        "The resource owner or authorization server denied the request.", "state": state})
    account = None if _forced(values) else await _session_account(request)
    if account is None:
        try:
            account = await _sign_in(request, values.get("username", ""), values.get("password", ""))
        except ServiceError as exc:
            return await _consent(request, values, app, redirect_uri, wanted, status=exc.status, form_error=exc.message)
    code = await oauth_service.issue_code(
        ctx, app, int(account["id"]), wanted, redirect_uri, values.get("code_challenge") or None,
        values.get("code_challenge_method") or None,
    )
    return _redirect(redirect_uri, {"code": code, **({"state": state} if state else {})})


async def native_page(request: Request) -> Response:
    """Where out-of-band apps send people: the code to copy (or the error)."""
    code = request.query_params.get("code", "")[:100]
    if code:
        return _page(request, title="Authorization code", code=code)
    error = request.query_params.get("error_description") or "The authorization was not granted."
    return _page(request, 400, title="Authorization failed", error=error[:300])


routes = [
    Route("/oauth/authorize", authorize_page, methods=["GET"]),
    Route("/oauth/authorize", authorize_submit, methods=["POST"]),
    Route("/oauth/authorize/native", native_page, methods=["GET"]),
]
