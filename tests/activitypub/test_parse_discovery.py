"""WebFinger answers: only an ActivityPub self link names the actor (SECURITY-CASES 8)."""

from __future__ import annotations

import pytest

from activitypub.constants import LD_JSON_PROFILE
from activitypub.parse import DocumentError, ParsedWebFinger, is_activitypub_media_type

SUBJECT = "acct:alice@paris.example"


def jrd(*links: dict[str, str]) -> dict[str, object]:
    return {"subject": SUBJECT, "aliases": ["https://paris.example/@alice"], "links": list(links)}


def test_self_link_of_activity_type_names_the_actor():
    parsed = ParsedWebFinger.from_document(
        jrd(
            {"rel": "self", "type": "text/html", "href": "https://paris.example/@alice"},
            {"rel": "self", "type": "application/activity+json", "href": "https://paris.example/users/alice"},
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": "https://paris.example/@alice",
            },
        )
    )
    assert parsed.subject == SUBJECT
    assert parsed.actor_id == "https://paris.example/users/alice"
    assert parsed.profile_page == "https://paris.example/@alice"
    assert parsed.aliases == ("https://paris.example/@alice",)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("application/activity+json", True),
        (LD_JSON_PROFILE, True),
        ('application/ld+json;profile="https://www.w3.org/ns/activitystreams"', True),
        ("application/ld+json", False),
        ("application/json", False),
        ("text/html", False),
        (None, False),
    ],
)
def test_activitypub_media_types(value, expected):
    assert is_activitypub_media_type(value) is expected


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"links": []}, "has no subject"),
        (
            jrd({"rel": "self", "type": "text/html", "href": "https://paris.example/@alice"}),
            "no ActivityPub self link",
        ),
        (
            jrd({"rel": "self", "type": "application/activity+json", "href": "javascript:x"}),
            "no ActivityPub self link",
        ),
        ([], "not a JSON object"),
    ],
)
def test_unusable_answers(doc, reason):
    with pytest.raises(DocumentError, match=reason):
        ParsedWebFinger.from_document(doc)
