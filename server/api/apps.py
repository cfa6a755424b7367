"""POST /api/v1/apps (register a client app) and GET /api/v1/apps/verify_credentials."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from activitypub.html import sanitize_plain
from storage import oauth as oauth_store

from ..errors import HTTPError
from ..mastodon import misc
from ..oauth import scopes as scope_model
from ..services import oauth as oauth_service
from ..services import web_push
from . import auth, params
from .responses import ctx_of, json
from .routing import route


async def create_app(request: Request) -> Response:
    body = await params.body(request)
    name = sanitize_plain(body.str("client_name", max_length=1000) or "", 60)
    if not name:
        raise params.invalid("Application name can't be blank")
    raw_uris = body.raw("redirect_uris")
    if raw_uris is None:
        raw_uris = body.list("redirect_uris")
    if isinstance(raw_uris, str | list):
        uris = oauth_service.split_redirect_uris(raw_uris if isinstance(raw_uris, str) else [str(u) for u in raw_uris])
    else:
        raise params.invalid("Redirect URI must be a string or a list")
    if not uris:
        raise params.invalid("Redirect URI can't be blank")
    if len(uris) > oauth_service.MAX_REDIRECT_URIS or not all(oauth_service.valid_redirect_uri(u) for u in uris):
        raise params.invalid("Redirect URI must be an absolute URI.")
    try:
        wanted = scope_model.parse(body.str("scopes", max_length=2000))
    except scope_model.InvalidScope as exc:
        raise params.invalid(f"Scopes {exc} is not a valid scope") from None
    website = body.str("website", max_length=2000) or None
    if website is not None and not website.startswith(("https://", "http://")):
        raise params.invalid("Website must be an http(s) URL")
    app, secret = await oauth_service.register_app(ctx_of(request), name=name, redirect_uris=uris, scopes=wanted,
                                                   website=website)
    vapid_key = await web_push.vapid_public_key(ctx_of(request))
    return json({**misc.application(app, with_secret=secret), "vapid_key": vapid_key})


async def verify_credentials(request: Request) -> Response:
    who = await auth.require_token(request)
    app = await oauth_store.get_app(ctx_of(request).db, who.app_id) if who.app_id is not None else None
    if app is None:
        raise HTTPError(404, "Record not found")
    return json({**misc.application(app, scopes=list(who.granted)),
                 "vapid_key": await web_push.vapid_public_key(ctx_of(request))})


routes = [
    route("/api/v1/apps", create_app, "POST", budget="apps"),
    route("/api/v1/apps/verify_credentials", verify_credentials, "GET"),
]
