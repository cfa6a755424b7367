"""The Jinja2 environments (one per language, autoescaping on) the web UI renders with."""

from __future__ import annotations

import functools
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from . import i18n

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


@functools.cache
def environment(locale: str) -> Environment:
    """A Jinja2 environment whose `_()`/`ngettext()` speak `locale`."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(("html", "xml"), default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals["locale"] = locale
    env.globals["locale_names"] = i18n.NAMES
    env.globals["home_compose"] = functools.partial(home_compose, locale)
    return env


_CSRF_SLOT = "\x00csrf\x00"   # survives escaping, never in a page: replaced by the reader's token
_COMPOSE_CARDS: dict[tuple[object, ...], str] = {}


def home_compose(locale: str, csrf: str, **options: object) -> Markup:
    """The home page's compose form, as `_compose.html`'s `compose` macro renders it with empty
    values: rendered once per language and options (audiences, poll durations and slots, media),
    the page's CSRF token put in each time."""
    key = (locale, *((name, tuple(value) if isinstance(value, list | tuple | range) else value)
                     for name, value in sorted(options.items())))
    html = _COMPOSE_CARDS.get(key)
    if html is None:
        if len(_COMPOSE_CARDS) > 64:
            _COMPOSE_CARDS.clear()
        macros = environment(locale).get_template("_compose.html").make_module({"csrf": _CSRF_SLOT, **options})
        html = _COMPOSE_CARDS[key] = str(macros.compose({"visibility": "public", "text": "", "spoiler_text": ""},
                                                        compact=True))
    return Markup(html.replace(_CSRF_SLOT, str(escape(csrf))))  # noqa: S704 - escaped template output


def render(locale: str, name: str, values: dict[str, object]) -> str:
    return environment(locale).get_template(name).render(values)


@functools.cache
def asset_version() -> str:
    """A short fingerprint of the stylesheet and script, appended to their URLs to bust caches."""
    import hashlib

    digest = hashlib.sha256()
    for name in ("atrium.css", "atrium.js"):
        path = STATIC_DIR / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]
