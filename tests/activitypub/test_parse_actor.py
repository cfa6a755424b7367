"""Actor documents: required parts, keys, employee data, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from activitypub.constants import ATRIUM_NS
from activitypub.limits import MAX_ALIASES, MAX_FIELDS
from activitypub.model import EmployeeInfo, Field
from activitypub.parse import DocumentError, ParsedActor

PEM = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"


def alice_at_paris(**extra: Any) -> dict[str, Any]:
    """A minimal valid Person, plus ``extra`` properties."""
    return {
        "id": "https://paris.example/users/alice",
        "type": "Person",
        "inbox": "https://paris.example/users/alice/inbox",
        "preferredUsername": "alice",
        "publicKey": {
            "id": "https://paris.example/users/alice#main-key",
            "owner": "https://paris.example/users/alice",
            "publicKeyPem": PEM,
        },
        **extra,
    }


def test_minimal_person():
    actor = ParsedActor.from_document(alice_at_paris())
    assert actor.id == "https://paris.example/users/alice"
    assert actor.public_key_id == "https://paris.example/users/alice#main-key"
    assert actor.public_key_pem == PEM
    assert actor.fields == ()
    assert actor.employee == EmployeeInfo()


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (alice_at_paris(inbox=None), "has no http(s) inbox"),
        (alice_at_paris(inbox="javascript:alert(1)"), "has no http(s) inbox"),
        (alice_at_paris(id="tag:paris.example,2020:alice"), "id is not an http(s) URL"),
        (alice_at_paris(type="Note"), "unsupported actor type Note"),
        (alice_at_paris(type="Feed"), "unsupported actor type Feed"),
        (alice_at_paris(type=None), "document has no type"),
        (["not", "an", "object"], "not a JSON object"),
    ],
)
def test_unusable_actors_are_refused_with_a_reason(doc, reason):
    with pytest.raises(DocumentError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        ParsedActor.from_document(doc)


def test_a_key_owned_by_someone_else_is_ignored():
    # Given alice's document carrying bob's key
    doc = alice_at_paris(
        publicKey={
            "id": "https://lyon.example/bob#main-key",
            "owner": "https://lyon.example/bob",
            "publicKeyPem": PEM,
        }
    )
    # Then the key is not alice's
    actor = ParsedActor.from_document(doc)
    assert (actor.public_key_id, actor.public_key_pem) == (None, None)


def test_key_given_as_a_list_or_an_iri():
    listed = ParsedActor.from_document(
        alice_at_paris(publicKey=[{"id": "junk"}, alice_at_paris()["publicKey"]])
    )
    assert listed.public_key_id == "https://paris.example/users/alice#main-key"
    by_iri = ParsedActor.from_document(alice_at_paris(publicKey="https://paris.example/users/alice#main-key"))
    assert (by_iri.public_key_id, by_iri.public_key_pem) == (
        "https://paris.example/users/alice#main-key",
        None,
    )


def test_employee_data_from_atrium_terms():
    doc = alice_at_paris(
        department="Research & Development",
        jobTitle="Staff engineer",
        manager="https://paris.example/users/carol",
        officeLocation="Paris, floor 3",
        pronouns="she/her",
    )
    assert ParsedActor.from_document(doc).employee == EmployeeInfo(
        department="Research & Development",
        title="Staff engineer",
        manager="https://paris.example/users/carol",
        location="Paris, floor 3",
        pronouns="she/her",
    )


def test_employee_data_from_expanded_or_prefixed_terms():
    doc = alice_at_paris(**{f"{ATRIUM_NS}department": "Sales", "atrium:pronouns": "they/them"})
    actor = ParsedActor.from_document(doc)
    assert (actor.department, actor.pronouns) == ("Sales", "they/them")


def test_employee_data_from_profile_fields_of_a_mastodon_peer():
    doc = alice_at_paris(
        attachment=[
            {"type": "PropertyValue", "name": "Department", "value": "Finance"},
            {"type": "PropertyValue", "name": "job title", "value": "Controller"},
            {
                "type": "PropertyValue",
                "name": "Manager",
                "value": '<a href="https://paris.example/@dave?x=1&amp;y=2" rel="me">@dave</a>',
            },
            {"type": "PropertyValue", "name": "Pronouns", "value": "he/him"},
            {"type": "IdentityProof", "name": "keybase", "signatureValue": "x"},
        ]
    )
    actor = ParsedActor.from_document(doc)
    assert actor.department == "Finance"
    assert actor.title == "Controller"
    assert actor.manager == "https://paris.example/@dave?x=1&y=2"
    assert actor.pronouns == "he/him"
    assert actor.location is None
    assert len(actor.fields) == 4


def test_atrium_terms_win_over_profile_fields():
    doc = alice_at_paris(
        department="Legal", attachment=[{"type": "PropertyValue", "name": "Department", "value": "Old"}]
    )
    assert ParsedActor.from_document(doc).department == "Legal"


def test_a_manager_field_without_a_link_gives_no_manager():
    doc = alice_at_paris(attachment=[{"type": "PropertyValue", "name": "Manager", "value": "Dave"}])
    assert ParsedActor.from_document(doc).manager is None


def test_fields_and_aliases_are_bounded():
    many_fields = [{"type": "PropertyValue", "name": f"f{i}", "value": "v"} for i in range(10_000)]
    many_aliases = [f"https://a.example/{i}" for i in range(10_000)]
    actor = ParsedActor.from_document(alice_at_paris(attachment=many_fields, alsoKnownAs=many_aliases))
    assert len(actor.fields) == MAX_FIELDS
    assert actor.fields[0] == Field("f0", "v")
    assert len(actor.also_known_as) == MAX_ALIASES


def test_group_moderators_only_for_groups():
    group = ParsedActor.from_document(alice_at_paris(type="Group", attributedTo="https://paris.example/mods"))
    person = ParsedActor.from_document(alice_at_paris(attributedTo="https://paris.example/mods"))
    assert group.moderators == "https://paris.example/mods"
    assert person.moderators is None


def test_icon_array_picks_the_largest_image():
    icons = [
        {"type": "Image", "url": "https://a.example/48.png", "width": 48},
        {"type": "Image", "url": "https://a.example/120.png", "width": 120},
        {"type": "Image", "url": "javascript:alert(1)", "width": 999},
    ]
    assert ParsedActor.from_document(alice_at_paris(icon=icons)).icon_url == "https://a.example/120.png"


def test_moved_to_and_shared_inbox_at_top_level():
    actor = ParsedActor.from_document(
        alice_at_paris(movedTo="https://lyon.example/users/alice", sharedInbox="https://paris.example/inbox")
    )
    assert actor.moved_to == "https://lyon.example/users/alice"
    assert actor.shared_inbox == "https://paris.example/inbox"
