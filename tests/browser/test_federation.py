"""Two offices, two instances: alice in Paris follows bob in Lyon, and his reply to her post
reaches her as a notification — all through the web UI of real `atrium serve` processes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.rig import Instance, UserSpec, free_port, start_instance

from .conftest import new_context, screenshot, sign_in


@pytest.fixture(scope="module")
def offices(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, Instance]]:
    base = tmp_path_factory.mktemp("federation")
    paris_port, lyon_port = free_port(), free_port()
    peers = f"127.0.0.1:{paris_port},127.0.0.1:{lyon_port}"
    env = {"ATRIUM_PEERS": peers}
    paris = start_instance("paris", base, users=[UserSpec("alice", display_name="Alice Martin")], env=env,
                           port=paris_port, start=False)
    lyon = start_instance("lyon", base, users=[UserSpec("bob", display_name="Bob in Lyon")], env=env,
                          port=lyon_port, start=False)
    for me, other in ((paris, lyon), (lyon, paris)):
        me.cli("peers", "add", other.domain, "--cidr", "127.0.0.0/8")
    paris.start()
    lyon.start()
    yield paris, lyon
    paris.stop()
    lyon.stop()


def _find_and_follow(page: Page, home: Instance, other: Instance, username: str) -> None:
    page.get_by_label("Search people, posts and hashtags").fill(f"@{username}@{other.domain}")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/@{username}@127\.0\.0\.1(:|%3A){other.port}$"))
    page.get_by_role("button", name="Follow").click()
    expect(page.get_by_role("button", name=re.compile("Unfollow|Cancel request"))).to_be_visible()
    # The Accept comes back over federation: the button settles on Unfollow
    for _ in range(30):
        if page.get_by_role("button", name="Unfollow").count():
            return
        page.wait_for_timeout(500)
        page.reload()
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()


def test_follow_a_colleague_on_another_instance_and_get_their_reply(offices: tuple[Instance, Instance],
                                                                   chromium: Browser) -> None:
    paris, lyon = offices
    alice_ctx, bob_ctx = new_context(chromium), new_context(chromium)
    alice, bob = alice_ctx.new_page(), bob_ctx.new_page()
    sign_in(alice, paris, "alice")
    sign_in(bob, lyon, "bob")
    _find_and_follow(alice, paris, lyon, "bob")
    _find_and_follow(bob, lyon, paris, "alice")
    screenshot(alice, "remote-profile")
    # Alice posts; it reaches Bob's home in Lyon
    alice.goto(paris.url("/"))
    alice.get_by_label("Your post").fill("Who in Lyon knows the new badge system?")
    alice.get_by_role("button", name="Publish").click()
    bob.goto(lyon.url("/"))
    post = bob.locator("article.status", has_text="new badge system")
    for _ in range(30):
        if post.count():
            break
        bob.wait_for_timeout(500)
        bob.reload()
    post.locator("a.reply").click()
    bob.get_by_label("Your post").fill(f"@alice@{paris.domain} I do, ask me anything")
    bob.get_by_role("button", name="Reply").click()
    # Bob's reply reaches Alice as a notification
    for _ in range(30):
        alice.goto(paris.url("/notifications"))
        if alice.locator(".note.mention", has_text="Bob in Lyon").count():
            break
        alice.wait_for_timeout(500)
    mention = alice.locator(".note.mention", has_text="Bob in Lyon")
    expect(mention).to_contain_text("mentioned you")
    expect(mention).to_contain_text("I do, ask me anything")
    expect(alice.locator(".note.follow", has_text="Bob in Lyon")).to_contain_text("followed you")
    screenshot(alice, "notifications-federated")
    alice_ctx.close()
    bob_ctx.close()
