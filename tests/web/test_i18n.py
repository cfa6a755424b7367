"""English and French: language negotiation, complete catalogs, compiled files up to date."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from webui import i18n

from .conftest import Site

LOCALE = Path(i18n.__file__).parent / "locale"


@pytest.mark.parametrize(("preferred", "header", "expected"), [
    (None, "fr-FR,fr;q=0.9,en;q=0.8", "fr"),
    (None, "de-DE,de;q=0.9,fr;q=0.5", "fr"),
    (None, "de-DE", "en"),
    (None, "en;q=0.1, fr;q=0.9", "fr"),
    (None, "fr;q=0", "en"),
    ("en", "fr", "en"),
    ("fr", "", "fr"),
    ("xx", "fr", "fr"),
    (None, "garbage;;;q=abc,,", "en"),
])
def test_language_is_the_users_choice_then_the_browsers(preferred: str | None, header: str, expected: str) -> None:
    assert i18n.negotiate(preferred, header) == expected


def test_every_string_has_a_french_translation() -> None:
    template = read_po((LOCALE / "messages.pot").open("rb"))
    french = read_po((LOCALE / "fr" / "LC_MESSAGES" / "messages.po").open("rb"))
    missing = []
    for message in template:
        if not message.id:
            continue
        translated = french.get(message.id)
        strings = translated.string if translated else None
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            missing.append(message.id)
    assert not missing


def test_compiled_catalog_matches_the_po_file() -> None:
    po = read_po((LOCALE / "fr" / "LC_MESSAGES" / "messages.po").open("rb"))
    mo = read_mo(io.BytesIO((LOCALE / "fr" / "LC_MESSAGES" / "messages.mo").read_bytes()))
    def entries(catalog: object) -> dict[object, object]:
        def plain(value: object) -> object:
            return tuple(value) if isinstance(value, (list, tuple)) else value

        return {plain(m.id): plain(m.string) for m in catalog if m.id}  # type: ignore[attr-defined]

    assert entries(po) == entries(mo)


async def test_pages_follow_accept_language_before_sign_in(site: Site) -> None:
    browser = site.browser(**{"Accept-Language": "fr-CA,fr;q=0.9"})
    page = (await browser.get("/auth/sign_in")).text
    assert '<html lang="fr">' in page and "Se connecter" in page and "Mot de passe" in page


async def test_french_home_for_a_french_speaking_newcomer(site: Site) -> None:
    browser = await site.signed_in("alice", **{"Accept-Language": "fr"})
    page = (await browser.get("/")).text
    assert "Bienvenue sur" in page and "Votre responsable" in page and "Suivre" in page
    errors = await browser.post("/statuses", {"text": ""})
    assert "Le texte ne peut pas être vide" in errors.text
