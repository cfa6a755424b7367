"""Activities: id and actor required, embedded objects parsed to a bounded depth."""

from __future__ import annotations

from typing import Any

import pytest

from activitypub.constants import AS_PUBLIC
from activitypub.limits import MAX_OBJECT_IDS
from activitypub.parse import DocumentError, ParsedActivity, ParsedActor, ParsedObject, parse_document


def activity(kind: str, obj: Any, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"https://lyon.example/activities/{kind.lower()}",
        "type": kind,
        "actor": "https://lyon.example/users/bob",
        "object": obj,
        **extra,
    }


NOTE = {
    "id": "https://lyon.example/notes/1",
    "type": "Note",
    "attributedTo": "https://lyon.example/users/bob",
    "content": "hi",
}


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (activity("Like", NOTE["id"], id=None), "Like has no usable id"),
        (activity("Like", NOTE["id"], actor=None), "has no actor"),
        (activity("Like", NOTE["id"], actor=[{"name": "no id"}]), "has no actor"),
        (activity("Create", None), "Create .* has no object"),
        (
            activity("Create", {**NOTE, "type": "ChatMessage"}),
            "Create of unsupported object type ChatMessage",
        ),
        (activity("Create", {**NOTE, "type": "Person"}), "Create of unsupported object type Person"),
        (activity("Create", {**NOTE, "id": None}), "Create object: Note has no usable id"),
        (
            activity("Update", {"id": "https://lyon.example/users/bob", "type": "Person"}),
            "Update object: Person",
        ),
        (activity("Note", None), "not an activity: Note"),
        ({"id": "https://a.example/1", "type": "Frobnicate"}, "not an activity: Frobnicate"),
    ],
)
def test_unusable_activities_are_refused_with_a_reason(doc, reason):
    with pytest.raises(DocumentError, match=reason):
        ParsedActivity.from_document(doc)


def test_create_with_an_embedded_note():
    parsed = ParsedActivity.from_document(
        activity("Create", NOTE, to=[AS_PUBLIC], published="2024-01-01T00:00:00Z")
    )
    assert parsed.object_id == NOTE["id"]
    assert isinstance(parsed.object, ParsedObject)
    assert parsed.object.content == "hi"
    assert parsed.object_types == ("Note",)
    assert parsed.raw["object"] is NOTE


def test_create_by_iri_is_left_to_fetch():
    parsed = ParsedActivity.from_document(activity("Create", NOTE["id"]))
    assert (parsed.object_id, parsed.object) == (NOTE["id"], None)


def test_other_activities_tolerate_an_unreadable_embedded_object():
    # Given an Announce of a note that has lost its author and type details
    parsed = ParsedActivity.from_document(activity("Announce", {"id": NOTE["id"], "type": "ChatMessage"}))
    # Then the id is kept for a fetch, and nothing is invented
    assert (parsed.object_id, parsed.object, parsed.object_types) == (NOTE["id"], None, ("ChatMessage",))


def test_update_of_an_actor():
    person = {
        "id": "https://lyon.example/users/bob",
        "type": "Person",
        "inbox": "https://lyon.example/users/bob/inbox",
    }
    parsed = ParsedActivity.from_document(activity("Update", person))
    assert isinstance(parsed.object, ParsedActor)


def test_unknown_activity_types_with_an_actor_are_kept_for_the_inbox_to_ignore():
    parsed = parse_document(activity("Lock", "https://lyon.example/post/2"))
    assert isinstance(parsed, ParsedActivity)
    assert parsed.type == "Lock"


def test_object_ids_are_bounded():
    many = [f"https://a.example/{i}" for i in range(10_000)]
    parsed = ParsedActivity.from_document(activity("Flag", many))
    assert len(parsed.object_ids) == MAX_OBJECT_IDS
    assert parsed.object_id == "https://a.example/0"


def test_embedding_stops_at_the_depth_bound():
    # Given Undo{Undo{Undo{Undo{Like}}}}
    inner: dict[str, Any] = activity("Like", NOTE["id"], id="https://lyon.example/a/like")
    for level in range(4):
        inner = activity("Undo", inner, id=f"https://lyon.example/a/undo{level}")
    parsed = ParsedActivity.from_document(inner)
    depth = 0
    current: Any = parsed
    while isinstance(current, ParsedActivity) and current.object is not None:
        current = current.object
        depth += 1
    # Then three levels are parsed, and the fourth keeps only its id
    assert depth == 3
    assert isinstance(current, ParsedActivity)
    assert current.object_id == "https://lyon.example/a/like"


def test_a_hundred_thousand_levels_of_nesting_do_not_recurse():
    # SECURITY-CASES 16: the JSON decoder may already refuse this, but the parser must not rely on it
    doc: dict[str, Any] = activity("Like", NOTE["id"])
    for level in range(100_000):
        doc = activity("Announce", doc, id=f"https://lyon.example/a/{level}")
    parsed = parse_document(doc)
    assert isinstance(parsed, ParsedActivity)
    tags: Any = []
    for _ in range(100_000):
        tags = [tags]
    note = ParsedObject.from_document({**NOTE, "tag": tags, "to": tags, "attachment": tags})
    assert note.mentions == ()


def test_embedded_actor_documents_are_reduced_to_their_id():
    embedded = {"id": "https://lyon.example/users/bob", "type": "Person", "inbox": "https://evil.example/"}
    parsed = ParsedActivity.from_document(
        activity("Follow", "https://paris.example/users/alice", actor=embedded)
    )
    assert parsed.actor == "https://lyon.example/users/bob"
