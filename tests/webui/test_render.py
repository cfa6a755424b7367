"""Rendering rows for templates: HTML from anywhere is sanitized before it is marked safe, names
and warnings are one clean line, times read in the reader's language."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from storage.hydrate import StatusBundle
from webui.render import RenderContext, account_view, relative, status_view

NOW = 1_760_000_000_000


def account(**values: Any) -> dict[str, Any]:
    row = {
        "id": 7, "uri": "https://lyon.example/users/bob", "username": "bob", "domain": "lyon.example",
        "display_name": "Bob", "note": "", "url": "https://lyon.example/@bob", "avatar_path": None,
        "avatar_remote_url": None, "locked": 0, "bot": 0, "fields": "[]", "department": None, "title": None,
        "location": None, "pronouns": None, "followers_count": 0, "following_count": 0, "statuses_count": 0,
    }
    row.update(values)
    return row


def status(**values: Any) -> dict[str, Any]:
    row = {
        "id": 42, "uri": "https://lyon.example/users/bob/statuses/1", "url": None, "account_id": 7, "local": 0,
        "visibility": "public", "in_reply_to_id": None, "reblog_of_id": None, "content": "<p>hi</p>",
        "spoiler_text": "", "sensitive": 0, "created_at": NOW - 3 * 3600 * 1000, "edited_at": None,
        "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "poll_id": None,
    }
    row.update(values)
    return row


RC = RenderContext(locale="en", now_ms=NOW, viewer_id=1)


def test_remote_html_is_sanitized_before_it_is_marked_safe() -> None:
    bundle = StatusBundle(status=status(content='<p onclick="x()">hi<script>alert(1)</script>'
                                               '<a href="javascript:alert(2)">link</a><img src=x onerror=y></p>'),
                          account=account())
    html = str(status_view(bundle, RC).content)
    assert "script" not in html and "onclick" not in html and "javascript:" not in html and "onerror" not in html
    assert "hi" in html and "link" in html


def test_remote_post_links_to_its_page_here_and_keeps_its_warning_as_text() -> None:
    bundle = StatusBundle(status=status(spoiler_text="<b>spoilers</b>\u202e\n  ahead"), account=account())
    view = status_view(bundle, RC)
    assert view.path == "/@bob@lyon.example/42"
    assert view.spoiler == "<b>spoilers</b> ahead"   # plain text: the template escapes it
    assert view.author.acct == "@bob@lyon.example" and not view.author.local


def test_remote_avatar_over_plain_http_falls_back_to_the_default() -> None:
    def fresh() -> RenderContext:   # views are kept per page (per RenderContext) by account id
        return RenderContext(locale="en", now_ms=NOW)

    assert account_view(account(avatar_remote_url="http://lyon.example/a.png"), fresh()).avatar == "/static/avatar.svg"
    assert account_view(account(avatar_remote_url="https://lyon.example/a.png"), fresh()).avatar == \
        "https://lyon.example/a.png"
    assert account_view(account(domain=None, avatar_path="avatars/7-x.webp"), fresh()).avatar == "/media/avatars/7-x.webp"


def test_relative_times_in_english_and_french() -> None:
    assert relative(NOW - 3 * 3600 * 1000, RC) == "3 hours ago"
    assert relative(NOW - 3 * 3600 * 1000, RenderContext(locale="fr", now_ms=NOW)) == "il y a 3 heures"
    assert relative(NOW - 5_000, RC) == "just now"


def test_boost_shows_the_original_with_who_boosted() -> None:
    original = StatusBundle(status=status(), account=account())
    boost = StatusBundle(status=status(id=43, reblog_of_id=42, content=""), account=account(id=1, username="alice",
                                                                                             domain=None, display_name="Alice"),
                         reblog=original)
    view = status_view(boost, RC)
    assert view.id == 42 and view.item_id == 43
    assert view.boosted_by is not None and view.boosted_by.name == "Alice"


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from(list("<>\"'=/ ascriptonerrorjavhefimg:&#;x(){}")), max_size=200))
def test_no_markup_from_hostile_content_survives(content: str) -> None:
    rc = RenderContext(locale="en", now_ms=NOW, viewer_id=1)
    view = status_view(StatusBundle(status=status(content=content), account=account(display_name=content)), rc)
    html = str(view.content).lower()
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert "\n" not in view.author.name and view.author.name == view.author.name.strip()
