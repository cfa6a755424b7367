"""Admin pages: only for admins; users, invites, reports, peers."""

from __future__ import annotations

from .conftest import Browser, Site


async def test_admin_pages_are_refused_to_employees(site: Site, alice: Browser) -> None:
    for path in ("/admin/users", "/admin/invites", "/admin/reports", "/admin/peers"):
        assert (await alice.get(path)).status_code == 403
    assert (await alice.post("/admin/invites", {"max_uses": "1", "days": "7"})).status_code == 403
    assert 'href="/admin/users"' not in (await alice.get("/")).text


async def test_admin_sees_users_and_creates_an_invite(site: Site) -> None:
    admin = await site.signed_in("admin")
    users = (await admin.get("/admin/users")).text
    assert "@alice" in users and "@carol" in users and "atrium.internal" not in users
    response = await admin.post("/admin/invites", {"max_uses": "3", "days": "0"}, csrf_from="/admin/invites")
    assert response.status_code == 303
    invites = (await admin.get("/admin/invites")).text
    assert "http://paris.test/invite/" in invites and "0 / 3" in invites
    for path in ("/admin/reports", "/admin/peers"):
        assert (await admin.get(path)).status_code == 200
