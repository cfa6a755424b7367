"""Home, local, company and hashtag timelines, and paging through them by id cursors."""

from __future__ import annotations

import re

from server.services.statuses import PostInput, create_status
from storage import accounts as account_store

from .conftest import Browser, Site

ITEM = re.compile(r'<article class="status[^"]*" id="s-(\d+)"')
MORE = re.compile(r'<a class="button" href="(\?max_id=\d+)" data-more')


async def post_as(site: Site, username: str, text: str, visibility: str = "public") -> int:
    account = await account_store.get_local_by_username(site.ctx.db, username)
    assert account is not None
    return await create_status(site.ctx, account, PostInput(text=text, visibility=visibility))


async def test_paging_shows_every_post_once_while_new_ones_arrive(site: Site, alice: Browser) -> None:
    # Given 45 posts on the local timeline
    for n in range(45):
        await post_as(site, "carol", f"post number {n}")
    seen: list[str] = []
    url = "/local"
    pages = 0
    while url:
        html = (await alice.get(url)).text
        seen += ITEM.findall(html)
        # New posts arriving between pages must not shift what the next page shows
        await post_as(site, "carol", f"arrived during page {pages}")
        pages += 1
        more = MORE.search(html)
        url = "/local" + more.group(1) if more else ""
    assert pages == 3
    assert len(seen) == 45 == len(set(seen))
    # The script's "new posts" request (min_id) returns exactly those that arrived
    newer = ITEM.findall((await alice.get(f"/local?min_id={seen[0]}")).text)
    assert len(newer) == 3


async def test_home_shows_followed_colleagues_posts(site: Site, alice: Browser) -> None:
    await alice.post("/@carol/follow", csrf_from="/@carol")
    await post_as(site, "carol", "Hello team, welcome aboard")
    await post_as(site, "bob", "Sales numbers are in")
    home = (await alice.get("/")).text
    assert "Hello team, welcome aboard" in home and "Sales numbers are in" not in home


async def test_new_employee_gets_who_to_follow_on_an_empty_home(site: Site, alice: Browser) -> None:
    home = (await alice.get("/")).text
    assert "Your home timeline shows posts from the people you follow." in home
    # Her manager first (carol), then other colleagues (bob, in Sales)
    assert home.index("Carol Manager") < home.index("Your manager") < home.index("Bob Locked")
    assert 'action="/@carol/follow"' in home and 'action="/@bob/follow"' in home


async def test_company_timeline_has_company_posts_and_local_has_only_public(site: Site, alice: Browser) -> None:
    await post_as(site, "carol", "company-wide news", visibility="company")
    await post_as(site, "carol", "public news")
    company = (await alice.get("/company")).text
    local = (await alice.get("/local")).text
    assert "company-wide news" in company and "public news" in company
    assert "company-wide news" not in local and "public news" in local


async def test_hashtag_timeline(site: Site, alice: Browser) -> None:
    await post_as(site, "carol", "Shipping the #Release today")
    await post_as(site, "carol", "nothing tagged")
    page = (await alice.get("/tags/release")).text
    assert "Shipping the" in page and "nothing tagged" not in page
    assert (await alice.get("/tags/nothing-here")).status_code == 200


async def test_home_with_40_posts_weighs_under_100_kb_with_css_and_js(site: Site, alice: Browser) -> None:
    await alice.post("/@carol/follow", csrf_from="/@carol")
    for n in range(40):
        await post_as(site, "carol", f"A typical update number {n} about the #project with a link https://example.com/{n}"
                      " and a few more words so that it looks like a real post from a colleague.")
    html = (await alice.get("/?limit=40")).content
    css = (await alice.get("/static/atrium.css")).content
    js = (await alice.get("/static/atrium.js")).content
    assert len(ITEM.findall(html.decode())) == 40
    print("home of 40 posts:", len(html), "+", len(css), "+", len(js), "bytes")
    assert len(html) + len(css) + len(js) < 100_000, (len(html), len(css), len(js))
