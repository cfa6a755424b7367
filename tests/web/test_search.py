"""Search: people, posts, hashtags; handles and URLs open what they point to."""

from __future__ import annotations

from .conftest import Browser, Site
from .test_timelines import post_as


async def test_search_finds_people_posts_and_hashtags(site: Site, alice: Browser) -> None:
    await post_as(site, "carol", "The #quarterly planning starts Monday")
    await post_as(site, "carol", "secret company plans", visibility="company")
    page = (await alice.get("/search?q=quarterly")).text
    assert "The" in page and 'href="/tags/quarterly"' in page
    people = (await alice.get("/search?q=carol")).text
    assert "Carol Manager" in people


async def test_search_respects_visibility(site: Site, alice: Browser) -> None:
    status_id = await post_as(site, "bob", "bob's followers-only secret", visibility="followers")
    assert status_id
    page = (await alice.get("/search?q=followers-only")).text
    assert "bob&#39;s followers-only secret" not in page and "No posts found." in page


async def test_pasting_a_post_url_or_handle_opens_it(site: Site, alice: Browser) -> None:
    status_id = await post_as(site, "carol", "linkable")
    url = f"http://paris.test/users/carol/statuses/{status_id}"
    response = await alice.get("/search", params={"q": url})
    assert response.status_code == 303 and response.headers["location"] == f"/@carol/{status_id}"
    handle = await alice.get("/search", params={"q": "@carol@paris.test"})
    assert handle.status_code == 303 and handle.headers["location"] == "/@carol"
    unknown = await alice.get("/search", params={"q": "@someone@elsewhere.example"})
    assert unknown.status_code == 200 and "Nobody found." in unknown.text
