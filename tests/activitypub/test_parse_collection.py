"""Collections and pages: counts, links, bounded items."""

from __future__ import annotations

import pytest

from activitypub.limits import MAX_COLLECTION_ITEMS
from activitypub.parse import DocumentError, ParsedCollection


def test_page_with_links_and_items():
    page = ParsedCollection.from_document(
        {
            "id": "https://a.example/followers?page=2",
            "type": "OrderedCollectionPage",
            "partOf": "https://a.example/followers",
            "next": "https://a.example/followers?page=3",
            "prev": {"id": "https://a.example/followers?page=1", "type": "OrderedCollectionPage"},
            "orderedItems": ["https://b.example/u/1", {"id": "https://b.example/u/2"}, 7, None],
        }
    )
    assert page.ordered
    assert page.part_of == "https://a.example/followers"
    assert (page.next, page.prev) == (
        "https://a.example/followers?page=3",
        "https://a.example/followers?page=1",
    )
    assert page.item_ids == ("https://b.example/u/1", "https://b.example/u/2")
    assert len(page.items) == 2


def test_embedded_first_page_like_mastodon_replies():
    collection = ParsedCollection.from_document(
        {
            "id": "https://a.example/notes/1/replies",
            "type": "Collection",
            "first": {
                "type": "CollectionPage",
                "items": ["https://a.example/notes/2"],
                "next": "https://a.example/n",
            },
        }
    )
    assert not collection.ordered
    assert collection.first is None  # the inline page has no id
    assert collection.first_page is not None
    assert collection.first_page.item_ids == ("https://a.example/notes/2",)
    assert collection.first_page.next == "https://a.example/n"


def test_items_are_bounded():
    items = [f"https://b.example/u/{i}" for i in range(10_000)]
    collection = ParsedCollection.from_document(
        {"id": "https://a.example/c", "type": "Collection", "items": items}
    )
    assert len(collection.items) == len(collection.item_ids) == MAX_COLLECTION_ITEMS


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"type": "OrderedCollection"}, "OrderedCollection has no usable id"),
        ({"id": "https://a.example/c", "type": "Note"}, "unsupported collection type Note"),
    ],
)
def test_refusals(doc, reason):
    with pytest.raises(DocumentError, match=reason):
        ParsedCollection.from_document(doc)


def test_junk_total_items_is_unknown():
    for junk in (-1, "12", True, 1.5):
        collection = ParsedCollection.from_document(
            {"id": "https://a.example/c", "type": "Collection", "totalItems": junk}
        )
        assert collection.total_items is None
