"""Real-browser tests: Playwright driving Debian's Chromium (headless) against real `atrium serve`
processes on loopback ports started by tests/rig.py. Screenshots of the main pages are written to
test-output/screenshots/ for a person to look at."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.rig import DEFAULT_PASSWORD, Instance, UserSpec, start_instance

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]

COLLEAGUES = [
    UserSpec("carol", display_name="Carol Manager", department="Engineering", title="Head of Engineering"),
    UserSpec("alice", display_name="Alice Martin", department="Engineering", title="Developer", manager="carol"),
    UserSpec("bob", display_name="Bob Durand", department="Sales", title="Account Executive"),
]


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # Module-scoped, not session-scoped: the sync driver runs an event loop of its own, which must be
    # gone before the asyncio tests of other folders run in this process.
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does it)")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def paris(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    """The Paris office: a real `atrium serve` with colleagues (and the first admin it creates)."""
    instance = start_instance("paris", tmp_path_factory.mktemp("browser"), users=COLLEAGUES)
    yield instance
    instance.stop()


def new_context(chromium: Browser, **options: Any) -> BrowserContext:
    viewport = options.pop("viewport", {"width": 1200, "height": 900})
    context = chromium.new_context(locale=options.pop("locale", "en-GB"), viewport=viewport, **options)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    ctx = new_context(chromium)
    yield ctx
    ctx.close()


@pytest.fixture
def no_js_context(chromium: Browser) -> Iterator[BrowserContext]:
    ctx = new_context(chromium, java_script_enabled=False)
    yield ctx
    ctx.close()


def sign_in(page: Page, instance: Instance, username: str, password: str = DEFAULT_PASSWORD) -> None:
    page.goto(instance.url("/auth/sign_in"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/(auth/password)?$"))


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2 A/AA violations axe-core finds on the page."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa',"
        " 'best-practice']}})).violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


@pytest.fixture
def chromium_context_carol(chromium: Browser, paris: Instance) -> Iterator[Page]:
    """Carol, signed in in a browser of her own."""
    ctx = new_context(chromium)
    page = ctx.new_page()
    sign_in(page, paris, "carol")
    yield page
    ctx.close()
