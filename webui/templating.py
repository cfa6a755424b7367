"""The Jinja2 environments (one per language, autoescaping on) the web UI renders with."""

from __future__ import annotations

import functools
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

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
    return env


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
