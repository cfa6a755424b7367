"""OAuth 2 as Mastodon apps drive it: register an app, authorize in the browser page, exchange the
code (with PKCE), refresh, revoke; and every way a request can be refused."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.api.conftest import PASSWORD, Api

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
REDIRECT = "https://app.example/callback"


async def register(client: httpx.AsyncClient, scopes: str = "read write follow", redirect: str = REDIRECT) -> dict:
    response = await client.post("/api/v1/apps", data={"client_name": "Tootle", "redirect_uris": redirect,
                                                       "scopes": scopes, "website": "https://app.example"})
    assert response.status_code == 200, response.text
    return response.json()


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


async def authorize(client: httpx.AsyncClient, app: dict, *, scope: str = "read write follow", redirect: str = REDIRECT,
                    username: str = "alice", password: str = PASSWORD, decision: str = "approve",
                    **extra: str) -> httpx.Response:
    """Open the authorization page as a browser would, sign in on it, and approve (or deny)."""
    query = {"client_id": app["client_id"], "redirect_uri": redirect, "response_type": "code", "scope": scope, **extra}
    page = await client.get("/oauth/authorize", params=query)
    assert page.status_code == 200, page.text
    token = CSRF.search(page.text)
    assert token, page.text
    form = {**query, "csrf_token": token.group(1), "username": username, "password": password, "decision": decision}
    return await client.post("/oauth/authorize", data=form)


def code_of(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


async def test_registering_an_app_returns_mastodons_credential_application(api: Api) -> None:
    # Given an app registering itself
    client = api.anonymous()
    # When it posts its name, redirect URIs and scopes
    app = await register(client, redirect=f"{REDIRECT}\nurn:ietf:wg:oauth:2.0:oob")
    # Then it gets its client credentials and its registration back
    assert app["name"] == "Tootle"
    assert app["website"] == "https://app.example"
    assert app["scopes"] == ["read", "write", "follow"]
    assert app["redirect_uris"] == [REDIRECT, "urn:ietf:wg:oauth:2.0:oob"]
    assert app["redirect_uri"] == f"{REDIRECT}\nurn:ietf:wg:oauth:2.0:oob"
    assert len(app["client_id"]) >= 32 and len(app["client_secret"]) >= 32
    assert app["client_secret_expires_at"] == 0 and isinstance(app["id"], str)


async def test_registering_is_refused_with_422_for_bad_scopes_or_redirects(api: Api) -> None:
    client = api.anonymous()
    bad = [
        {"client_name": "x", "redirect_uris": REDIRECT, "scopes": "read launch:missiles"},
        {"client_name": "x", "redirect_uris": "javascript:alert(1)"},
        {"client_name": "x", "redirect_uris": "/relative"},
        {"client_name": "x", "redirect_uris": "https://app.example/cb#fragment"},
        {"client_name": "", "redirect_uris": REDIRECT},
    ]
    for data in bad:
        response = await client.post("/api/v1/apps", data=data)
        assert response.status_code == 422, data
        assert "error" in response.json()


async def test_apps_are_registered_from_json_too(api: Api) -> None:
    client = api.anonymous()
    response = await client.post("/api/v1/apps", json={"client_name": "Ivory", "redirect_uris": [REDIRECT],
                                                       "scopes": "read write"})
    assert response.status_code == 200
    assert response.json()["redirect_uris"] == [REDIRECT]


async def test_authorization_code_with_pkce_gives_a_working_token(api: Api) -> None:
    # Given a registered app and an employee signing in on the authorization page
    client = api.anonymous()
    app = await register(client)
    verifier, challenge = pkce()
    response = await authorize(client, app, state="xyz", code_challenge=challenge, code_challenge_method="S256")
    # Then the browser is sent back to the app with a code and the state
    assert response.headers["location"].startswith(REDIRECT + "?")
    assert parse_qs(urlsplit(response.headers["location"]).query)["state"] == ["xyz"]
    # When the app exchanges the code with its verifier
    token = await client.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": code_of(response), "redirect_uri": REDIRECT,
        "client_id": app["client_id"], "client_secret": app["client_secret"], "code_verifier": verifier,
    })
    # Then it gets a bearer token for alice with the scopes asked for
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "read write follow"
    assert isinstance(body["created_at"], int) and body["refresh_token"]
    me = await client.get("/api/v1/accounts/verify_credentials",
                          headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "alice"


async def test_a_code_works_once_and_only_with_the_right_verifier(api: Api) -> None:
    client = api.anonymous()
    app = await register(client)
    verifier, challenge = pkce()
    code = code_of(await authorize(client, app, code_challenge=challenge, code_challenge_method="S256"))
    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                "client_id": app["client_id"], "client_secret": app["client_secret"]}
    wrong = await client.post("/oauth/token", data={**exchange, "code_verifier": pkce()[0]})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # The failed attempt used the code up: a code is good for one exchange only.
    again = await client.post("/oauth/token", data={**exchange, "code_verifier": verifier})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_a_public_client_may_use_pkce_without_its_secret_but_not_without_pkce(api: Api) -> None:
    client = api.anonymous()
    app = await register(client)
    verifier, challenge = pkce()
    code = code_of(await authorize(client, app, code_challenge=challenge, code_challenge_method="S256"))
    ok = await client.post("/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                                 "redirect_uri": REDIRECT, "client_id": app["client_id"],
                                                 "code_verifier": verifier})
    assert ok.status_code == 200, ok.text
    plain_code = code_of(await authorize(client, app))
    refused = await client.post("/oauth/token", data={"grant_type": "authorization_code", "code": plain_code,
                                                      "redirect_uri": REDIRECT, "client_id": app["client_id"]})
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"


async def test_plain_pkce_is_refused(api: Api) -> None:
    client = api.anonymous()
    app = await register(client)
    page = await client.get("/oauth/authorize", params={
        "client_id": app["client_id"], "redirect_uri": REDIRECT, "response_type": "code", "scope": "read",
        "code_challenge": "x" * 43, "code_challenge_method": "plain"})
    assert page.status_code == 302
    assert "error=invalid_request" in page.headers["location"]


async def test_out_of_band_apps_get_the_code_on_a_page(api: Api) -> None:
    client = api.anonymous()
    app = await register(client, redirect="urn:ietf:wg:oauth:2.0:oob")
    response = await authorize(client, app, redirect="urn:ietf:wg:oauth:2.0:oob")
    assert response.status_code == 302
    assert response.headers["location"].startswith("/oauth/authorize/native?code=")
    page = await client.get(response.headers["location"])
    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    assert code in page.text
    token = await client.post("/oauth/token", json={
        "grant_type": "authorization_code", "code": code, "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
        "client_id": app["client_id"], "client_secret": app["client_secret"]})
    assert token.status_code == 200, token.text


async def test_the_authorization_page_refuses_unknown_clients_and_redirects_without_redirecting(api: Api) -> None:
    client = api.anonymous()
    app = await register(client)
    unknown = await client.get("/oauth/authorize", params={"client_id": "nope", "redirect_uri": REDIRECT})
    assert unknown.status_code == 400 and "location" not in unknown.headers
    elsewhere = await client.get("/oauth/authorize", params={"client_id": app["client_id"],
                                                             "redirect_uri": "https://evil.example/steal"})
    assert elsewhere.status_code == 400 and "location" not in elsewhere.headers


async def test_the_form_needs_its_csrf_token(api: Api) -> None:
    client = api.anonymous()
    app = await register(client)
    await client.get("/oauth/authorize", params={"client_id": app["client_id"], "redirect_uri": REDIRECT})
    forged = await client.post("/oauth/authorize", data={
        "client_id": app["client_id"], "redirect_uri": REDIRECT, "scope": "read", "csrf_token": "0" * 64,
        "username": "alice", "password": PASSWORD, "decision": "approve"})
    assert forged.status_code == 403 and "location" not in forged.headers


async def test_a_wrong_password_shows_the_form_again_and_issues_nothing(api: Api) -> None:
    client = api.anonymous()
    app = await register(client)
    response = await authorize(client, app, password="not the password")
    assert response.status_code == 422
    assert "Invalid username or password" in response.text and "location" not in response.headers


async def test_denying_sends_access_denied_to_the_app(api: Api) -> None:
    client = api.anonymous()
    app = await register(client)
    response = await authorize(client, app, decision="deny", state="s1")
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["s1"]


async def test_scopes_beyond_the_apps_registration_are_refused(api: Api) -> None:
    client = api.anonymous()
    app = await register(client, scopes="read")
    page = await client.get("/oauth/authorize", params={"client_id": app["client_id"], "redirect_uri": REDIRECT,
                                                        "response_type": "code", "scope": "read write"})
    assert page.status_code == 302 and "error=invalid_scope" in page.headers["location"]


async def test_granular_scopes_within_a_registered_top_level_scope_are_allowed(api: Api) -> None:
    client = api.anonymous()
    app = await register(client, scopes="read write")
    response = await authorize(client, app, scope="read:statuses write:media")
    assert response.status_code == 302 and "code=" in response.headers["location"]


async def test_the_password_grant_is_not_supported(api: Api) -> None:
    client = api.anonymous()
    app = await register(client)
    response = await client.post("/oauth/token", data={
        "grant_type": "password", "username": "alice", "password": PASSWORD,
        "client_id": app["client_id"], "client_secret": app["client_secret"]})
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"


async def test_client_credentials_give_an_app_token_that_cannot_act_as_a_user(api: Api) -> None:
    client = api.anonymous()
    app = await register(client)
    # HTTP Basic client authentication, as some apps send it
    basic = base64.b64encode(f"{app['client_id']}:{app['client_secret']}".encode()).decode()
    token = await client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": "read"},
                              headers={"Authorization": f"Basic {basic}"})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    verify = await client.get("/api/v1/apps/verify_credentials", headers=headers)
    assert verify.status_code == 200 and verify.json()["name"] == "Tootle"
    assert "client_secret" not in verify.json()
    user_only = await client.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert user_only.status_code == 422
    assert user_only.json() == {"error": "This method requires an authenticated user"}


async def test_refreshing_rotates_the_token_pair(api: Api) -> None:
    client = api.anonymous()
    app = await register(client)
    first = (await client.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": code_of(await authorize(client, app)), "redirect_uri": REDIRECT,
        "client_id": app["client_id"], "client_secret": app["client_secret"]})).json()
    second = await client.post("/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": first["refresh_token"], "scope": "read",
        "client_id": app["client_id"], "client_secret": app["client_secret"]})
    assert second.status_code == 200, second.text
    assert second.json()["scope"] == "read"
    old = await client.get("/api/v1/accounts/verify_credentials",
                           headers={"Authorization": f"Bearer {first['access_token']}"})
    assert old.status_code == 401 and old.json()["error"] == "The access token was revoked"
    new = await client.get("/api/v1/accounts/verify_credentials",
                           headers={"Authorization": f"Bearer {second.json()['access_token']}"})
    assert new.status_code == 200
    reuse = await client.post("/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": first["refresh_token"],
        "client_id": app["client_id"], "client_secret": app["client_secret"]})
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"


async def test_revoking_a_token_makes_it_answer_401(api: Api) -> None:
    client = api.anonymous()
    app = await register(client)
    token = (await client.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": code_of(await authorize(client, app)), "redirect_uri": REDIRECT,
        "client_id": app["client_id"], "client_secret": app["client_secret"]})).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=headers)).status_code == 200
    wrong_client = await client.post("/oauth/revoke", data={"token": token, "client_id": app["client_id"],
                                                            "client_secret": "wrong"})
    assert wrong_client.status_code == 403
    revoked = await client.post("/oauth/revoke", data={"token": token, "client_id": app["client_id"],
                                                       "client_secret": app["client_secret"]})
    assert revoked.status_code == 200 and revoked.json() == {}
    after = await client.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert after.status_code == 401
    assert after.json() == {"error": "The access token was revoked"}
    assert "invalid_token" in after.headers["www-authenticate"]


async def test_unknown_tokens_are_401_invalid(api: Api) -> None:
    client = api.anonymous(Authorization="Bearer not-a-token")
    response = await client.get("/api/v1/timelines/home")
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}


async def test_authorization_server_metadata(api: Api) -> None:
    response = await api.anonymous().get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    body = response.json()
    assert body["issuer"] == "http://paris.test/"
    assert body["authorization_endpoint"] == "http://paris.test/oauth/authorize"
    assert body["token_endpoint"] == "http://paris.test/oauth/token"
    assert body["revocation_endpoint"] == "http://paris.test/oauth/revoke"
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert "password" not in body["grant_types_supported"]
    assert {"read", "write", "push", "profile", "read:statuses", "admin:read:accounts"} <= set(body["scopes_supported"])


async def test_userinfo_needs_the_profile_scope(api: Api) -> None:
    with_profile = await api.client("alice", "profile")
    info = await with_profile.get("/oauth/userinfo")
    assert info.status_code == 200
    assert info.json()["preferred_username"] == "alice"
    assert info.json()["sub"] == "http://paris.test/users/alice"
    # `profile` alone opens verify_credentials, and nothing else
    assert (await with_profile.get("/api/v1/accounts/verify_credentials")).status_code == 200
    assert (await with_profile.get("/api/v1/timelines/home")).status_code == 403


async def test_the_token_endpoint_answers_cors_preflights(api: Api) -> None:
    response = await api.anonymous().options("/oauth/token", headers={
        "Origin": "https://elk.zone", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]


async def test_signed_in_browsers_are_not_asked_to_sign_in_again_unless_forced(api: Api) -> None:
    # Given a browser signed in to the web UI as alice
    client = api.anonymous()
    sign_in_page = await client.get("/auth/sign_in")
    csrf = CSRF.search(sign_in_page.text)
    assert csrf is not None
    signed = await client.post("/auth/sign_in", data={"csrf_token": csrf.group(1), "username": "alice",
                                                      "password": PASSWORD})
    assert signed.status_code == 303, signed.text
    app = await register(client)
    query = {"client_id": app["client_id"], "redirect_uri": REDIRECT, "scope": "read"}
    # When an app sends her to the authorization page
    page = await client.get("/oauth/authorize", params=query)
    # Then she only has to approve, as @alice
    assert 'name="password"' not in page.text and "@alice" in page.text
    token = CSRF.search(page.text)
    assert token is not None
    approved = await client.post("/oauth/authorize", data={**query, "csrf_token": token.group(1),
                                                           "decision": "approve"})
    assert approved.status_code == 302 and "code=" in approved.headers["location"]
    # And an app that asks for force_login gets the sign-in form whatever the browser knows
    forced = await client.get("/oauth/authorize", params={**query, "force_login": "true"})
    assert 'name="password"' in forced.text
