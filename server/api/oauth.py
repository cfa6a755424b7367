"""POST /oauth/token, POST /oauth/revoke, GET /oauth/userinfo and the RFC 8414 metadata document.

Client credentials may come in the body (client_secret_post) or as HTTP Basic (client_secret_basic).
Errors are RFC 6749's `{"error": code, "error_description": text}`.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from ..mastodon.accounts import avatar_url
from ..mastodon.common import RenderContext
from ..oauth import scopes as scope_model
from ..services import oauth as oauth_service
from . import auth, params
from .responses import ctx_of, json
from .routing import route

GRANT_TYPES = ["authorization_code", "client_credentials", "refresh_token"]


def _basic_credentials(request: Request) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header[:6].lower() != "basic ":
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    client_id, _, secret = decoded.partition(":")
    return unquote(client_id), unquote(secret)


def _oauth_error(exc: oauth_service.OAuthError) -> Response:
    headers = {"Cache-Control": "no-store"}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="Atrium"'
    return json({"error": exc.error, "error_description": exc.description}, status=exc.status, headers=headers)


async def token(request: Request) -> Response:
    ctx = ctx_of(request)
    body = await params.body(request, with_query=False)
    basic_id, basic_secret = _basic_credentials(request)
    client_id = basic_id or body.str("client_id", max_length=200)
    client_secret = basic_secret or body.str("client_secret", max_length=200)
    grant_type = body.str("grant_type", max_length=100)
    try:
        if grant_type == "authorization_code":
            grant = await oauth_service.exchange_code(
                ctx, client_id=client_id, client_secret=client_secret, code=body.str("code", max_length=200),
                redirect_uri=body.str("redirect_uri", max_length=2000),
                code_verifier=body.str("code_verifier", max_length=200),
            )
        elif grant_type == "client_credentials":
            grant = await oauth_service.client_credentials(
                ctx, client_id=client_id, client_secret=client_secret, scope=body.str("scope", max_length=2000))
        elif grant_type == "refresh_token":
            grant = await oauth_service.refresh(
                ctx, client_id=client_id, client_secret=client_secret,
                refresh_token=body.str("refresh_token", max_length=200), scope=body.str("scope", max_length=2000))
        else:
            raise oauth_service.OAuthError("unsupported_grant_type",
                                           "The authorization grant type is not supported by the authorization server.")
    except oauth_service.OAuthError as exc:
        return _oauth_error(exc)
    answer: dict[str, Any] = {"access_token": grant.access_token, "token_type": "Bearer",
                              "scope": " ".join(grant.scopes), "created_at": grant.created_at}
    if grant.refresh_token:
        answer["refresh_token"] = grant.refresh_token
    return json(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


async def revoke(request: Request) -> Response:
    body = await params.body(request, with_query=False)
    basic_id, basic_secret = _basic_credentials(request)
    try:
        await oauth_service.revoke(
            ctx_of(request), client_id=basic_id or body.str("client_id", max_length=200),
            client_secret=basic_secret or body.str("client_secret", max_length=200),
            token=body.str("token", max_length=200),
        )
    except oauth_service.OAuthError as exc:
        return _oauth_error(exc)
    return json({})


async def metadata(request: Request) -> Response:
    base = ctx_of(request).settings.base_url
    return json({
        "issuer": base + "/",
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": base + "/oauth/authorize",
        "token_endpoint": base + "/oauth/token",
        "app_registration_endpoint": base + "/api/v1/apps",
        "revocation_endpoint": base + "/oauth/revoke",
        "userinfo_endpoint": base + "/oauth/userinfo",
        "scopes_supported": list(scope_model.ALL),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": list(GRANT_TYPES),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
    })


async def userinfo(request: Request) -> Response:
    """OpenID-Connect-style claims about the token's user (Mastodon 4.4, scope `profile`)."""
    ctx = ctx_of(request)
    who = await auth.require_user(request, "profile")
    account = who.account
    assert account is not None
    rc = RenderContext(urls=ctx.urls, domain=ctx.domain)
    return json({
        "iss": ctx.settings.base_url + "/",
        "sub": account["uri"],
        "name": account["display_name"] or account["username"],
        "preferred_username": account["username"],
        "profile": account["url"] or account["uri"],
        "picture": avatar_url(account, rc),
    })


routes = [
    route("/oauth/token", token, "POST"),
    route("/oauth/revoke", revoke, "POST"),
    route("/oauth/userinfo", userinfo, "GET", "POST"),
    route("/.well-known/oauth-authorization-server", metadata, "GET"),
]
