"""The people directory (with department filter) and the org chart on profiles."""

from __future__ import annotations

from .conftest import Browser, Site


async def test_directory_lists_colleagues_and_filters_by_department(site: Site, alice: Browser) -> None:
    everyone = (await alice.get("/directory")).text
    for name in ("Alice Martin", "Bob Locked", "Carol Manager"):
        assert name in everyone
    assert "atrium.internal" not in everyone
    engineering = (await alice.get("/directory?department=Engineering")).text
    assert "Alice Martin" in engineering and "Carol Manager" in engineering and "Bob Locked" not in engineering
    assert '<option selected>Engineering</option>' in engineering


async def test_directory_search_by_title(site: Site, alice: Browser) -> None:
    page = (await alice.get("/directory?q=head+of")).text
    assert "Carol Manager" in page and '<span class="acct">@alice</span>' not in page
    nobody = (await alice.get("/directory?q=zzzz")).text
    assert "Nobody matches." in nobody
