"""Timeline items are rendered once per version and reused across pages (webui/render.py): a profile
edit, a like or an edit shows on the very next page, and one reader's flags never show on another's."""

from __future__ import annotations

import re

import pytest

from server.services.statuses import PostInput, create_status
from storage import accounts as account_store
from storage.hydrate import StatusBundle
from tests.webui.test_render import account, status
from webui import render, templating

from .conftest import Browser, Site


async def carol_posts(site: Site, text: str) -> int:
    account = await account_store.get_local_by_username(site.ctx.db, "carol")
    assert account is not None
    return await create_status(site.ctx, account, PostInput(text=text))


def item(html: str, status_id: int) -> str:
    return html.split(f'id="s-{status_id}"', 1)[1].split("</article>", 1)[0]


async def test_a_profile_edit_shows_on_the_next_page(site: Site, alice: Browser) -> None:
    carol = await site.signed_in("carol")
    await alice.post("/@carol/follow", csrf_from="/@carol")
    posted = await carol_posts(site, "Roadmap review on Thursday")
    for _ in range(2):   # the second page reuses the rendered item
        assert "Carol Manager" in item((await alice.get("/")).text, posted)
    assert any(key[0] for key in render._VIEWS.values())
    response = await carol.post("/settings/profile", {"display_name": "Carol the VP", "title": "VP Engineering"},
                                csrf_from="/settings/profile")
    assert response.status_code == 303
    shown = item((await alice.get("/")).text, posted)
    assert "Carol the VP" in shown and "VP Engineering" in shown and "Carol Manager" not in shown


async def test_likes_and_edits_show_at_once_and_flags_stay_per_reader(site: Site, alice: Browser) -> None:
    await alice.post("/@carol/follow", csrf_from="/@carol")
    admin = await site.signed_in("admin")
    await admin.post("/@carol/follow", csrf_from="/@carol")
    posted = await carol_posts(site, "Lunch and learn at noon")
    assert 'class="n"' not in item((await alice.get("/")).text, posted).split('class="act like"', 1)[1]
    liked = await alice.post(f"/statuses/{posted}/favourite", json=True)
    assert liked.json()["favourited"] is True
    mine = item((await alice.get("/")).text, posted)
    assert f'action="/statuses/{posted}/unfavourite"' in mine and '<span class="n">1</span></button>' in mine
    theirs = item((await admin.get("/")).text, posted)
    assert f'action="/statuses/{posted}/favourite"' in theirs and '<span class="n">1</span></button>' in theirs
    carol = await site.signed_in("carol")
    edited = await carol.post(f"/statuses/{posted}/edit", {"text": "Lunch and learn moved to 1pm"},
                              csrf_from=f"/@carol/{posted}/edit")
    assert edited.status_code == 303, edited.text
    shown = item((await alice.get("/")).text, posted)
    assert "moved to 1pm" in shown and 'class="edited"' in shown and "unfavourite" in shown


def test_relative_times_read_as_babel_writes_them() -> None:
    now = 1_800_000_000_000
    for locale in ("en", "fr"):
        rc = render.RenderContext(locale=locale, now_ms=now)
        for seconds in (-50, -89, -90, -91, -3599, -3600, -5399, -5400, -86_399, -86_400 * 6.5, -86_400 * 29,
                        -86_400 * 45, -86_400 * 364, -86_400 * 800, 120, 7_200):
            ms = now + int(seconds * 1000)
            expected = render.format_timedelta(render.timedelta(milliseconds=ms - now),
                                               locale=render.i18n.babel_locale(locale), add_direction=True,
                                               threshold=1.0)
            assert render.relative(ms, rc) == expected


async def test_each_reader_posts_their_own_csrf_token_from_shared_items(site: Site, alice: Browser) -> None:
    admin = await site.signed_in("admin")
    for reader in (alice, admin):
        await reader.post("/@carol/follow", csrf_from="/@carol")
    posted = await carol_posts(site, "Town hall questions welcome")
    tokens = {}
    for name, reader in (("alice", alice), ("admin", admin)):
        html = (await reader.get("/")).text
        page_token = re.search(r'data-csrf="([^"]+)"', html)
        assert page_token is not None
        assert set(re.findall(r'name="csrf_token" value="([^"]+)"', item(html, posted))) == {page_token.group(1)}
        tokens[name] = page_token.group(1)
    assert tokens["alice"] != tokens["admin"]
    liked = await alice.post(f"/statuses/{posted}/favourite", csrf=tokens["alice"])
    assert liked.status_code == 303


def test_the_shared_views_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "MAX_VIEWS", 16)
    monkeypatch.setattr(render, "_VIEWS", {})
    rc = render.RenderContext(locale="en", now_ms=1_760_000_000_000, viewer_id=1)
    for status_id in range(1, 200):
        view = render.status_view(StatusBundle(status=status(id=status_id, content=f"<p>n{status_id}</p>"),
                                               account=account()), rc)
        assert f"n{status_id}" in view.content
    assert len(render._VIEWS) <= 16


@pytest.mark.parametrize("signed_in", [True, False])
def test_an_item_reads_the_same_from_its_parts_as_from_the_macro(signed_in: bool) -> None:
    rc = render.RenderContext(locale="fr", now_ms=1_760_000_000_000, viewer_id=1)
    bob = account(display_name="Bob <b>&</b>", title="Lead")
    views = [
        render.status_view(StatusBundle(status=status(id=901, spoiler_text="CW <x>", visibility="company",
                                                      edited_at=1_759_000_000_000, favourites_count=3),
                                        account=bob, favourited=True), rc),
        render.status_view(StatusBundle(status=status(id=902, reblog_of_id=903), account=account(id=8, username="eve"),
                                        reblog=StatusBundle(status=status(id=903), account=bob)), rc),
    ]
    context = {"me": 1 if signed_in else None, "csrf": "tok&en"}
    macros = render.templating.environment("fr").get_template("_status.html").make_module(context)
    for view in views:
        assert str(view.item_html("tok&en", context["me"])) == str(macros.status(view))


@pytest.mark.parametrize("locale", ["en", "fr"])
@pytest.mark.parametrize("media_enabled", [True, False])
def test_the_home_compose_form_reads_as_the_macro_renders_it(locale: str, media_enabled: bool) -> None:
    options = {"visibilities": ("public", "company", "followers"), "poll_durations": (300, 86400),
               "poll_slots": range(3), "media_enabled": media_enabled}
    macros = templating.environment(locale).get_template("_compose.html").make_module({"csrf": "t&k", **options})
    expected = str(macros.compose({"visibility": "public", "text": "", "spoiler_text": ""}, compact=True))
    for _ in range(2):   # the second comes from the cache
        assert str(templating.home_compose(locale, "t&k", **options)) == expected
    assert 'value="t&amp;k"' in expected
    assert 'value="other"' in str(templating.home_compose(locale, "other", **options))
