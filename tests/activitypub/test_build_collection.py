"""Collections we serve parse back with their counts, links and items."""

from __future__ import annotations

from datetime import UTC, datetime

from activitypub.builders import (
    build_create,
    build_note,
    build_ordered_collection,
    build_ordered_collection_page,
)
from activitypub.parse import ParsedActivity, ParsedCollection

from .build_checks import assert_wire_ready

OUTBOX = "https://paris.example/users/alice/outbox"


def test_paged_collection():
    doc = build_ordered_collection(
        OUTBOX, total_items=42, first=f"{OUTBOX}?page=true", last=f"{OUTBOX}?min_id=0"
    )
    assert_wire_ready(doc)
    parsed = ParsedCollection.from_document(doc)
    assert (parsed.type, parsed.total_items) == ("OrderedCollection", 42)
    assert (parsed.first, parsed.last) == (f"{OUTBOX}?page=true", f"{OUTBOX}?min_id=0")
    assert "orderedItems" not in doc


def test_hidden_collection_has_no_count():
    doc = build_ordered_collection("https://paris.example/users/alice/followers", total_items=None)
    assert_wire_ready(doc)
    assert ParsedCollection.from_document(doc).total_items is None


def test_inline_items_lose_their_own_context():
    note = build_note(
        note_id="https://paris.example/users/alice/statuses/1",
        attributed_to="https://paris.example/users/alice",
        content_html="x",
        published=datetime(2024, 1, 1, tzinfo=UTC),
        to=[],
        cc=[],
    )
    doc = build_ordered_collection(
        "https://paris.example/users/alice/collections/featured", total_items=1, items=[note]
    )
    assert_wire_ready(doc)
    assert ParsedCollection.from_document(doc).item_ids == ("https://paris.example/users/alice/statuses/1",)


def test_page_round_trips():
    activity = build_create(
        f"{OUTBOX}/1",
        "https://paris.example/users/alice",
        build_note(
            note_id="https://paris.example/users/alice/statuses/1",
            attributed_to="https://paris.example/users/alice",
            content_html="x",
            published=datetime(2024, 1, 1, tzinfo=UTC),
            to=[],
            cc=[],
        ),
    )
    doc = build_ordered_collection_page(
        f"{OUTBOX}?page=2",
        part_of=OUTBOX,
        items=[activity, "https://paris.example/users/alice/statuses/0/activity"],
        next_page=f"{OUTBOX}?page=3",
        prev_page=f"{OUTBOX}?page=1",
        total_items=42,
    )
    assert_wire_ready(doc)
    page = ParsedCollection.from_document(doc)
    assert (page.type, page.part_of, page.total_items) == ("OrderedCollectionPage", OUTBOX, 42)
    assert (page.next, page.prev) == (f"{OUTBOX}?page=3", f"{OUTBOX}?page=1")
    assert page.item_ids == (f"{OUTBOX}/1", "https://paris.example/users/alice/statuses/0/activity")
    assert isinstance(ParsedActivity.from_document(page.items[0]), ParsedActivity)
