"""Hypothesis strategies for ActivityStreams input, hostile and well-formed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from activitypub.constants import (
    ACTIVITY_TYPES,
    ACTOR_TYPES,
    COLLECTION_TYPES,
    OBJECT_TYPES,
    PUBLIC_SPELLINGS,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# Keys our parsers read: hostile values under these keys reach the most code.
KNOWN_KEYS = (
    "@context", "id", "type", "actor", "object", "target", "to", "cc", "audience", "published",
    "updated", "attributedTo", "content", "contentMap", "name", "nameMap", "summary", "sensitive",
    "inReplyTo", "url", "tag", "attachment", "oneOf", "anyOf", "endTime", "closed", "votersCount",
    "voters", "quoteUrl", "_misskey_quote", "context", "conversation", "inbox", "outbox", "endpoints",
    "sharedInbox", "followers", "following", "featured", "preferredUsername", "icon", "image",
    "publicKey", "manuallyApprovesFollowers", "discoverable", "alsoKnownAs", "movedTo",
    "department", "jobTitle", "manager", "officeLocation", "pronouns", "totalItems", "first", "next",
    "prev", "last", "partOf", "items", "orderedItems", "subject", "links", "aliases", "language",
)  # fmt: skip
TYPE_NAMES = sorted(
    ACTIVITY_TYPES
    | ACTOR_TYPES
    | OBJECT_TYPES
    | COLLECTION_TYPES
    | {"Mention", "Hashtag", "Emoji", "PropertyValue", "Document", "Link", "ChatMessage", "Place"}
)


def json_scalars() -> st.SearchStrategy[Any]:
    """Any JSON scalar."""
    return st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON value, nested a few levels."""
    return st.recursive(
        json_scalars(),
        lambda children: (
            st.lists(children, max_size=5)
            | st.dictionaries(st.text(max_size=12) | st.sampled_from(KNOWN_KEYS), children, max_size=6)
        ),
        max_leaves=25,
    )


def iris() -> st.SearchStrategy[str]:
    """Plausible IRIs, including the odd schemes peers use."""
    path = st.from_regex(r"[a-z0-9/_-]{0,20}", fullmatch=True)
    return st.one_of(
        st.builds(lambda host, p: f"https://{host}.example/{p}", st.sampled_from(["a", "b", "c"]), path),
        st.sampled_from(["tag:x.example,2020:1", "as:Public", "javascript:alert(1)", "http://", "/relative"]),
        st.sampled_from(sorted(PUBLIC_SPELLINGS)),
    )


def plausible_values() -> st.SearchStrategy[Any]:
    """Values shaped like the real thing: IRIs, type names, embedded objects, or junk."""
    type_values = st.sampled_from(TYPE_NAMES) | st.lists(st.sampled_from(TYPE_NAMES), max_size=3)
    return st.recursive(
        st.one_of(iris(), type_values, json_scalars()),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.sampled_from(KNOWN_KEYS), children, max_size=8)
        ),
        max_leaves=30,
    )


def document_like() -> st.SearchStrategy[dict[str, Any]]:
    """A dict with a real type and id plus known keys holding hostile or plausible values."""
    return st.builds(
        lambda base, extra: {**extra, **base},
        st.fixed_dictionaries(
            {"type": st.sampled_from(TYPE_NAMES), "id": iris(), "actor": iris(), "inbox": iris()}
        ),
        st.dictionaries(st.sampled_from(KNOWN_KEYS), plausible_values() | json_values(), max_size=10),
    )


def fixture_paths() -> list[Path]:
    """Every document fixture (the JSON-LD context snapshots are not documents)."""
    return sorted(p for p in FIXTURES.glob("*/*.json") if p.parent.name != "jsonld-contexts")


def mutated_fixtures() -> st.SearchStrategy[Any]:
    """A real fixture with one key, possibly inside its object, replaced by a hostile value."""

    def mutate(path: Path, key: str, value: Any, inner: bool) -> Any:
        doc = json.loads(path.read_text(encoding="utf-8"))
        target = doc.get("object") if inner and isinstance(doc.get("object"), dict) else doc
        target[key] = value
        return doc

    return st.builds(
        mutate,
        st.sampled_from(fixture_paths()),
        st.sampled_from(KNOWN_KEYS),
        plausible_values() | json_values(),
        st.booleans(),
    )
