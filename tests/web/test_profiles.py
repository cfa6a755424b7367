"""Profiles with employee fields and org chart; following, and the locked-account request flow."""

from __future__ import annotations

from .conftest import Browser, Site


async def test_profile_shows_department_title_manager_and_location(site: Site, alice: Browser) -> None:
    page = (await alice.get("/@alice")).text
    assert "<h1 id=\"profile-name\">Alice Martin</h1>" in page
    for fact in ("Developer", "Engineering", "Paris", 'href="/@carol">Carol Manager</a>'):
        assert fact in page
    manager = (await alice.get("/@carol")).text
    assert "Direct reports" in manager and "Alice Martin" in manager


async def test_unknown_profile_is_404(site: Site, alice: Browser) -> None:
    assert (await alice.get("/@nobody")).status_code == 404
    assert (await alice.get("/@someone@elsewhere.example")).status_code == 404


async def test_follow_and_unfollow_an_open_account(site: Site, alice: Browser) -> None:
    response = await alice.post("/@carol/follow", csrf_from="/@carol", headers={"Referer": "http://paris.test/@carol"})
    assert response.status_code == 303 and response.headers["location"] == "/@carol"
    page = (await alice.get("/@carol")).text
    assert 'action="/@carol/unfollow"' in page and '<strong class="followers-count">1</strong>' in page
    assert "Alice Martin" in (await alice.get("/@carol/followers")).text
    assert "Carol Manager" in (await alice.get("/@alice/following")).text
    done = await alice.post("/@carol/unfollow", json=True)
    assert done.json() == {"ok": True, "following": False, "requested": False, "followers_count": 0}


async def test_locked_account_approves_a_follow_request(site: Site, alice: Browser) -> None:
    # When alice asks to follow bob, whose account is locked
    response = await alice.post("/@bob/follow", json=True)
    assert response.json()["requested"] is True and response.json()["following"] is False
    assert "Cancel request" in (await alice.get("/@bob")).text
    # Then bob is notified and sees the request
    bob = await site.signed_in("bob")
    alice_id = await site.ctx.db.fetchval("SELECT id FROM accounts WHERE username = 'alice'")
    notifications = (await bob.get("/notifications")).text
    assert "asked to follow you" in notifications and "1 follow request waits for your answer" in notifications
    assert f'action="/follow_requests/{alice_id}/authorize"' in notifications
    requests = (await bob.get("/follow_requests")).text
    assert "Alice Martin" in requests
    # When he accepts
    accepted = await bob.post(f"/follow_requests/{alice_id}/authorize", csrf_from="/follow_requests")
    assert accepted.status_code == 303
    assert "No pending follow requests." in (await bob.get("/follow_requests")).text
    assert f'action="/follow_requests/{alice_id}/authorize"' not in (await bob.get("/notifications")).text
    # Then alice follows him, and sees his followers-only posts
    assert 'action="/@bob/unfollow"' in (await alice.get("/@bob")).text
    await bob.post("/statuses", {"text": "quarterly numbers, followers only", "visibility": "followers"})
    assert "quarterly numbers" in (await alice.get("/")).text


async def test_declined_request_leaves_no_follow(site: Site, alice: Browser) -> None:
    await alice.post("/@bob/follow", json=True)
    bob = await site.signed_in("bob")
    alice_id = await site.ctx.db.fetchval("SELECT id FROM accounts WHERE username = 'alice'")
    await bob.post(f"/follow_requests/{alice_id}/reject", csrf_from="/follow_requests")
    assert 'action="/@bob/follow"' in (await alice.get("/@bob")).text
    # Answering a request that does not exist is a 404, not a crash
    again = await bob.post(f"/follow_requests/{alice_id}/authorize", csrf_from="/follow_requests")
    assert again.status_code == 404


async def test_cannot_follow_oneself(site: Site, alice: Browser) -> None:
    response = await alice.post("/@alice/follow", json=True)
    assert response.status_code == 422 and response.json()["error"] == "You cannot follow yourself"


async def test_remote_colleague_profile_and_post_pages(site: Site, alice: Browser) -> None:
    # Given a colleague on the Lyon instance that this instance already knows
    from storage import accounts as account_store
    from storage.statuses import NewStatus, create

    async with site.ctx.db.transaction() as tx:
        remote_id = await account_store.upsert_remote(tx, "https://lyon.example/users/bob", "lyon.example", {
            "username": "bob", "display_name": "Bob in Lyon", "url": "https://lyon.example/@bob",
            "department": "Support", "title": "Support lead", "note": "<p>Hi<script>alert(1)</script></p>"})
        status_id = await create(tx, NewStatus(account_id=remote_id, uri="https://lyon.example/users/bob/statuses/1",
                                               visibility="company", local=False, content="<p>Bonjour from Lyon</p>"))
    # When alice opens his profile here
    page = (await alice.get("/@bob@lyon.example")).text
    # Then she sees his employee fields, a sanitized bio, and his company post
    assert "Bob in Lyon" in page and "Support lead" in page and "Support" in page
    assert "<script>" not in page and "Open on their instance" in page
    assert f'href="/@bob@lyon.example/{status_id}"' in page
    post = await alice.get(f"/@bob@lyon.example/{status_id}")
    assert post.status_code == 200 and "Bonjour from Lyon" in post.text
    # And the post's page refuses a mismatched author
    assert (await alice.get(f"/@alice/{status_id}")).status_code == 404
    # Anonymous visitors are not shown remote people
    assert (await site.browser().get("/@bob@lyon.example")).status_code == 303
