"""Posts we send (Note, Article, Question, Tombstone) parse back to what we put in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from activitypub.audience import addressing_for
from activitypub.builders import build_note, build_question, build_tombstone
from activitypub.constants import AS_PUBLIC
from activitypub.model import Attachment, Emoji, Hashtag, Mention, Poll, PollOption
from activitypub.parse import ParsedObject

from .build_checks import assert_wire_ready

ALICE = "https://paris.example/users/alice"
BOB = "https://lyon.example/users/bob"
WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def alice_note(**overrides: object) -> dict[str, object]:
    to, cc = addressing_for("public", f"{ALICE}/followers", [BOB], None)
    arguments: dict[str, object] = {
        "note_id": f"{ALICE}/statuses/1",
        "attributed_to": ALICE,
        "content_html": '<p>Hi <a href="https://lyon.example/@bob">@bob</a> #atrium</p>',
        "published": WHEN,
        "to": to,
        "cc": cc,
        "url": "https://paris.example/@alice/1",
        "summary": "spoilers",
        "sensitive": True,
        "in_reply_to": "https://lyon.example/users/bob/statuses/9",
        "context": "https://paris.example/contexts/42",
        "language": "fr",
        "updated": WHEN + timedelta(minutes=5),
        "mentions": [Mention(BOB, "@bob@lyon.example")],
        "hashtags": [Hashtag("atrium", "https://paris.example/tags/atrium")],
        "emojis": [
            Emoji(
                "blob", "https://paris.example/emoji/blob.png", "https://paris.example/emoji/1", "image/png"
            )
        ],
        "attachments": [
            Attachment(
                url="https://paris.example/media/1.jpg",
                media_type="image/jpeg",
                name="A cat on a keyboard",
                blurhash="LEHV6nWB2yk8pyo0adR*.7kCMdnj",
                width=1200,
                height=800,
                focal_point=(0.25, -0.5),
            )
        ],
    }
    arguments.update(overrides)
    return build_note(**arguments)  # type: ignore[arg-type]


def test_note_round_trips_through_our_parser():
    doc = alice_note()
    assert_wire_ready(doc)
    note = ParsedObject.from_document(doc)
    assert note.id == f"{ALICE}/statuses/1"
    assert note.type == "Note"
    assert note.attributed_to == ALICE
    assert note.content == doc["content"]
    assert note.content_map == {"fr": doc["content"]}
    assert note.language == "fr"
    assert (note.summary, note.sensitive) == ("spoilers", True)
    assert note.in_reply_to == "https://lyon.example/users/bob/statuses/9"
    assert (note.published, note.updated) == (WHEN, WHEN + timedelta(minutes=5))
    assert note.url == "https://paris.example/@alice/1"
    assert note.to == (AS_PUBLIC,)
    assert note.cc == (f"{ALICE}/followers", BOB)
    assert note.mentions == (Mention(BOB, "@bob@lyon.example"),)
    assert note.hashtags == (Hashtag("atrium", "https://paris.example/tags/atrium"),)
    assert note.emojis == (
        Emoji("blob", "https://paris.example/emoji/blob.png", "https://paris.example/emoji/1", "image/png"),
    )
    assert note.attachments == (
        Attachment(
            url="https://paris.example/media/1.jpg",
            media_type="image/jpeg",
            name="A cat on a keyboard",
            blurhash="LEHV6nWB2yk8pyo0adR*.7kCMdnj",
            width=1200,
            height=800,
            focal_point=(0.25, -0.5),
        ),
    )
    assert note.context == note.conversation == "https://paris.example/contexts/42"
    assert note.poll is None


def test_note_tags_look_like_mastodon_s():
    tags = alice_note()["tag"]
    assert tags == [
        {"type": "Mention", "href": BOB, "name": "@bob@lyon.example"},
        {"type": "Hashtag", "href": "https://paris.example/tags/atrium", "name": "#atrium"},
        {
            "id": "https://paris.example/emoji/1",
            "type": "Emoji",
            "name": ":blob:",
            "icon": {
                "type": "Image",
                "mediaType": "image/png",
                "url": "https://paris.example/emoji/blob.png",
            },
        },
    ]


def test_minimal_note_omits_unset_properties():
    doc = build_note(
        note_id=f"{ALICE}/statuses/2",
        attributed_to=ALICE,
        content_html="<p>x</p>",
        published=WHEN,
        to=[BOB],
        cc=[],
    )
    assert_wire_ready(doc)
    for absent in ("summary", "inReplyTo", "contentMap", "updated", "url", "context", "conversation"):
        assert absent not in doc
    assert (doc["sensitive"], doc["tag"], doc["attachment"]) == (False, [], [])


def test_article_with_a_title_and_a_group_audience():
    doc = alice_note(
        object_type="Article", name="Quarterly results", audience="https://paris.example/groups/finance"
    )
    article = ParsedObject.from_document(doc)
    assert (article.type, article.name) == ("Article", "Quarterly results")
    assert article.audience == "https://paris.example/groups/finance"


def test_open_single_choice_poll_round_trips():
    poll = Poll(
        options=(PollOption("Tea", 3), PollOption("Coffee", 5)),
        multiple=False,
        end_time=WHEN + timedelta(days=1),
        voters_count=8,
    )
    doc = build_question(alice_note(), poll)
    assert_wire_ready(doc)
    assert "oneOf" in doc
    assert "anyOf" not in doc
    assert "closed" not in doc
    parsed = ParsedObject.from_document(doc)
    assert parsed.type == "Question"
    assert parsed.poll == poll


def test_closed_multiple_choice_poll_round_trips():
    poll = Poll(
        options=(PollOption("A", 0), PollOption("B", 1), PollOption("C", 2)),
        multiple=True,
        end_time=WHEN,
        closed=True,
        closed_at=WHEN,
        voters_count=2,
    )
    doc = build_question(alice_note(), poll)
    assert "anyOf" in doc
    assert ParsedObject.from_document(doc).poll == poll


def test_tombstone_round_trips():
    doc = build_tombstone(f"{ALICE}/statuses/1", former_type="Note", deleted=WHEN)
    assert_wire_ready(doc)
    assert doc["formerType"] == "Note"
    assert ParsedObject.from_document(doc) == ParsedObject(id=f"{ALICE}/statuses/1", type="Tombstone")


def clean_text(**bounds: int) -> st.SearchStrategy[str]:
    """Text as a user could type it: no NUL (the parser removes it) and no lone surrogates."""
    return st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), **bounds)


def hashtag_names() -> st.SearchStrategy[str]:
    return st.from_regex(r"[A-Za-z0-9_]{1,20}", fullmatch=True)


def urls() -> st.SearchStrategy[str]:
    return st.from_regex(r"https://[a-c]\.example/[a-z0-9]{1,10}", fullmatch=True)


@given(
    content=clean_text(max_size=200),
    summary=st.none() | clean_text(min_size=1, max_size=50).filter(str.strip),
    mentions=st.lists(
        st.builds(Mention, urls(), st.none() | st.just("@x@a.example")), unique_by=lambda m: m.href
    ),
    hashtags=st.lists(
        st.builds(Hashtag, hashtag_names(), st.none() | urls()), unique_by=lambda h: h.name.lower()
    ),
    attachments=st.lists(
        st.builds(
            Attachment,
            url=urls(),
            type=st.sampled_from(["Document", "Image", "Video"]),
            media_type=st.none() | st.sampled_from(["image/png", "video/mp4"]),
            name=st.none() | clean_text(min_size=1, max_size=30),
            width=st.none() | st.integers(1, 10_000),
            height=st.none() | st.integers(1, 10_000),
        ),
        max_size=4,
    ),
    published=st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)
@settings(max_examples=150)
def test_any_note_we_build_parses_back_the_same(content, summary, mentions, hashtags, attachments, published):
    doc = build_note(
        note_id=f"{ALICE}/statuses/9",
        attributed_to=ALICE,
        content_html=content,
        published=published,
        to=[AS_PUBLIC],
        cc=[m.href for m in mentions],
        summary=summary,
        mentions=mentions,
        hashtags=hashtags,
        attachments=attachments,
    )
    assert_wire_ready(doc)
    note = ParsedObject.from_document(doc)
    assert note.content == content
    assert note.summary == summary
    assert note.mentions == tuple(mentions)
    assert note.hashtags == tuple(hashtags)
    assert note.attachments == tuple(attachments)
    assert note.cc == tuple(m.href for m in mentions)
    assert note.published == published.replace(microsecond=0)
