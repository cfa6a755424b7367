"""Signing in and out, the forced password change, invites, sign-in throttling, CSRF refusals."""

from __future__ import annotations

from server.services.accounts import create_account, create_invite
from storage import accounts as account_store

from .conftest import PASSWORD, Site


async def test_anonymous_visitor_is_sent_to_sign_in(site: Site) -> None:
    # Given a visitor who is not signed in
    browser = site.browser()
    # When they open the home page
    response = await browser.get("/")
    # Then they are redirected to the sign-in page, which remembers where they were going
    assert response.status_code == 303
    assert response.headers["location"] == "/auth/sign_in?next=/"
    page = await browser.get("/auth/sign_in?next=/")
    assert page.status_code == 200
    assert '<label for="username">' in page.text and 'name="next" value="/"' in page.text


async def test_sign_in_sets_a_signed_httponly_samesite_cookie(site: Site) -> None:
    browser = site.browser()
    # When alice signs in with her password
    response = await browser.sign_in("alice")
    # Then the session cookie is HttpOnly, SameSite=Lax, and the home page greets her
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("atrium_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    home = await browser.get("/")
    assert home.status_code == 200 and "Alice Martin" in home.text
    # And the session is stored hashed: the cookie's token is nowhere in the database
    token = cookie.split("=", 1)[1].split(";")[0].split(".")[0]
    rows = await site.ctx.db.fetchall("SELECT token_hash FROM web_sessions")
    assert rows and all(token not in r["token_hash"] for r in rows)


async def test_wrong_password_is_refused_without_saying_which_part_was_wrong(site: Site) -> None:
    browser = site.browser()
    response = await browser.post("/auth/sign_in", {"username": "alice", "password": "not it"}, csrf_from="/auth/sign_in")
    assert response.status_code == 401
    assert "That username and password do not match." in response.text
    unknown = await browser.post("/auth/sign_in", {"username": "nobody", "password": "x"}, csrf_from="/auth/sign_in")
    assert unknown.status_code == 401 and "That username and password do not match." in unknown.text


async def test_repeated_failures_are_throttled_per_account(site: Site) -> None:
    browser = site.browser()
    for _ in range(5):
        await browser.post("/auth/sign_in", {"username": "alice", "password": "guess"}, csrf_from="/auth/sign_in")
    # When the right password comes after five failures, it is still refused for a while
    response = await browser.post("/auth/sign_in", {"username": "alice", "password": PASSWORD}, csrf_from="/auth/sign_in")
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    # But another account from elsewhere is not affected
    assert (await site.browser().sign_in("carol")).status_code == 303


async def test_sign_out_ends_the_session(site: Site) -> None:
    browser = await site.signed_in("alice")
    cookie = browser.client.cookies.get("atrium_session")
    response = await browser.post("/auth/sign_out")
    assert response.status_code == 303 and response.headers["location"] == "/auth/sign_in"
    # The old cookie no longer opens anything, even if replayed
    replay = site.browser()
    replay.client.cookies.set("atrium_session", cookie or "", domain="paris.test")
    assert (await replay.get("/")).status_code == 303


async def test_one_time_password_forces_a_password_change_first(site: Site) -> None:
    # Given an account made with a one-time password (like the first admin of `atrium serve`)
    created = await create_account(site.ctx, "newbie", generate=True)
    browser = site.browser()
    response = await browser.sign_in("newbie", created.password or "")
    assert response.headers["location"] == "/auth/password"
    # Every page leads to the password form until a new password is chosen
    assert (await browser.get("/")).headers["location"] == "/auth/password"
    short = await browser.post("/auth/password", {"new_password": "short", "confirm_password": "short"},
                               csrf_from="/auth/password")
    assert short.status_code == 422
    done = await browser.post("/auth/password", {"new_password": "a much better secret", "confirm_password":
                                                 "a much better secret"}, csrf_from="/auth/password")
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert (await browser.get("/")).status_code == 200
    user = await account_store.get_user_by_account(site.ctx.db, created.account_id)
    assert user is not None and user["must_change_password"] == 0


async def test_invite_creates_an_account_and_signs_in(site: Site) -> None:
    code = await create_invite(site.ctx, created_by_id=None)
    browser = site.browser()
    form = await browser.get(f"/invite/{code}")
    assert form.status_code == 200 and 'name="username"' in form.text
    response = await browser.post(f"/invite/{code}", {
        "username": "dana", "display_name": "Dana Newcomer", "department": "Engineering", "title": "Intern",
        "manager": "carol", "password": PASSWORD, "confirm_password": PASSWORD}, csrf_from=f"/invite/{code}")
    assert response.status_code == 303
    home = await browser.get("/")
    # The newcomer's empty home suggests their manager and team
    assert "Welcome to" in home.text and "Your manager" in home.text and "Carol Manager" in home.text
    # The invite was for one use only
    again = await site.browser().get(f"/invite/{code}")
    assert again.status_code == 404


async def test_post_without_csrf_token_is_refused(site: Site) -> None:
    browser = await site.signed_in("alice")
    response = await browser.client.post("/statuses", data={"text": "forged", "visibility": "public"})
    assert response.status_code == 403
    wrong = await browser.post("/statuses", {"text": "forged"}, csrf="0" * 64)
    assert wrong.status_code == 403
    count = await site.ctx.db.fetchval("SELECT COUNT(*) FROM statuses WHERE source_text = 'forged'")
    assert count == 0


async def test_post_from_another_origin_is_refused_even_with_a_token(site: Site) -> None:
    browser = await site.signed_in("alice")
    response = await browser.post("/statuses", {"text": "cross-site"}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403


async def test_csrf_token_of_one_session_does_not_work_in_another(site: Site) -> None:
    alice = await site.signed_in("alice")
    carol = await site.signed_in("carol")
    token = await alice.csrf("/")
    response = await carol.post("/statuses", {"text": "borrowed token"}, csrf=token)
    assert response.status_code == 403


async def test_sign_in_form_itself_needs_its_csrf_token(site: Site) -> None:
    response = await site.browser().client.post("/auth/sign_in", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 403


async def test_cookies_are_secure_over_https(tmp_path: object) -> None:
    from pathlib import Path

    import httpx

    from server.app import create_app
    from server.config import load_settings

    from .conftest import seed

    base = Path(str(tmp_path))
    settings = load_settings({
        "ATRIUM_DOMAIN": "paris.test", "ATRIUM_SCHEME": "https", "ATRIUM_DATA_DIR": str(base / "data"),
        "ATRIUM_DATABASE_URL": f"sqlite:///{base / 'data' / 'atrium.db'}", "ATRIUM_RUN_WORKERS": "false",
    })
    app = create_app(settings, run_subsystems=False)
    async with app.router.lifespan_context(app):
        await seed(app.state.ctx)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://paris.test") as client:
            page = await client.get("/auth/sign_in")
            assert "Secure" in page.headers["set-cookie"]
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            response = await client.post("/auth/sign_in", data={"csrf_token": token, "username": "alice",
                                                                "password": PASSWORD},
                                         headers={"Origin": "https://paris.test"})
            assert response.status_code == 303
            session_cookie = next(v for k, v in response.headers.multi_items()
                                  if k == "set-cookie" and v.startswith("atrium_session="))
            assert "Secure" in session_cookie and "HttpOnly" in session_cookie


async def test_a_session_left_unused_for_30_days_ends(site: Site) -> None:
    browser = await site.signed_in("alice")
    month_ago = 31 * 86_400_000
    await site.ctx.db.execute("UPDATE web_sessions SET last_seen_at = last_seen_at - ?", (month_ago,))
    assert (await browser.get("/")).status_code == 303
    # And it is no longer listed among her sessions: only the new one is
    listing = (await (await site.signed_in("alice")).get("/settings/sessions")).text
    assert listing.count("/revoke") == 1


async def test_a_session_in_use_is_extended(site: Site) -> None:
    browser = await site.signed_in("alice")
    await site.ctx.db.execute("UPDATE web_sessions SET last_seen_at = last_seen_at - ?", (10 * 60_000,))
    response = await browser.get("/")
    assert response.status_code == 200
    assert any(v.startswith("atrium_session=") for k, v in response.headers.multi_items() if k == "set-cookie")
