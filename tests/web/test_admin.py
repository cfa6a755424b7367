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


async def test_admin_adds_suspends_and_removes_a_company_instance(site: Site, alice: Browser) -> None:
    admin = await site.signed_in("admin")
    added = await admin.post("/admin/peers", {"domain": "Lyon.Example.com", "address": "10.0.2.5:443"},
                             csrf_from="/admin/peers")
    assert added.status_code == 303
    page = (await admin.get("/admin/peers")).text
    assert "lyon.example.com" in page and "Suspend" in page
    ctx = site.app.state.ctx
    assert ctx.instance.policy.allow("lyon.example.com")
    await admin.post("/admin/peers/lyon.example.com/suspend", {}, csrf_from="/admin/peers")
    assert not ctx.instance.policy.allow("lyon.example.com")
    assert "Unsuspend" in (await admin.get("/admin/peers")).text
    await admin.post("/admin/peers/lyon.example.com/remove", {}, csrf_from="/admin/peers")
    assert "lyon.example.com" not in (await admin.get("/admin/peers")).text
    refused = await admin.post("/admin/peers", {"domain": "not a host"}, csrf_from="/admin/peers")
    assert refused.status_code == 303  # back to the page with the reason shown
    assert "not a host name" in (await admin.get("/admin/peers")).text
    assert (await alice.post("/admin/peers", {"domain": "evil.example.com"})).status_code == 403
    assert not ctx.instance.policy.allow("evil.example.com")
