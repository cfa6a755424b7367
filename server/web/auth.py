"""Signing in and out, accepting an invite, and the forced password change of a one-time password."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from storage import accounts as account_store
from storage import sessions as session_store

from .. import sessions
from ..services import accounts as account_service
from ..services.passwords import WeakPassword, hash_password, needs_rehash, verify_password
from .base import Web, page, safe_next
from .throttle import SignInThrottle


def _throttle(web: Web) -> SignInThrottle:
    return web.ctx.extras.setdefault("web_sign_in_throttle", SignInThrottle())


@page("/auth/sign_in", auth=False)
async def sign_in_form(web: Web) -> Response:
    if web.me is not None:
        return web.redirect(safe_next(web.field("next")))
    return await web.render("auth/sign_in.html", next=safe_next(web.field("next"), ""), username="", error=None)


@page("/auth/sign_in", methods=("POST",), auth=False)
async def sign_in(web: Web) -> Response:
    username = web.field("username", limit=300).strip().lstrip("@")
    if "@" in username and username.split("@", 1)[1].lower() == web.ctx.domain:
        username = username.split("@", 1)[0]
    password = web.field("password", limit=1024)
    next_path = safe_next(web.field("next"), "/")
    ip = sessions.client_ip(web.request)
    throttle = _throttle(web)
    wait = throttle.retry_after(ip, username)
    if wait:
        message = web._("Too many attempts. Try again in %(minutes)s minutes.", minutes=max(1, (wait + 59) // 60))
        response = await web.render("auth/sign_in.html", status=429, next=next_path, username=username, error=message)
        response.headers["Retry-After"] = str(wait)
        return response
    account = await account_store.get_local_by_username(web.ctx.db, username) if username else None
    user = await account_store.get_user_by_account(web.ctx.db, int(account["id"])) if account else None
    stored_hash = user["password_hash"] if user else None
    ok = await run_in_threadpool(verify_password, stored_hash, password)
    if not ok or account is None or user is None or user["disabled"] or account["suspended_at"] is not None:
        throttle.failed(ip, username)
        return await web.render("auth/sign_in.html", status=401, next=next_path, username=username,
                                error=web._("That username and password do not match."))
    throttle.succeeded(username)
    if stored_hash and needs_rehash(stored_hash):
        await account_store.set_password(web.ctx.db, int(account["id"]), await run_in_threadpool(hash_password, password),
                                         must_change=bool(user["must_change_password"]))
    await account_store.touch_sign_in(web.ctx.db, int(account["id"]))
    response = web.redirect("/auth/password" if user["must_change_password"] else next_path)
    await sessions.sign_in(web.request, response, int(account["id"]))
    return response


@page("/auth/sign_out", methods=("POST",), auth=False, allow_password_change=True)
async def sign_out(web: Web) -> Response:
    response = web.redirect("/auth/sign_in")
    await sessions.sign_out(web.request, response)
    return response


async def _change_password(web: Web, *, require_current: bool) -> str | None:
    """Check the form and store the new password; an error message, or None when done."""
    me = web.user
    new = web.field("new_password", limit=1024)
    if require_current:
        user = await account_store.get_user_by_account(web.ctx.db, me.id)
        current = web.field("current_password", limit=1024)
        if user is None or not await run_in_threadpool(verify_password, user["password_hash"], current):
            return web._("Your current password is not right.")
    if new != web.field("confirm_password", limit=1024):
        return web._("The two new passwords are not the same.")
    try:
        hashed = await run_in_threadpool(hash_password, new)
    except WeakPassword:
        return web._("Choose a password of at least 8 characters.")
    await account_store.set_password(web.ctx.db, me.id, hashed, must_change=False)
    # A new password ends every other session: whoever knew the old one is signed out.
    await session_store.revoke_others(web.ctx.db, me.id, me.session.id)
    return None


@page("/auth/password", allow_password_change=True)
async def password_form(web: Web) -> Response:
    return await web.render("auth/password.html", forced=web.user.session.must_change_password, error=None)


@page("/auth/password", methods=("POST",), allow_password_change=True)
async def password_change(web: Web) -> Response:
    forced = web.user.session.must_change_password
    error = await _change_password(web, require_current=not forced)
    if error:
        return await web.render("auth/password.html", status=422, forced=forced, error=error)
    web.flash(web._("Your password has been changed."))
    return web.redirect("/" if forced else "/settings/password")


async def _usable_invite(web: Web) -> dict | None:
    code = web.request.path_params["code"]
    if len(code) > 64:
        return None
    row = await account_store.get_usable_invite(web.ctx.db, code)
    return dict(row) if row else None


@page("/invite/{code}", auth=False)
async def invite_form(web: Web) -> Response:
    if await _usable_invite(web) is None:
        return await web.render("auth/invite_invalid.html", status=404)
    return await web.render("auth/invite.html", code=web.request.path_params["code"], values={}, error=None)


@page("/invite/{code}", methods=("POST",), auth=False)
async def invite_accept(web: Web) -> Response:
    invite = await _usable_invite(web)
    if invite is None:
        return await web.render("auth/invite_invalid.html", status=404)
    values = {k: web.field(k, limit=200).strip() for k in ("username", "display_name", "department", "title", "manager")}
    password = web.field("password", limit=1024)
    error = None
    if password != web.field("confirm_password", limit=1024):
        error = web._("The two new passwords are not the same.")
    else:
        try:
            created = await account_service.create_account(
                web.ctx, values["username"], password=password, display_name=values["display_name"],
                department=values["department"] or None, title=values["title"] or None,
                manager=values["manager"] or None, invite_id=int(invite["id"]),
            )
        except account_service.AccountError as exc:
            error = web._(str(exc))
    if error:
        return await web.render("auth/invite.html", status=422, code=web.request.path_params["code"], values=values,
                                error=error)
    response = web.redirect("/")
    await sessions.sign_in(web.request, response, created.account_id)
    return response


routes = [sign_in_form, sign_in, sign_out, password_form, password_change, invite_form, invite_accept]
