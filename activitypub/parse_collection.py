"""Parsing of remote collections and collection pages (followers, outbox, featured, replies)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from activitypub.constants import COLLECTION_TYPES
from activitypub.limits import MAX_COLLECTION_ITEMS
from activitypub.values import (
    DocumentError,
    as_list,
    first_id,
    ids,
    is_iri,
    parse_count,
    pick_type,
    require_document,
)


@dataclass(frozen=True, slots=True)
class ParsedCollection:
    """A Collection, OrderedCollection or one of their pages.

    ``items`` keeps the entries as sent (IRIs or embedded objects, at most
    ``MAX_COLLECTION_ITEMS``) for the caller to parse; ``item_ids`` are their ids.
    A hidden collection (Mastodon, Friendica) has ``total_items`` and no items.
    """

    id: str | None
    type: str
    total_items: int | None = None
    first: str | None = None
    first_page: ParsedCollection | None = None
    last: str | None = None
    next: str | None = None
    prev: str | None = None
    part_of: str | None = None
    items: tuple[str | dict[str, Any], ...] = ()
    item_ids: tuple[str, ...] = ()

    @property
    def ordered(self) -> bool:
        """True for OrderedCollection and OrderedCollectionPage."""
        return self.type.startswith("Ordered")

    @classmethod
    def from_document(cls, doc: Any, *, embedded: bool = False) -> ParsedCollection:
        """Read a collection; :class:`DocumentError` for another type or, unless ``embedded``, no id."""
        doc = require_document(doc)
        collection_type = pick_type(doc, COLLECTION_TYPES, "collection")
        collection_id = doc.get("id")
        if not is_iri(collection_id):
            if not embedded:
                raise DocumentError(f"{collection_type} has no usable id")
            collection_id = None
        raw_items = doc.get("orderedItems", doc.get("items"))
        items = tuple(
            item
            for item in as_list(raw_items, MAX_COLLECTION_ITEMS)
            if is_iri(item) or isinstance(item, dict)
        )
        first = doc.get("first")
        first_page = None
        if isinstance(first, dict) and not embedded:
            try:
                first_page = cls.from_document(first, embedded=True)
            except DocumentError:
                first_page = None  # a broken inline page still leaves `first` to fetch
        return cls(
            id=collection_id,
            type=collection_type,
            total_items=parse_count(doc.get("totalItems")),
            first=first_id(first),
            first_page=first_page,
            last=first_id(doc.get("last")),
            next=first_id(doc.get("next")),
            prev=first_id(doc.get("prev")),
            part_of=first_id(doc.get("partOf")),
            items=items,
            item_ids=ids(items, MAX_COLLECTION_ITEMS),
        )
