"""federation.render: our rows as AP documents that parse back to what we stored."""

from __future__ import annotations

import pytest

from activitypub.audience import visibility_from_addressing
from activitypub.constants import AS_PUBLIC
from activitypub.parse_activity import ParsedActivity
from activitypub.parse_actor import ParsedActor
from activitypub.parse_object import ParsedObject
from federation import render
from federation.instance import Instance
from storage import accounts, hydrate, media, polls, statuses
from storage.db import Row, SQLiteDatabase
from storage.hydrate import StatusBundle
from tests.federation.rig import local_account, remote_actor, store_remote

COMPANY = "https://company.example/ns/audience"


async def _status(db: SQLiteDatabase, author: Row, visibility: str, *, mention: Row | None = None,
                  reply_to: int | None = None, n: int = 1) -> StatusBundle:
    async with db.transaction() as tx:
        media_id = await media.create(tx, account_id=author["id"], type_="image", file_path="ab/cd.png",
                                      mime_type="image/png", file_size=10, description="a cat", focus=(0.5, -0.5))
        status_id = await statuses.create(tx, statuses.NewStatus(
            account_id=author["id"], uri=f"{author['uri']}/statuses/{n}", visibility=visibility, local=True,
            content="<p>Hello #atrium</p>", spoiler_text="cw", sensitive=True, tag_names=["atrium"],
            mention_ids=[mention["id"]] if mention else [], media_ids=[media_id], in_reply_to_id=reply_to,
            language="fr"))
    bundle = await hydrate.load_status(db, status_id)
    assert bundle is not None
    return bundle


@pytest.mark.parametrize("visibility", ["public", "unlisted", "followers", "direct", "company"])
async def test_a_note_carries_its_visibility_and_parses_back(db: SQLiteDatabase, paris: Instance, visibility: str) -> None:
    alice = await local_account(db, paris, "alice")
    bob = await store_remote(db, remote_actor("lyon.example", "bob"))
    bundle = await _status(db, alice, visibility, mention=bob)
    note = render.note_object(bundle, paris)
    parsed = ParsedObject.from_document(note)
    assert visibility_from_addressing(parsed.to, parsed.cc, alice["followers_url"], COMPANY) == visibility
    assert parsed.id == bundle.status["uri"] and parsed.attributed_to == alice["uri"]
    assert parsed.summary == "cw" and parsed.sensitive and parsed.language == "fr"
    assert [m.href for m in parsed.mentions] == [bob["uri"]]
    assert parsed.mentions[0].name == "@bob@lyon.example"
    assert [h.name for h in parsed.hashtags] == ["atrium"]
    (attachment,) = parsed.attachments
    assert attachment.url == "https://paris.example/media/ab/cd.png" and attachment.name == "a cat"
    assert AS_PUBLIC not in (*parsed.to, *parsed.cc) or visibility in ("public", "unlisted")


async def test_local_only_posts_and_remote_posts_cannot_be_rendered(db: SQLiteDatabase, paris: Instance) -> None:
    alice = await local_account(db, paris, "alice")
    bundle = await _status(db, alice, "local")
    with pytest.raises(render.RenderError):
        render.create_activity(bundle, paris)
    assert render.status_audience(bundle) == {}


async def test_the_audience_of_each_visibility(db: SQLiteDatabase, paris: Instance) -> None:
    alice = await local_account(db, paris, "alice")
    bob = await store_remote(db, remote_actor("lyon.example", "bob"))
    carol = await local_account(db, paris, "carol")
    assert render.status_audience(await _status(db, alice, "direct", mention=bob, n=1)) == {"accounts": [bob["id"]]}
    assert render.status_audience(await _status(db, alice, "company", mention=carol, n=2)) == {"company": True, "accounts": []}
    assert render.status_audience(await _status(db, alice, "followers", mention=bob, n=3)) == {
        "followers": True, "accounts": [bob["id"]]}


async def test_create_update_delete_are_addressed_like_the_post(db: SQLiteDatabase, paris: Instance) -> None:
    alice = await local_account(db, paris, "alice")
    bundle = await _status(db, alice, "followers")
    create = ParsedActivity.from_document(render.create_activity(bundle, paris))
    assert create.type == "Create" and create.to == (alice["followers_url"],)
    assert isinstance(create.object, ParsedObject)
    update = render.update_activity(bundle, paris)
    assert update["type"] == "Update" and update["id"] != render.create_activity(bundle, paris)["id"]
    delete = ParsedActivity.from_document(render.delete_activity(bundle, paris))
    assert delete.object_id == bundle.status["uri"] and delete.to == (alice["followers_url"],)


async def test_a_poll_is_a_question_with_its_counts(db: SQLiteDatabase, paris: Instance) -> None:
    alice = await local_account(db, paris, "alice")
    bundle = await _status(db, alice, "public")
    async with db.transaction() as tx:
        await polls.create(tx, account_id=alice["id"], status_id=bundle.id, options=["tea", "coffee"],
                           expires_at=4_000_000_000_000, multiple=True)
    bundle = await hydrate.load_status(db, bundle.id)
    assert bundle is not None
    question = ParsedObject.from_document(render.note_object(bundle, paris))
    assert question.type == "Question" and question.poll is not None and question.poll.multiple
    assert [o.name for o in question.poll.options] == ["tea", "coffee"]
    bob = await store_remote(db, remote_actor("lyon.example", "bob"))
    votes = render.vote_activities(bob, bundle, [1, 0, 1])
    assert [v["object"]["name"] for v in votes] == ["tea", "coffee"]
    assert all(v["to"] == [alice["uri"]] for v in votes)


async def test_a_boost_is_an_announce_and_limited_posts_have_none(db: SQLiteDatabase, paris: Instance) -> None:
    alice = await local_account(db, paris, "alice")
    carol = await local_account(db, paris, "carol")
    original = await _status(db, alice, "public")
    async with db.transaction() as tx:
        boost_id = await statuses.create(tx, statuses.NewStatus(
            account_id=carol["id"], uri=f"{carol['uri']}#boosts/1", visibility="public", local=True,
            reblog_of_id=original.id))
    boost = await hydrate.load_status(db, boost_id)
    assert boost is not None
    announce = ParsedActivity.from_document(render.announce_activity(boost, paris))
    assert announce.object_id == original.status["uri"] and AS_PUBLIC in announce.to
    undo = ParsedActivity.from_document(render.undo_announce_activity(boost, paris))
    assert isinstance(undo.object, ParsedActivity) and undo.object.type == "Announce"
    with pytest.raises(render.RenderError):
        render.announce_activity(original, paris)


async def test_follow_accept_like_block_and_flag(db: SQLiteDatabase, paris: Instance) -> None:
    alice = await local_account(db, paris, "alice")
    bob = await store_remote(db, remote_actor("lyon.example", "bob"))
    follow = render.follow_activity(alice, bob, f"{alice['uri']}#follows/1")
    assert follow["object"] == bob["uri"]
    accept = ParsedActivity.from_document(render.accept_follow_activity(alice, bob, "https://lyon.example/f/1"))
    assert isinstance(accept.object, ParsedActivity) and accept.object.id == "https://lyon.example/f/1"
    reject = render.reject_follow_activity(alice, bob, "https://lyon.example/f/1")
    assert reject["type"] == "Reject" and reject["id"] != accept.id
    bundle = await _status(db, alice, "public")
    like = render.like_activity(bob, bundle.status, alice, "https://x/likes/1")
    assert like["object"] == bundle.status["uri"] and like["to"] == [alice["uri"]]
    assert render.undo_like_activity(bob, bundle.status, alice, "https://x/likes/1")["object"]["id"] == "https://x/likes/1"
    assert render.undo_follow_activity(alice, bob, "f")["object"]["type"] == "Follow"
    assert render.undo_block_activity(alice, bob, "b")["object"]["type"] == "Block"
    flag = render.flag_activity(paris, bob, ["https://lyon.example/notes/1"], "spam", "https://paris.example/flags/1")
    assert flag["actor"] == "https://paris.example/actor" and flag["object"][0] == bob["uri"]


async def test_an_actor_document_parses_back_with_its_key_and_employee_data(db: SQLiteDatabase, paris: Instance) -> None:
    alice = await local_account(db, paris, "alice", locked=True)
    await accounts.update_profile(db, alice["id"], {"department": "R&D", "title": "Engineer",
                                                    "fields": [{"name": "Site", "value": "<p>x</p>"}]})
    row = await accounts.get(db, alice["id"])
    assert row is not None
    parsed = ParsedActor.from_document(render.actor_document(row, paris))
    assert parsed.id == alice["uri"] and parsed.public_key_pem == alice["public_key_pem"]
    assert parsed.manually_approves_followers and parsed.department == "R&D" and parsed.title == "Engineer"
    assert parsed.shared_inbox == "https://paris.example/inbox"
    update = render.update_actor_activity(row, paris)
    assert update["object"]["id"] == alice["uri"] and update["to"] == [AS_PUBLIC]
    assert render.delete_actor_activity(row)["object"] == alice["uri"]
    assert render.move_activity(row, "https://lyon.example/users/alice")["target"] == "https://lyon.example/users/alice"
    bob = await store_remote(db, remote_actor("lyon.example", "bob"))
    with pytest.raises(render.RenderError):
        render.actor_document(bob, paris)


async def test_published_keeps_its_milliseconds_so_peers_keep_the_order(db: SQLiteDatabase, paris: Instance) -> None:
    alice = await local_account(db, paris, "alice")
    first = await _status(db, alice, "public", n=1)
    await db.execute("UPDATE statuses SET created_at = 1735787045123 WHERE id = ?", (first.id,))
    bundle = await hydrate.load_status(db, first.id)
    assert bundle is not None
    create = render.create_activity(bundle, paris)
    assert create["published"] == create["object"]["published"] == "2025-01-02T03:04:05.123Z"
    parsed = ParsedObject.from_document(create["object"])
    assert parsed.published is not None and parsed.published.microsecond == 123_000
