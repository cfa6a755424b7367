"""Redirect targets after a form: only paths on this site, whatever is sent (open-redirect safety)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.web.base import safe_next


@given(st.text(max_size=200))
def test_any_next_value_is_a_local_path(value: str) -> None:
    target = safe_next(value, "/")
    assert target.startswith("/") and not target.startswith("//") and "\\" not in target


def test_known_open_redirect_tricks_fall_back() -> None:
    for trick in ("https://evil.example/", "//evil.example", "/\\evil.example", "\\\\evil", "javascript:alert(1)",
                  "http:/evil", ""):
        assert safe_next(trick, "/home") == "/home"
    assert safe_next("/@alice/12?x=1#s-12", "/") == "/@alice/12?x=1#s-12"
