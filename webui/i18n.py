"""Languages of the web UI: gettext catalogs (Babel) per locale, chosen from the user's setting
or the browser's Accept-Language. English is the source language; every string has a French
translation in webui/locale/fr/LC_MESSAGES/messages.po (compiled to .mo, committed)."""

from __future__ import annotations

import functools
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LOCALES = ("en", "fr")
DEFAULT = "en"
NAMES = {"en": "English", "fr": "Français"}


@functools.cache
def translations(locale: str) -> NullTranslations:
    """The catalog of `locale` (an empty one for English, the source language)."""
    if locale not in LOCALES or locale == DEFAULT:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def gettext(locale: str, message: str, **values: object) -> str:
    """`message` in `locale`, with `%(name)s` placeholders filled from `values`."""
    text = translations(locale).gettext(message)
    return text % values if values else text


def _parse_accept_language(header: str) -> list[tuple[float, str]]:
    ranked = []
    for index, part in enumerate(header.split(",")[:20]):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((quality - index * 1e-6, tag.strip().lower()))
    ranked.sort(reverse=True)
    return ranked


def negotiate(preferred: str | None, accept_language: str | None) -> str:
    """The UI language: the user's own choice, else the browser's best supported one, else English."""
    if preferred in LOCALES:
        return preferred  # type: ignore[return-value]
    for quality, tag in _parse_accept_language(accept_language or ""):
        if quality <= 0:
            continue
        base = tag.split("-")[0]
        if base in LOCALES:
            return base
    return DEFAULT


@functools.cache
def babel_locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT)
