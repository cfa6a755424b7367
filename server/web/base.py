"""What every page of the web UI shares: who is signed in, rendering in their language, forms
with CSRF checks, and answers that are a redirect for a plain form and JSON for the script.

Handlers are declared with `page(...)`, which loads the session, enforces sign-in (and the forced
password change, and admin rights), checks the CSRF token of every POST, and hands the handler a
`Web` object: the request, the person (`me`) and helpers. A handler then calls one service.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from storage import accounts as account_store
from storage import notifications as notification_store
from storage.db import Row
from storage.ids import now_ms
from storage.pagination import Page
from storage.timelines import Viewer
from webui import i18n, templating
from webui.render import RenderContext, account_view

from .. import sessions
from ..context import Context
from ..errors import HTTPError
from ..services.statuses import ServiceError

FLASH_COOKIE = "atrium_flash"
MAX_FORM_FIELDS = 200


@dataclass
class Me:
    """The signed-in person: their session, account row and user flags."""

    session: sessions.WebSession
    account: Row

    @property
    def id(self) -> int:
        return int(self.account["id"])

    @property
    def is_admin(self) -> bool:
        return self.session.is_admin

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.id, local=True)


class Web:
    """One request as a page handler sees it."""

    def __init__(self, request: Request, me: Me | None, locale: str, form: FormData | None) -> None:
        self.request = request
        self.me = me
        self.locale = locale
        self.form = form
        self._response_cookies: list[tuple[str, str | None]] = []

    @property
    def ctx(self) -> Context:
        return self.request.app.state.ctx

    @property
    def user(self) -> Me:
        assert self.me is not None, "page(auth=True) guarantees a signed-in person"
        return self.me

    @property
    def viewer(self) -> Viewer:
        return self.me.viewer if self.me else Viewer.anonymous()

    def _(self, message: str, **values: object) -> str:
        return i18n.gettext(self.locale, message, **values)

    @property
    def rc(self) -> RenderContext:
        return RenderContext(locale=self.locale, now_ms=now_ms(), viewer_id=self.me.id if self.me else None)

    @property
    def wants_json(self) -> bool:
        accept = self.request.headers.get("accept", "")
        return "application/json" in accept and "text/html" not in accept

    def field(self, name: str, default: str = "", limit: int = 10_000) -> str:
        value = self.form.get(name, default) if self.form is not None else self.request.query_params.get(name, default)
        if not isinstance(value, str):
            return default
        return value[:limit]

    def page_args(self, limit: int = 20) -> Page:
        def cursor(name: str) -> int | None:
            raw = self.request.query_params.get(name, "")
            return int(raw) if raw.isdigit() and len(raw) <= 19 else None

        return Page(max_id=cursor("max_id"), min_id=cursor("min_id"), since_id=cursor("since_id"), limit=limit)

    def flash(self, message: str, kind: str = "notice") -> None:
        self._response_cookies.append((FLASH_COOKIE, _flash_serializer(self.ctx).dumps([kind, message])))

    def _take_flash(self) -> tuple[str, str] | None:
        raw = self.request.cookies.get(FLASH_COOKIE)
        if not raw:
            return None
        self._response_cookies.append((FLASH_COOKIE, None))
        try:
            kind, message = _flash_serializer(self.ctx).loads(raw)
        except (BadSignature, ValueError, TypeError):
            return None
        return str(kind), str(message)

    async def render(self, template: str, status: int = 200, **values: Any) -> Response:
        me_view = account_view(self.me.account, self.rc) if self.me else None
        unread = 0
        if self.me is not None:
            unread = await _unread_notifications(self.ctx, self.me.id, self.request)
        body = templating.render(self.locale, template, {
            "me": me_view, "is_admin": bool(self.me and self.me.is_admin), "csrf": sessions.csrf_token(self.request),
            "path": self.request.url.path, "instance": self.ctx.settings.instance_name,
            "company": self.ctx.settings.company_name, "flash": self._take_flash(), "unread": unread,
            "asset_version": templating.asset_version(), **values,
        })
        return self.finish(HTMLResponse(body, status_code=status))

    def redirect(self, location: str) -> Response:
        return self.finish(RedirectResponse(location, status_code=303))

    def back(self, fallback: str = "/", anchor: str = "") -> Response:
        """303 to the form's `next` field, else the page the form was on (Referer, same origin only),
        else the fallback: Post/Redirect/Get, landing where the person was."""
        target = safe_next(self.field("next"), "")
        if not target:
            referer = self.request.headers.get("referer", "")
            base = self.ctx.settings.base_url
            if referer.startswith(base + "/"):
                target = safe_next(referer[len(base):].split("#", 1)[0], "")
        return self.redirect((target or fallback) + anchor)

    def json(self, data: dict[str, Any], status: int = 200) -> Response:
        return self.finish(JSONResponse(data, status_code=status))

    def done(self, data: dict[str, Any], fallback: str = "/", message: str | None = None, anchor: str = "") -> Response:
        """JSON for the script, a redirect (with an optional notice) for a plain form."""
        if self.wants_json:
            return self.json({"ok": True, **data})
        if message:
            self.flash(message)
        return self.back(fallback, anchor)

    def refused(self, exc: ServiceError, fallback: str = "/") -> Response:
        """A service refused: JSON error for the script, notice + redirect for a plain form."""
        message = self._(exc.message)
        if self.wants_json:
            return self.json({"error": message}, status=exc.status)
        if exc.status == 404:
            raise HTTPError(404, message)
        self.flash(message, "error")
        return self.back(fallback)

    def finish(self, response: Response) -> Response:
        secure = self.ctx.settings.scheme == "https"
        for name, value in self._response_cookies:
            if value is None:
                response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=secure)
            else:
                response.set_cookie(name, value, max_age=60, path="/", httponly=True, samesite="lax", secure=secure)
        response.headers.setdefault("Cache-Control", "private, no-store")
        response.headers["Vary"] = "Cookie, Accept, Accept-Language"
        return sessions.finish(self.request, response)


def _flash_serializer(ctx: Context) -> URLSafeSerializer:
    return URLSafeSerializer(ctx.settings.secret_key, salt="atrium.flash")


async def _unread_notifications(ctx: Context, account_id: int, request: Request) -> int:
    if request.url.path == "/notifications":
        return 0
    seen = request.cookies.get("atrium_seen_notifications", "")
    after = int(seen) if seen.isdigit() and len(seen) <= 19 else 0
    return await notification_store.unread_count(ctx.db, account_id, after, limit=99)


def safe_next(value: str, fallback: str = "/") -> str:
    """Only a path on this site (no scheme, no host, no `//`, no backslash) is a redirect target."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return fallback
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return fallback
    return value


Handler = Callable[[Web], Awaitable[Response]]


def page(path: str, *, methods: tuple[str, ...] = ("GET",), auth: bool | str = True, admin: bool = False,
         name: str | None = None, allow_password_change: bool = False) -> Callable[[Handler], Route]:
    """Declare a web page or form action at `path` (see the module docstring).

    `auth=False` pages are open to anyone (sign in, invites); `auth="open-mode"` pages (public
    profiles and posts) are open to anonymous visitors only when the instance federates in open
    mode: a closed company instance shows nothing to someone who has not signed in.
    """

    def decorate(handler: Handler) -> Route:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            ctx: Context = request.app.state.ctx
            session = await sessions.current(request)
            me = None
            if session is not None:
                account = await account_store.get(ctx.db, session.account_id)
                if account is not None:
                    me = Me(session, account)
            locale = i18n.negotiate(session.locale if session else None, request.headers.get("accept-language"))
            anonymous_ok = auth is False or (auth == "open-mode" and ctx.settings.federation_mode == "open")
            if me is None and not anonymous_ok:
                if request.method != "GET":
                    raise HTTPError(401, i18n.gettext(locale, "Sign in first."))
                return sessions.finish(request, RedirectResponse(
                    "/auth/sign_in?next=" + quote(request.url.path + ("?" + request.url.query if request.url.query else "")),
                    status_code=303))
            if me is not None and me.session.must_change_password and not allow_password_change:
                return RedirectResponse("/auth/password", status_code=303)
            if admin and not (me and me.is_admin):
                raise HTTPError(403, i18n.gettext(locale, "Only administrators can open this page."))
            form = None
            if request.method == "POST":
                try:
                    form = await request.form(max_files=8, max_fields=MAX_FORM_FIELDS)
                except (ValueError, KeyError, AssertionError) as exc:
                    raise HTTPError(400, "The form could not be read") from exc
                token = form.get(sessions.CSRF_FIELD)
                await sessions.check_csrf(request, token if isinstance(token, str) else None)
            web = Web(request, me, locale, form)
            try:
                return await handler(web)
            except ServiceError as exc:
                return web.refused(exc)

        return Route(path, endpoint, methods=list(methods), name=name or handler.__name__)

    return decorate
