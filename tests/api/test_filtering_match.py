"""Keyword matching of filters (server/api/filtering.py), without a server: case, whole words,
keywords that start or end with punctuation, HTML, content warnings, polls and alt texts."""

from __future__ import annotations

from typing import Any

from server.api.filtering import Filtering
from storage.filters import FilterBundle


def _filtering(*keywords: tuple[str, bool], action: str = "warn") -> Filtering:
    rows = [{"id": i, "keyword": k, "whole_word": int(w)} for i, (k, w) in enumerate(keywords)]
    row = {"id": 1, "title": "t", "context": '["home"]', "filter_action": action, "expires_at": None}
    return Filtering([FilterBundle(row, rows, [])], viewer_id=1)


def _status(content: str = "", **extra: Any) -> dict[str, Any]:
    return {"id": "10", "content": content, "spoiler_text": "", "account": {"id": "2"}, "media_attachments": [],
            "poll": None, **extra}


def matches(filtering: Filtering, status: dict[str, Any]) -> list[str]:
    results, _ = filtering.match(status)
    return [k for r in results for k in (r["keyword_matches"] or [])]


def test_whole_words_and_case() -> None:
    f = _filtering(("dragon", True), ("Straße", False), ("#got", True), ("c++", True))
    assert matches(f, _status("<p>The DRAGON</p>")) == ["dragon"]
    assert matches(f, _status("<p>dragonfly</p>")) == []
    assert matches(f, _status("<p>the STRASSE</p>")) == ["Straße"]          # casefolded both ways
    assert matches(f, _status('<p>watching <a href="x">#GoT</a> tonight</p>')) == ["#got"]
    assert matches(f, _status("<p>#gotcha</p>")) == []
    assert matches(f, _status("<p>I write C++ daily</p>")) == ["c++"]


def test_where_keywords_are_looked_for() -> None:
    f = _filtering(("spoiler", False))
    assert matches(f, _status("<p>x</p>", spoiler_text="Spoiler ahead")) == ["spoiler"]
    assert matches(f, _status("<p>x</p>", poll={"options": [{"title": "No spoilers"}]})) == ["spoiler"]
    assert matches(f, _status("<p>x</p>", media_attachments=[{"description": "a spoiler"}])) == ["spoiler"]
    assert matches(f, _status('<p><a href="https://spoiler.example">link</a></p>')) == []   # not in attributes
    assert matches(f, _status("<p>spoi</p><p>ler</p>")) == []                              # paragraphs apart
    assert matches(f, _status("<p>spoiler&amp;co</p>")) == ["spoiler"]


def test_hide_own_posts_and_boosts() -> None:
    hide = _filtering(("secret", False), action="hide")
    assert hide.match(_status("<p>secret</p>")) == ([], True)
    assert hide.match(_status("<p>secret</p>", account={"id": "1"})) == ([], False)       # one's own post
    boost = _status("", reblog=_status("<p>a secret</p>", id="9"))
    assert hide.statuses([boost]) == []

