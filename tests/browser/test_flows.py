"""What an employee does in a real browser, with JavaScript on (actions in place) and off
(plain forms and redirects): sign in, post behind a content warning, like and boost, follow,
load more, switch to French, search the directory. Each main page is screenshotted and checked
with axe-core."""

from __future__ import annotations

import re

from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.rig import Instance

from .conftest import screenshot, sign_in


def publish(page: Page, text: str, *, warning: str = "", visibility: str = "") -> None:
    page.get_by_label("Your post").fill(text)
    if warning:
        page.locator("summary", has_text="Content warning").click()
        page.get_by_label("Warning shown before the post").fill(warning)
    if visibility:
        page.get_by_label("Who can see it").select_option(visibility)
    page.get_by_role("button", name="Publish").click()


def article(page: Page, text: str) -> Locator:
    return page.locator("article.status", has_text=text).first


def test_sign_in_post_with_content_warning_and_see_it_collapsed(paris: Instance, context: BrowserContext) -> None:
    page = context.new_page()
    sign_in(page, paris, "alice")
    # A newcomer's home suggests her manager and team
    expect(page.get_by_role("heading", name=re.compile("Welcome to"))).to_be_visible()
    expect(page.locator(".welcome .person", has_text="Carol Manager")).to_contain_text("Your manager")
    screenshot(page, "home-empty")
    publish(page, "Release notes for the #atrium pilot: all green", warning="Long read", visibility="company")
    page.wait_for_url(paris.url("/"))
    post = article(page, "Long read")
    expect(post.locator("summary")).to_contain_text("Long read")
    expect(post.locator(".content")).to_be_hidden()
    expect(post.locator(".vis")).to_have_text("Company only")
    post.locator("summary").click()
    expect(post.locator(".content")).to_contain_text("Release notes for the")
    screenshot(page, "home")


def test_like_boost_and_follow_happen_in_place_with_javascript(paris: Instance, context: BrowserContext,
                                                              chromium_context_carol: Page) -> None:
    carol = chromium_context_carol
    publish(carol, "Coffee machine on floor 3 is fixed")
    carol.wait_for_url(paris.url("/"))
    page = context.new_page()
    sign_in(page, paris, "alice")
    page.goto(paris.url("/@carol"))
    page.evaluate("window.__stayed = true")
    follow = page.locator(".follow-form button")
    follow.click()
    expect(follow).to_have_text("Unfollow")
    expect(page.locator(".followers-count")).to_have_text(re.compile(r"[1-9]"))
    screenshot(page, "profile")
    page.goto(paris.url("/"))
    page.evaluate("window.__stayed = true")
    post = article(page, "Coffee machine on floor 3")
    like = post.locator("button.like")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like.locator(".n")).to_have_text("1")
    boost = post.locator("button.boost")
    boost.click()
    expect(boost).to_have_attribute("aria-pressed", "true")
    expect(boost.locator(".n")).to_have_text("1")
    # Nothing reloaded: the marker set before the clicks is still there
    assert page.evaluate("window.__stayed") is True
    # The state is real: a reload shows the same
    page.reload()
    expect(article(page, "Coffee machine on floor 3").locator("button.like")).to_have_attribute("aria-pressed", "true")
    like = article(page, "Coffee machine on floor 3").locator("button.like")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "false")


def test_the_same_flows_work_with_javascript_off(paris: Instance, no_js_context: BrowserContext) -> None:
    page = no_js_context.new_page()
    sign_in(page, paris, "bob")
    publish(page, "Quarterly targets without any script", warning="Numbers inside")
    page.wait_for_url(paris.url("/"))
    expect(page.get_by_role("status")).to_have_text("Your post is published.")
    post = article(page, "Numbers inside")
    expect(post.locator(".content")).to_be_hidden()
    post.locator("summary").click()
    expect(post.locator(".content")).to_be_visible()
    page.goto(paris.url("/@carol"))
    page.get_by_role("button", name="Follow").click()
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()
    page.goto(paris.url("/local"))
    post = article(page, "Quarterly targets without any script")
    post.locator("button.like").click()
    page.wait_for_load_state()
    assert "/local" in page.url
    post = article(page, "Quarterly targets without any script")
    expect(post.locator("button.like")).to_have_attribute("aria-pressed", "true")
    post.locator("button.boost").click()
    expect(article(page, "Quarterly targets without any script").locator("button.boost")).to_have_attribute(
        "aria-pressed", "true")
    screenshot(page, "local-no-js")


def test_load_more_appends_without_losing_or_duplicating(paris: Instance, context: BrowserContext) -> None:
    page = context.new_page()
    sign_in(page, paris, "carol")
    texts = [f"Daily note {n:02d}" for n in range(45)]
    for text in texts:
        page.get_by_label("Your post").fill(text)
        page.get_by_role("button", name="Publish").click()
        page.wait_for_url(paris.url("/"))
    page.goto(paris.url("/local"))
    first_page = page.locator(".feed article").count()
    assert first_page == 20
    # Scrolling to the end loads the next pages by themselves (the link is there for keyboards and no-JS)
    expect(page.locator(".feed article .content", has_text="Daily note 00")).to_have_count(0)
    for _ in range(6):
        page.mouse.wheel(0, 100_000)
        page.wait_for_timeout(300)
    expect(page.locator(".feed article .content", has_text="Daily note 00")).to_have_count(1)
    shown = page.locator(".feed article .content").all_text_contents()
    notes = [t.strip() for t in shown if "Daily note" in t]
    assert sorted(notes) == sorted(texts) and len(notes) == len(set(notes))
    ids = page.eval_on_selector_all(".feed article", "els => els.map(e => e.id)")
    assert len(ids) == len(set(ids))


def test_switching_to_french(paris: Instance, context: BrowserContext) -> None:
    page = context.new_page()
    sign_in(page, paris, "bob")
    page.goto(paris.url("/settings/language"))
    page.get_by_label("Français").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Langue enregistrée.")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("link", name="Accueil").click()
    expect(page.get_by_role("button", name="Publier")).to_be_visible()
    screenshot(page, "home-fr")
    page.goto(paris.url("/settings/language"))
    page.get_by_label("English").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_directory_search(paris: Instance, context: BrowserContext) -> None:
    page = context.new_page()
    sign_in(page, paris, "bob")
    page.get_by_role("link", name="Directory", exact=True).click()
    page.get_by_label("Name, job title or department").fill("engineering")
    page.get_by_role("button", name="Search").click()
    people = page.locator(".directory .person")
    expect(people).to_have_count(2)
    expect(people.first).to_contain_text("Engineering")
    page.get_by_label("Name, job title or department").fill("")
    page.get_by_label("Department", exact=True).select_option("Sales")
    page.get_by_role("button", name="Search").click()
    expect(people).to_have_count(1)
    expect(people.first).to_contain_text("Bob Durand")
    page.goto(paris.url("/directory"))
    screenshot(page, "directory")
    page.get_by_role("link", name="Carol Manager").first.click()
    expect(page.get_by_role("heading", name="Direct reports")).to_be_visible()
    expect(page.get_by_role("link", name="Alice Martin")).to_be_visible()


def test_new_posts_arrive_over_the_stream(paris: Instance, context: BrowserContext,
                                           chromium_context_carol: Page) -> None:
    page = context.new_page()
    sign_in(page, paris, "bob")
    page.goto(paris.url("/@carol"))
    follow = page.locator(".follow-form button")
    if follow.text_content() == "Follow":
        follow.click()
        expect(follow).to_have_text("Unfollow")
    page.goto(paris.url("/"))
    page.evaluate("window.__stayed = true")
    banner = page.locator(".new-posts button")
    expect(banner).to_be_hidden()
    carol = chromium_context_carol
    carol.get_by_label("Your post").fill("Fresh from the streaming endpoint")
    carol.get_by_role("button", name="Publish").click()
    carol.wait_for_url(paris.url("/"))
    # Well before the one-minute fallback poll, the page offers the new post
    expect(banner).to_be_visible(timeout=8_000)
    banner.click()
    expect(page.locator(".feed article").first).to_contain_text("Fresh from the streaming endpoint")
    assert page.evaluate("window.__stayed") is True
