"""Post-like objects: content, tags, attachments, polls, and the bounds on each (SECURITY-CASES 17)."""

from __future__ import annotations

from typing import Any

import pytest

from activitypub.constants import AS_PUBLIC
from activitypub.limits import (
    MAX_ATTACHMENTS,
    MAX_CONTENT_LENGTH,
    MAX_NAME_LENGTH,
    MAX_POLL_OPTIONS,
    MAX_RECIPIENTS,
    MAX_TAGS,
)
from activitypub.model import Hashtag, Mention
from activitypub.parse import DocumentError, ParsedObject


def note_by_bob(**extra: Any) -> dict[str, Any]:
    return {
        "id": "https://lyon.example/notes/1",
        "type": "Note",
        "attributedTo": "https://lyon.example/users/bob",
        "content": "<p>hello</p>",
        "to": [AS_PUBLIC],
        **extra,
    }


def question(options: list[dict[str, Any]], key: str = "oneOf", **extra: Any) -> dict[str, Any]:
    return note_by_bob(type="Question", **{key: options}, **extra)


def option(name: Any, votes: Any = 0) -> dict[str, Any]:
    return {"type": "Note", "name": name, "replies": {"type": "Collection", "totalItems": votes}}


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (note_by_bob(id=None), "Note has no usable id"),
        (note_by_bob(id="javascript:alert(1)"), "Note has no usable id"),
        (note_by_bob(type="ChatMessage"), "unsupported object type ChatMessage"),
        (note_by_bob(type="Person"), "unsupported object type Person"),
        (note_by_bob(type=[]), "document has no type"),
        ("https://lyon.example/notes/1", "not a JSON object"),
    ],
)
def test_unusable_objects_are_refused_with_a_reason(doc, reason):
    with pytest.raises(DocumentError, match=reason):
        ParsedObject.from_document(doc)


def test_the_first_supported_type_of_a_list_is_used():
    assert ParsedObject.from_document(note_by_bob(type=["litepub:Thing", "Article"])).type == "Article"


def test_tombstone_needs_only_an_id():
    assert ParsedObject.from_document(
        {"id": "https://lyon.example/notes/1", "type": "Tombstone"}
    ) == ParsedObject(id="https://lyon.example/notes/1", type="Tombstone")


def test_blank_summary_and_name_are_none_and_sensitive_reads_compact_key():
    parsed = ParsedObject.from_document(note_by_bob(summary="", name="  ", **{"as:sensitive": True}))
    assert (parsed.summary, parsed.name, parsed.sensitive) == (None, None, True)


def test_mentions_need_an_http_href_and_hashtags_a_name():
    tags = [
        {"type": "Mention", "href": "https://paris.example/users/alice", "name": "@alice@paris.example"},
        {"type": "Mention", "href": "javascript:alert(1)", "name": "@evil"},
        {"type": "Mention", "name": "@nohref"},
        {"type": "Hashtag", "name": "#Atrium", "href": "https://lyon.example/tags/atrium"},
        {"type": "Hashtag", "name": "#atrium"},  # same tag, other case
        {"type": "Hashtag", "href": "https://lyon.example/tags/none"},
        {"type": "Emoji", "name": ":blob:"},  # no icon
        "not an object",
    ]
    parsed = ParsedObject.from_document(note_by_bob(tag=tags))
    assert parsed.mentions == (Mention("https://paris.example/users/alice", "@alice@paris.example"),)
    assert parsed.hashtags == (Hashtag("Atrium", "https://lyon.example/tags/atrium"),)
    assert parsed.emojis == ()


def test_ten_thousand_tags_are_truncated():
    tags = [{"type": "Mention", "href": f"https://a.example/u/{i}"} for i in range(10_000)]
    parsed = ParsedObject.from_document(note_by_bob(tag=tags))
    assert len(parsed.mentions) == MAX_TAGS


def test_ten_thousand_recipients_are_truncated():
    crowd = [f"https://a.example/u/{i}" for i in range(10_000)]
    parsed = ParsedObject.from_document(note_by_bob(to=crowd, cc=crowd))
    assert len(parsed.to) == len(parsed.cc) == MAX_RECIPIENTS


def test_ten_thousand_poll_options_are_truncated():
    parsed = ParsedObject.from_document(question([option(f"o{i}") for i in range(10_000)]))
    assert parsed.poll is not None
    assert len(parsed.poll.options) == MAX_POLL_OPTIONS


def test_attachments_are_truncated():
    media = [{"type": "Document", "url": f"https://a.example/{i}.png"} for i in range(10_000)]
    assert len(ParsedObject.from_document(note_by_bob(attachment=media)).attachments) == MAX_ATTACHMENTS


def test_strings_are_capped_and_cleaned():
    parsed = ParsedObject.from_document(
        note_by_bob(content="x\x00" * (MAX_CONTENT_LENGTH + 10), name="n" * 10**6)
    )
    assert parsed.content == "x" * MAX_CONTENT_LENGTH
    assert parsed.name is not None
    assert len(parsed.name) == MAX_NAME_LENGTH


def test_any_of_means_multiple_choice():
    parsed = ParsedObject.from_document(
        question([option("a", 2), option("b", 3)], key="anyOf", votersCount=4)
    )
    assert parsed.poll is not None
    assert parsed.poll.multiple is True
    assert parsed.poll.voters_count == 4
    assert [(o.name, o.votes) for o in parsed.poll.options] == [("a", 2), ("b", 3)]


def test_poll_options_with_junk_counts_or_names():
    parsed = ParsedObject.from_document(
        question([option("a", "many"), option("a", 1), option(None), option("b", -1), option("c", True)])
    )
    assert parsed.poll is not None
    assert [(o.name, o.votes) for o in parsed.poll.options] == [("a", None), ("b", None), ("c", None)]


def test_a_question_without_options_has_no_poll():
    assert ParsedObject.from_document(question([])).poll is None


def test_closed_as_true_without_a_date():
    parsed = ParsedObject.from_document(question([option("a")], closed=True))
    assert parsed.poll is not None
    assert (parsed.poll.closed, parsed.poll.closed_at) == (True, None)


def test_content_from_content_map_only():
    parsed = ParsedObject.from_document(note_by_bob(content=None, contentMap={"de": "<p>hallo</p>"}))
    assert (parsed.content, parsed.language) == ("<p>hallo</p>", "de")


def test_attachment_details_are_validated():
    media = [
        {
            "type": "Image",
            "url": "https://a.example/1.png",
            "focalPoint": [2, 0],
            "width": -5,
            "height": True,
        },
        {
            "type": "Image",
            "url": {"type": "Link", "href": "https://a.example/2.png", "mediaType": "image/png"},
        },
        {"type": "Document", "url": "data:image/png;base64,AAAA"},
        {"type": "PropertyValue", "name": "x", "value": "y"},
    ]
    first, second = ParsedObject.from_document(note_by_bob(attachment=media)).attachments
    assert (first.focal_point, first.width, first.height) == (None, None, None)
    assert second.url == "https://a.example/2.png"


def test_quote_keys_in_order_of_preference():
    doc = note_by_bob(quoteUrl="https://a.example/q1", _misskey_quote="https://a.example/q2")
    assert ParsedObject.from_document(doc).quote_url == "https://a.example/q1"
