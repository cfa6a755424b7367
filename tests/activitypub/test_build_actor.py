"""Actor documents we send parse back, through our own parser, to the values we put in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from activitypub.builders import build_actor, employee_fields
from activitypub.constants import ATRIUM_NS, TERM_MAP
from activitypub.model import Emoji, EmployeeInfo, Field
from activitypub.parse import ParsedActor

from .build_checks import assert_wire_ready

ALICE = "https://paris.example/users/alice"
PEM = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkq\n-----END PUBLIC KEY-----\n"
EMPLOYEE = EmployeeInfo(
    department="R&D <core>",
    title="Staff engineer",
    manager="https://paris.example/users/carol",
    location="Paris",
    pronouns="she/her",
)


def alice_document(**overrides: object) -> dict[str, object]:
    arguments: dict[str, object] = {
        "actor_id": ALICE,
        "username": "alice",
        "inbox": f"{ALICE}/inbox",
        "outbox": f"{ALICE}/outbox",
        "followers": f"{ALICE}/followers",
        "following": f"{ALICE}/following",
        "public_key_pem": PEM,
        "name": "Alice Martin",
        "summary_html": "<p>Builds things.</p>",
        "url": "https://paris.example/@alice",
        "featured": f"{ALICE}/collections/featured",
        "shared_inbox": "https://paris.example/inbox",
        "icon_url": "https://paris.example/media/alice.png",
        "icon_media_type": "image/png",
        "image_url": "https://paris.example/media/header.jpg",
        "manually_approves_followers": True,
        "discoverable": True,
        "fields": [Field("Team page", '<a href="https://wiki.paris.example/team">wiki</a>')],
        "employee": EMPLOYEE,
        "manager_label": "Carol",
        "emojis": [Emoji("party", "https://paris.example/emoji/party.png")],
        "published": datetime(2024, 1, 2, 3, 4, 5, 678, tzinfo=UTC),
        "also_known_as": ["https://old.example/users/alice"],
        "moved_to": None,
    }
    arguments.update(overrides)
    return build_actor(**arguments)  # type: ignore[arg-type]


def test_actor_round_trips_through_our_parser():
    # Given the actor document we serve for alice
    doc = alice_document()
    assert_wire_ready(doc)
    # When a peer (or we) parse it
    actor = ParsedActor.from_document(doc)
    # Then every value comes back
    assert actor.id == ALICE
    assert actor.type == "Person"
    assert actor.preferred_username == "alice"
    assert actor.name == "Alice Martin"
    assert actor.summary == "<p>Builds things.</p>"
    assert (actor.inbox, actor.outbox) == (f"{ALICE}/inbox", f"{ALICE}/outbox")
    assert (actor.followers, actor.following) == (f"{ALICE}/followers", f"{ALICE}/following")
    assert actor.featured == f"{ALICE}/collections/featured"
    assert actor.shared_inbox == "https://paris.example/inbox"
    assert actor.url == "https://paris.example/@alice"
    assert actor.icon_url == "https://paris.example/media/alice.png"
    assert actor.image_url == "https://paris.example/media/header.jpg"
    assert (actor.public_key_id, actor.public_key_pem) == (f"{ALICE}#main-key", PEM)
    assert actor.manually_approves_followers is True
    assert actor.discoverable is True
    assert actor.emojis == (Emoji("party", "https://paris.example/emoji/party.png"),)
    assert actor.published == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert actor.also_known_as == ("https://old.example/users/alice",)
    assert actor.moved_to is None
    assert actor.employee == EMPLOYEE
    assert actor.fields == (
        Field("Team page", '<a href="https://wiki.paris.example/team">wiki</a>'),
        *employee_fields(EMPLOYEE, "Carol"),
    )


def test_employee_fields_are_escaped_for_mastodon_peers():
    fields = {f.name: f.value for f in employee_fields(EMPLOYEE, "Carol <3")}
    assert fields["Department"] == "R&amp;D &lt;core&gt;"
    assert fields["Manager"] == (
        '<a href="https://paris.example/users/carol" rel="nofollow noopener noreferrer">Carol &lt;3</a>'
    )


def test_a_mastodon_style_reader_finds_employee_data_in_fields_alone():
    # Given our document stripped of the atrium: terms, as a peer ignoring them would see it
    doc = alice_document(
        employee=EmployeeInfo(department="Sales", manager="https://paris.example/users/carol")
    )
    for term in ("department", "jobTitle", "manager", "officeLocation", "pronouns"):
        doc.pop(term, None)
    actor = ParsedActor.from_document(doc)
    # Then the profile fields still carry them
    assert actor.department == "Sales"
    assert actor.manager == "https://paris.example/users/carol"


def test_atrium_terms_are_declared_in_our_context():
    doc = alice_document()
    for term in ("department", "jobTitle", "manager", "officeLocation", "pronouns"):
        assert term in doc
        assert term in TERM_MAP
    assert TERM_MAP["atrium"] == ATRIUM_NS


def test_minimal_actor_omits_unset_properties():
    doc = build_actor(
        actor_id=ALICE,
        username="alice",
        inbox=f"{ALICE}/inbox",
        outbox=f"{ALICE}/outbox",
        followers=f"{ALICE}/followers",
        following=f"{ALICE}/following",
        public_key_pem=PEM,
        key_id=f"{ALICE}/main-key",
    )
    assert_wire_ready(doc)
    for absent in ("name", "icon", "endpoints", "department", "movedTo", "alsoKnownAs", "published"):
        assert absent not in doc
    assert doc["publicKey"] == {"id": f"{ALICE}/main-key", "owner": ALICE, "publicKeyPem": PEM}
    assert ParsedActor.from_document(doc).employee == EmployeeInfo()


@pytest.mark.parametrize("actor_type", ["Group", "Application", "Service", "Organization"])
def test_other_actor_types(actor_type):
    doc = alice_document(actor_type=actor_type, moderators=f"{ALICE}/moderators")
    actor = ParsedActor.from_document(doc)
    assert actor.type == actor_type
    assert actor.moderators == (f"{ALICE}/moderators" if actor_type == "Group" else None)


def test_moved_account():
    actor = ParsedActor.from_document(alice_document(moved_to="https://lyon.example/users/alice"))
    assert actor.moved_to == "https://lyon.example/users/alice"


def test_context_is_a_fresh_copy():
    doc = alice_document()
    doc["@context"][2]["department"] = "changed"  # type: ignore[index]
    assert TERM_MAP["department"] == "atrium:department"
