"""Settings: profile (with avatar), password, sessions, authorized apps, language."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.responses import Response

from activitypub.content import format_post
from activitypub.html import sanitize_plain
from storage import accounts as account_store
from storage import listings
from storage import sessions as session_store
from webui import i18n
from webui.render import absolute

from .. import sessions
from ..errors import HTTPError
from . import avatar
from .auth import _change_password
from .base import Web, page

TEXT_FIELDS = {"display_name": 100, "department": 100, "title": 100, "location": 100, "pronouns": 40}


@page("/settings")
async def settings_index(web: Web) -> Response:
    return web.redirect("/settings/profile")


@page("/settings/profile")
async def profile_form(web: Web) -> Response:
    account = web.user.account
    manager = await account_store.get(web.ctx.db, int(account["manager_id"])) if account["manager_id"] else None
    return await web.render("settings/profile.html", section="profile", account=account,
                            manager_name=manager["username"] if manager else "", error=None)


@page("/settings/profile", methods=("POST",))
async def profile_save(web: Web) -> Response:
    me = web.user
    values: dict[str, object] = {k: sanitize_plain(web.field(k, limit=500), n) or None for k, n in TEXT_FIELDS.items()}
    values["display_name"] = values["display_name"] or me.account["username"]
    bio = web.field("note", limit=2000)
    values["note_source"] = bio
    values["note"] = format_post(bio, local_domain=web.ctx.domain, resolve_mention=lambda u, d: None,
                                 tag_url=web.ctx.urls.tag).html if bio.strip() else ""
    values["locked"] = web.field("locked") == "on"
    values["discoverable"] = web.field("discoverable") == "on"
    manager_name = web.field("manager", limit=100).strip().lstrip("@")
    error = None
    if manager_name:
        manager = await account_store.get_local_by_username(web.ctx.db, manager_name)
        if manager is None or int(manager["id"]) == me.id:
            error = web._("There is no colleague called %(name)s here.", name=manager_name)
        else:
            values["manager_id"] = int(manager["id"])
    else:
        values["manager_id"] = None
    upload = web.form.get("avatar") if web.form is not None else None
    if error is None and isinstance(upload, UploadFile) and upload.filename:
        try:
            values["avatar_path"] = await avatar.store(web.ctx, me.id, await upload.read())
        except avatar.AvatarRefused as exc:
            error = web._(str(exc))
    if error:
        return await web.render("settings/profile.html", status=422, section="profile", account=me.account,
                                manager_name=manager_name, error=error)
    await account_store.update_profile(web.ctx.db, me.id, values)
    web.flash(web._("Your profile is saved."))
    return web.redirect("/settings/profile")


@page("/settings/password")
async def password_form(web: Web) -> Response:
    return await web.render("settings/password.html", section="password", error=None)


@page("/settings/password", methods=("POST",))
async def password_save(web: Web) -> Response:
    error = await _change_password(web, require_current=True)
    if error:
        return await web.render("settings/password.html", status=422, section="password", error=error)
    web.flash(web._("Your password has been changed."))
    return web.redirect("/settings/password")


@page("/settings/sessions")
async def sessions_page(web: Web) -> Response:
    rows = await session_store.list_for(web.ctx.db, web.user.id, idle_ms=sessions.MAX_AGE * 1000)
    rc = web.rc
    items = [{"id": int(r["id"]), "user_agent": r["user_agent"], "ip": r["ip"], "created": absolute(int(r["created_at"]), rc),
              "last_seen": absolute(int(r["last_seen_at"]), rc), "current": int(r["id"]) == web.user.session.id}
             for r in rows]
    return await web.render("settings/sessions.html", section="sessions", items=items)


@page("/settings/sessions/{session_id}/revoke", methods=("POST",))
async def session_revoke(web: Web) -> Response:
    raw = str(web.request.path_params["session_id"])
    if not raw.isdigit() or len(raw) > 19:
        raise HTTPError(404, web._("This session does not exist."))
    if not await session_store.revoke(web.ctx.db, web.user.id, int(raw)):
        raise HTTPError(404, web._("This session does not exist."))
    if int(raw) == web.user.session.id:
        return web.redirect("/auth/sign_in")
    return web.done({"revoked": True}, fallback="/settings/sessions", message=web._("The session was signed out."))


@page("/settings/apps")
async def apps_page(web: Web) -> Response:
    rows = await listings.authorized_apps(web.ctx.db, web.user.id)
    rc = web.rc
    items = [{"name": sanitize_plain(r["name"] or "", 100), "website": r["website"] or "", "scopes": r["scopes"],
              "created": absolute(int(r["created_at"]), rc),
              "last_used": absolute(int(r["last_used_at"]), rc) if r["last_used_at"] else None} for r in rows]
    return await web.render("settings/apps.html", section="apps", items=items)


@page("/settings/language")
async def language_form(web: Web) -> Response:
    return await web.render("settings/language.html", section="language", locales=i18n.LOCALES,
                            current=web.user.session.locale or "")


@page("/settings/language", methods=("POST",))
async def language_save(web: Web) -> Response:
    choice = web.field("locale", limit=10)
    await account_store.set_locale(web.ctx.db, web.user.id, choice if choice in i18n.LOCALES else None)
    web.locale = i18n.negotiate(choice if choice in i18n.LOCALES else None, web.request.headers.get("accept-language"))
    web.flash(web._("Language saved."))
    return web.redirect("/settings/language")


routes = [settings_index, profile_form, profile_save, password_form, password_save, sessions_page, session_revoke,
          apps_page, language_form, language_save]
