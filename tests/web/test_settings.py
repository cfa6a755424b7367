"""Settings: profile with avatar, password, sessions, apps, language."""

from __future__ import annotations

import io

from PIL import Image

from .conftest import PASSWORD, Browser, Site


def png(width: int = 600, height: int = 300) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 200)).save(out, format="PNG")
    return out.getvalue()


async def test_profile_update_with_avatar(site: Site, alice: Browser) -> None:
    response = await alice.post("/settings/profile", {
        "display_name": "Alice M.", "title": "Senior Developer", "department": "Platform", "location": "Lyon",
        "manager": "carol", "note": "I build the #platform", "discoverable": "on"},
        csrf_from="/settings/profile", files={"avatar": ("me.png", png(), "image/png")})
    assert response.status_code == 303
    page = (await alice.get("/@alice")).text
    assert "Alice M." in page and "Senior Developer" in page and "Platform" in page and "Lyon" in page
    avatar = page.split('class="avatar big" src="', 1)[1].split('"', 1)[0]
    assert avatar.startswith("/media/avatars/") and avatar.endswith(".webp")
    image = await alice.get(avatar)
    assert image.status_code == 200 and image.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(image.content)).size == (400, 400)


async def test_avatar_that_is_not_an_image_is_refused(site: Site, alice: Browser) -> None:
    response = await alice.post("/settings/profile", {"display_name": "Alice"}, csrf_from="/settings/profile",
                                files={"avatar": ("evil.png", b"<svg onload=alert(1)>", "image/png")})
    assert response.status_code == 422 and "JPEG, PNG, GIF or WebP image" in response.text


async def test_unknown_manager_is_refused(site: Site, alice: Browser) -> None:
    response = await alice.post("/settings/profile", {"display_name": "Alice", "manager": "ghost"},
                                csrf_from="/settings/profile")
    assert response.status_code == 422 and "There is no colleague called ghost here." in response.text


async def test_password_change_signs_out_other_sessions(site: Site, alice: Browser) -> None:
    elsewhere = await site.signed_in("alice")
    wrong = await alice.post("/settings/password", {"current_password": "nope", "new_password": "another good one",
                                                    "confirm_password": "another good one"}, csrf_from="/settings/password")
    assert wrong.status_code == 422
    response = await alice.post("/settings/password", {"current_password": PASSWORD, "new_password": "another good one",
                                                       "confirm_password": "another good one"}, csrf_from="/settings/password")
    assert response.status_code == 303
    assert (await alice.get("/")).status_code == 200
    assert (await elsewhere.get("/")).status_code == 303
    assert (await site.browser().sign_in("alice", "another good one")).status_code == 303


async def test_sessions_list_and_revoke(site: Site, alice: Browser) -> None:
    other = await site.signed_in("alice", **{"User-Agent": "PhoneBrowser/1.0"})
    page = (await alice.get("/settings/sessions")).text
    assert "PhoneBrowser/1.0" in page and "This browser" in page
    session_id = await site.ctx.db.fetchval(
        "SELECT id FROM web_sessions WHERE user_agent = 'PhoneBrowser/1.0' AND revoked_at IS NULL")
    response = await alice.post(f"/settings/sessions/{session_id}/revoke", csrf_from="/settings/sessions")
    assert response.status_code == 303
    assert (await other.get("/")).status_code == 303
    # Someone else's session id is not theirs to revoke
    carol = await site.signed_in("carol")
    mine = await site.ctx.db.fetchval(
        "SELECT s.id FROM web_sessions s JOIN accounts a ON a.id = s.account_id WHERE a.username = 'alice'"
        " AND s.revoked_at IS NULL")
    assert (await carol.post(f"/settings/sessions/{mine}/revoke", csrf_from="/settings/sessions")).status_code == 404


async def test_authorized_apps_empty_state(site: Site, alice: Browser) -> None:
    assert "No app has access to your account." in (await alice.get("/settings/apps")).text


async def test_switching_to_french(site: Site, alice: Browser) -> None:
    response = await alice.post("/settings/language", {"locale": "fr"}, csrf_from="/settings/language")
    assert response.status_code == 303
    page = (await alice.get("/settings/language")).text
    assert '<html lang="fr">' in page and "Langue enregistrée." in page
    home = (await alice.get("/")).text
    assert "Accueil" in home and "Nouvelle publication" in home and "Home" not in home
    # And back to the browser's language
    await alice.post("/settings/language", {"locale": ""}, csrf_from="/settings/language")
    assert '<html lang="en">' in (await alice.get("/")).text
