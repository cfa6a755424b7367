"""Every main page, signed in as an employee: no serious or critical accessibility violation
(axe-core, WCAG 2 A/AA), in light and dark themes and on a phone; a screenshot of each for people
to look at. And the first administrator's one-time password leads to a password change first."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.rig import Instance

from .conftest import axe_violations, new_context, screenshot, sign_in

PAGES = [
    ("home", "/"), ("local", "/local"), ("company", "/company"), ("notifications", "/notifications"),
    ("bookmarks", "/bookmarks"), ("directory", "/directory"), ("search", "/search?q=team"), ("profile-alice", "/@alice"),
    ("followers", "/@carol/followers"), ("tag", "/tags/team"), ("compose", "/compose"), ("settings-profile", "/settings/profile"),
    ("settings-sessions", "/settings/sessions"), ("settings-apps", "/settings/apps"), ("settings-language", "/settings/language"),
    ("follow-requests", "/follow_requests"),
]


@pytest.fixture(scope="module")
def seeded(paris: Instance, chromium: Browser) -> Instance:
    """Some life on the instance: posts with a warning, a poll, a reply, likes, a follow."""
    context = new_context(chromium)
    carol = context.new_page()
    sign_in(carol, paris, "carol")
    carol.get_by_label("Your post").fill("Welcome to the #team, everyone! Our weekly sync is on Thursday.")
    carol.get_by_role("button", name="Publish").click()
    carol.wait_for_url(paris.url("/"))
    carol.get_by_label("Your post").fill("Where should the #team offsite be?")
    carol.locator("summary", has_text="Poll").click()
    carol.get_by_label("Option 1").fill("Lyon")
    carol.get_by_label("Option 2").fill("Montréal")
    carol.get_by_role("button", name="Publish").click()
    carol.wait_for_url(paris.url("/"))
    context.close()
    context = new_context(chromium)
    alice = context.new_page()
    sign_in(alice, paris, "alice")
    alice.goto(paris.url("/@carol"))
    alice.get_by_role("button", name="Follow").click()
    expect(alice.get_by_role("button", name="Unfollow")).to_be_visible()
    alice.goto(paris.url("/"))
    alice.get_by_label("Your post").fill("Incident review notes for the #team")
    alice.locator("summary", has_text="Content warning").click()
    alice.get_by_label("Warning shown before the post").fill("Outage details")
    alice.get_by_label("Who can see it").select_option("company")
    alice.get_by_role("button", name="Publish").click()
    alice.wait_for_url(paris.url("/"))
    alice.locator("article.status", has_text="Welcome to the").locator("button.like").click()
    expect(alice.locator("article.status", has_text="Welcome to the").locator("button.like")).to_have_attribute(
        "aria-pressed", "true")
    context.close()
    # Carol answers: alice has notifications to read
    context = new_context(chromium)
    carol = context.new_page()
    sign_in(carol, paris, "carol")
    carol.goto(paris.url("/company"))
    post = carol.locator("article.status", has_text="Outage details")
    post.locator("button.like").click()
    expect(post.locator("button.like")).to_have_attribute("aria-pressed", "true")
    post.locator("a.when").click()
    carol.get_by_label("Your post").fill("@alice thanks for the clear write-up, let's discuss it on Thursday")
    carol.get_by_role("button", name="Reply").click()
    # The reply lands back on the thread, under the post it answers
    carol.wait_for_url(re.compile(r".*/@alice/\d+$"))
    expect(carol.locator(".thread.after")).to_contain_text("thanks for the clear write-up")
    screenshot(carol, "thread")
    context.close()
    return paris


@pytest.fixture
def alice_page(seeded: Instance, chromium: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    options = getattr(request, "param", {})
    context: BrowserContext = new_context(chromium, bypass_csp=False, **options)
    page = context.new_page()
    sign_in(page, seeded, "alice")
    yield page
    context.close()


@pytest.mark.parametrize("alice_page", [{}, {"color_scheme": "dark"}], indirect=True, ids=["light", "dark"])
def test_main_pages_have_no_serious_accessibility_violations(seeded: Instance, alice_page: Page) -> None:
    scheme = alice_page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    refused: list[str] = []
    alice_page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    problems = {}
    for name, path in PAGES:
        alice_page.goto(seeded.url(path))
        expect(alice_page.locator("main")).to_be_visible()
        screenshot(alice_page, f"{name}{'-dark' if scheme else ''}")
        found = axe_violations(alice_page)
        if found:
            problems[path] = found
    assert not problems
    # Nothing on any page needed an inline script or style: the strict CSP refused nothing
    assert not refused


def test_a_post_page_and_the_sign_in_page_are_accessible(seeded: Instance, chromium: Browser) -> None:
    context = new_context(chromium)
    page = context.new_page()
    page.goto(seeded.url("/auth/sign_in"))
    screenshot(page, "sign-in")
    assert not axe_violations(page)
    sign_in(page, seeded, "alice")
    page.goto(seeded.url("/@carol"))
    page.locator("article.status", has_text="offsite").locator("a.when").click()
    expect(page.locator("article.focus")).to_contain_text("offsite")
    page.get_by_label("Montréal").check()
    page.get_by_role("button", name="Vote").click()
    expect(page.locator("article.focus .poll-meta")).to_contain_text("1 person voted")
    screenshot(page, "post-with-poll")
    assert not axe_violations(page)
    context.close()


def test_phone_layout(seeded: Instance, chromium: Browser) -> None:
    context = new_context(chromium, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, seeded, "alice")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_visible()
    box = nav.bounding_box()
    assert box is not None and box["y"] > 700, "the main navigation sits at the bottom on a phone"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "nothing overflows sideways"
    screenshot(page, "home-phone", full_page=False)
    assert not axe_violations(page)
    # What the bottom bar has no room for is one tap away
    nav.get_by_role("link", name="More").click()
    expect(page.get_by_role("link", name="Settings")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    screenshot(page, "menu-phone", full_page=False)
    assert not axe_violations(page)
    context.close()


def test_keyboard_reaches_the_skip_link_then_the_content(seeded: Instance, chromium: Browser) -> None:
    context = new_context(chromium)
    page = context.new_page()
    sign_in(page, seeded, "alice")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    context.close()


def test_first_admin_must_change_the_one_time_password(paris: Instance, chromium: Browser) -> None:
    found = re.search(r"password: (\S+)", paris.log())
    assert found, "atrium serve prints the first admin's one-time password"
    context = new_context(chromium)
    page = context.new_page()
    sign_in(page, paris, "admin", found.group(1))
    expect(page).to_have_url(paris.url("/auth/password"))
    page.goto(paris.url("/"))
    expect(page).to_have_url(paris.url("/auth/password"))
    page.get_by_label("New password", exact=True).fill("an admin secret for tests")
    page.get_by_label("New password again").fill("an admin secret for tests")
    page.get_by_role("button", name="Save the password").click()
    expect(page).to_have_url(paris.url("/"))
    page.get_by_role("link", name="Administration").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    screenshot(page, "admin-users")
    assert not axe_violations(page)
    context.close()
