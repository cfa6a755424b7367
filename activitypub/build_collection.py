"""Builders of OrderedCollection and OrderedCollectionPage (outbox, followers, featured, replies)."""

from __future__ import annotations

from collections.abc import Sequence

from activitypub.build_base import Document, document, embed


def build_ordered_collection(
    collection_id: str,
    *,
    total_items: int | None,
    first: str | None = None,
    last: str | None = None,
    items: Sequence[str | Document] | None = None,
) -> Document:
    """An ``OrderedCollection``: either paged (``first``/``last``) or with inline ``items``.

    A hidden collection (followers kept private) gives only ``total_items``, or
    not even that: pass ``None``.
    """
    return document(
        {
            "id": collection_id,
            "type": "OrderedCollection",
            "totalItems": total_items,
            "first": first,
            "last": last,
            "orderedItems": [embed(item) for item in items] if items is not None else None,
        }
    )


def build_ordered_collection_page(
    page_id: str,
    *,
    part_of: str,
    items: Sequence[str | Document],
    next_page: str | None = None,
    prev_page: str | None = None,
    total_items: int | None = None,
) -> Document:
    """One ``OrderedCollectionPage``, newest first, linked to its neighbours."""
    return document(
        {
            "id": page_id,
            "type": "OrderedCollectionPage",
            "partOf": part_of,
            "totalItems": total_items,
            "next": next_page,
            "prev": prev_page,
            "orderedItems": [embed(item) for item in items],
        }
    )
