"""Activities we send parse back through our own parser with the same values."""

from __future__ import annotations

from datetime import UTC, datetime

from activitypub.builders import (
    build_accept,
    build_actor,
    build_announce,
    build_block,
    build_create,
    build_delete,
    build_flag,
    build_follow,
    build_like,
    build_move,
    build_note,
    build_poll_vote,
    build_reject,
    build_tombstone,
    build_undo,
    build_update,
)
from activitypub.constants import AS_PUBLIC
from activitypub.parse import ParsedActivity, ParsedActor, ParsedObject, parse_document

from .build_checks import assert_wire_ready

ALICE = "https://paris.example/users/alice"
BOB = "https://lyon.example/users/bob"
WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
NOTE = build_note(
    note_id=f"{ALICE}/statuses/1",
    attributed_to=ALICE,
    content_html="<p>hello</p>",
    published=WHEN,
    to=[AS_PUBLIC],
    cc=[f"{ALICE}/followers"],
)


def parsed(doc: dict[str, object], *, relayed: bool = False) -> ParsedActivity:
    assert_wire_ready(doc, relayed=relayed)
    result = parse_document(doc)
    assert isinstance(result, ParsedActivity)
    return result


def test_create_copies_the_note_addressing_and_embeds_it_without_context():
    doc = build_create(f"{ALICE}/statuses/1/activity", ALICE, NOTE, published=WHEN)
    assert "@context" not in doc["object"]  # type: ignore[operator]
    create = parsed(doc)
    assert (create.type, create.actor, create.published) == ("Create", ALICE, WHEN)
    assert (create.to, create.cc) == ((AS_PUBLIC,), (f"{ALICE}/followers",))
    assert create.object == ParsedObject.from_document(NOTE)
    assert NOTE["@context"]  # the served note keeps its own


def test_update_of_a_note_and_of_an_actor():
    edited = parsed(build_update(f"{ALICE}/statuses/1#updates/1", ALICE, NOTE, published=WHEN))
    assert edited.to == (AS_PUBLIC,)
    assert isinstance(edited.object, ParsedObject)
    actor_doc = build_actor(
        actor_id=ALICE,
        username="alice",
        inbox=f"{ALICE}/inbox",
        outbox=f"{ALICE}/outbox",
        followers=f"{ALICE}/followers",
        following=f"{ALICE}/following",
        public_key_pem="-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n",
    )
    profile = parsed(build_update(f"{ALICE}#updates/2", ALICE, actor_doc))
    assert profile.to == (AS_PUBLIC,)
    assert isinstance(profile.object, ParsedActor)
    assert profile.object.id == ALICE


def test_delete_of_a_post_and_of_the_account():
    tombstone = build_tombstone(f"{ALICE}/statuses/1")
    post = parsed(
        build_delete(
            f"{ALICE}/statuses/1#delete", ALICE, tombstone, to=[AS_PUBLIC], cc=[f"{ALICE}/followers"]
        )
    )
    assert post.object == ParsedObject(id=f"{ALICE}/statuses/1", type="Tombstone")
    assert post.cc == (f"{ALICE}/followers",)
    account = parsed(build_delete(f"{ALICE}#delete", ALICE, ALICE, to=[AS_PUBLIC]))
    assert (account.object_id, account.object, account.to) == (ALICE, None, (AS_PUBLIC,))


def test_follow_accept_reject_undo():
    follow_doc = build_follow(f"{BOB}#follows/1", BOB, ALICE)
    follow = parsed(follow_doc)
    assert (follow.type, follow.actor, follow.object_id) == ("Follow", BOB, ALICE)

    accept = parsed(build_accept(f"{ALICE}#accepts/follows/1", ALICE, follow_doc))
    assert accept.to == (BOB,)
    assert isinstance(accept.object, ParsedActivity)
    assert (accept.object.id, accept.object.type, accept.object.actor) == (f"{BOB}#follows/1", "Follow", BOB)

    reject = parsed(build_reject(f"{ALICE}#rejects/follows/1", ALICE, f"{BOB}#follows/1"))
    assert (reject.type, reject.object_id, reject.to) == ("Reject", f"{BOB}#follows/1", ())

    undo = parsed(build_undo(f"{BOB}#follows/1/undo", BOB, follow_doc, to=[ALICE]))
    assert undo.to == (ALICE,)
    assert isinstance(undo.object, ParsedActivity)
    assert undo.object.object_id == ALICE


def test_like_and_its_undo():
    like_doc = build_like(f"{BOB}#likes/1", BOB, f"{ALICE}/statuses/1", to=[ALICE])
    like = parsed(like_doc)
    assert (like.object_id, like.to) == (f"{ALICE}/statuses/1", (ALICE,))
    undo = parsed(build_undo(f"{BOB}#likes/1/undo", BOB, like_doc))
    assert undo.to == (ALICE,)  # copied from the Like
    assert isinstance(undo.object, ParsedActivity)
    assert undo.object.type == "Like"


def test_announce_by_iri():
    boost = parsed(
        build_announce(
            f"{BOB}/statuses/5/activity",
            BOB,
            f"{ALICE}/statuses/1",
            published=WHEN,
            to=[AS_PUBLIC],
            cc=[ALICE, f"{BOB}/followers"],
        )
    )
    assert (boost.object_id, boost.published) == (f"{ALICE}/statuses/1", WHEN)
    assert boost.cc == (ALICE, f"{BOB}/followers")


def test_group_relays_an_activity_verbatim():
    # FEP-1b12: the wrapped activity is preserved exactly, @context included
    received = build_create(f"{ALICE}/statuses/1/activity", ALICE, NOTE, published=WHEN)
    group = "https://paris.example/groups/eng"
    doc = build_announce(f"{group}/announce/1", group, received, published=WHEN, to=[AS_PUBLIC])
    assert doc["object"] is received
    relay = parsed(doc, relayed=True)
    assert isinstance(relay.object, ParsedActivity)
    assert relay.object.type == "Create"


def test_block_flag_move():
    block = parsed(build_block(f"{ALICE}#blocks/1", ALICE, BOB))
    assert (block.type, block.object_id) == ("Block", BOB)

    reported = [BOB, f"{BOB}/statuses/7", f"{BOB}/statuses/8"]
    flag = parsed(
        build_flag("https://paris.example/flags/1", "https://paris.example/actor", reported, content="spam")
    )
    assert (flag.object_ids, flag.content) == (tuple(reported), "spam")

    move = parsed(build_move(f"{ALICE}#moves/1", ALICE, "https://lyon.example/users/alice"))
    assert (move.object_id, move.target) == (ALICE, "https://lyon.example/users/alice")


def test_poll_vote_is_a_create_of_a_named_note_to_the_author():
    vote = parsed(
        build_poll_vote(
            f"{BOB}#votes/3/activity", f"{BOB}#votes/3", BOB, f"{ALICE}/statuses/1", ALICE, "Coffee"
        )
    )
    assert vote.to == (ALICE,)
    assert isinstance(vote.object, ParsedObject)
    assert (vote.object.name, vote.object.in_reply_to) == ("Coffee", f"{ALICE}/statuses/1")
    assert (vote.object.attributed_to, vote.object.to, vote.object.content) == (BOB, (ALICE,), None)
