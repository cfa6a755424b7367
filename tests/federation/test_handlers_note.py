"""Create / Update / Delete of posts through process() (SECURITY-CASES 3, 21, 28, 30)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from activitypub.constants import AS_PUBLIC
from federation.instance import Instance
from storage import notifications, statuses, timelines
from storage.db import Row, SQLiteDatabase
from storage.pagination import Page
from tests.federation.harness import Harness
from tests.federation.rig import make_instance, remote_actor

BOB = remote_actor("lyon.example", "bob")
CAROL = remote_actor("lyon.example", "carol", key=3)
COMPANY = "https://company.example/ns/audience"


@pytest.fixture
def h(db: SQLiteDatabase, paris: Instance) -> Harness:
    return Harness(db, paris)


def note(n: int = 1, *, actor: str = BOB.uri, **extra: Any) -> dict[str, Any]:
    doc = {
        "id": f"{actor.rsplit('/users/', 1)[0]}/notes/{n}", "type": "Note", "attributedTo": actor,
        "content": f"<p>Post {n}</p>", "published": "2025-01-02T03:04:05Z", "to": [AS_PUBLIC],
        "cc": [f"{actor}/followers"],
    }
    doc.update(extra)
    return doc


def create(obj: dict[str, Any], *, actor: str = BOB.uri) -> dict[str, Any]:
    return {"id": f"{obj['id']}/activity", "type": "Create", "actor": actor, "object": obj,
            "to": obj.get("to"), "cc": obj.get("cc")}


def update(obj: dict[str, Any], n: int, *, actor: str = BOB.uri) -> dict[str, Any]:
    return {"id": f"{obj['id']}#updates/{n}", "type": "Update", "actor": actor, "object": obj}


async def stored(h: Harness, uri: str) -> Row:
    row = await statuses.get_by_uri(h.db, uri)
    assert row is not None
    return row


async def test_a_public_post_is_stored_sanitized_with_tags_mentions_and_attachments(h: Harness) -> None:
    alice = await h.local("alice")
    await h.remote(BOB)
    obj = note(
        content='<p>Hi <a href="https://paris.example/@alice">@alice</a> #Atrium<script>alert(1)</script></p>'
                '<img src=x onerror=alert(1)>',
        summary="Spoilers\u202e ahead", sensitive=False,
        tag=[{"type": "Mention", "href": alice["uri"], "name": "@alice@paris.example"},
             {"type": "Hashtag", "href": "https://lyon.example/tags/atrium", "name": "#Atrium"}],
        attachment=[{"type": "Document", "mediaType": "image/png", "url": "https://lyon.example/m/1.png",
                     "name": "a <b>cat</b>", "blurhash": "LEHV6n", "width": 640, "height": 480}],
    )
    assert await h.process(create(obj)) == "done"
    status = await stored(h, obj["id"])
    assert status["visibility"] == "public" and not status["local"]
    assert "<script" not in status["content"] and "onerror" not in status["content"]
    assert status["spoiler_text"] == "Spoilers ahead" and status["sensitive"]
    tags = await h.db.fetchall("SELECT t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id = ?",
                               (status["id"],))
    assert [t["name"] for t in tags] == ["atrium"]
    media = await h.db.fetchone("SELECT * FROM media_attachments WHERE status_id = ?", (status["id"],))
    assert media is not None and media["remote_url"] == "https://lyon.example/m/1.png" and media["type"] == "image"
    assert media["description"] == "a <b>cat</b>" and media["file_path"] is None
    assert await statuses.mentioned_account_ids(h.db, status["id"]) == [alice["id"]]
    assert [n["type"] for n in await notifications.list_for(h.db, alice["id"], Page(limit=5))] == ["mention"]


async def test_a_redelivered_create_stores_nothing_twice(h: Harness) -> None:
    await h.remote(BOB)
    obj = note()
    await h.process(create(obj))
    again = {**create(obj), "id": "https://lyon.example/activities/again"}
    assert await h.process(again) == "done"
    assert await h.count("SELECT COUNT(*) FROM statuses") == 1


async def test_the_author_must_be_the_actor(h: Harness) -> None:
    await h.remote(BOB)
    await h.remote(CAROL)
    assert await h.process(create(note(actor=BOB.uri), actor=CAROL.uri)) == "ignored"
    assert await h.count("SELECT COUNT(*) FROM statuses") == 0


@pytest.mark.parametrize(
    ("to", "cc", "expected"),
    [
        ([AS_PUBLIC], [], "public"),
        ([f"{BOB.uri}/followers"], ["as:Public"], "unlisted"),
        ([f"{BOB.uri}/followers"], [], "followers"),
        (["https://paris.example/users/alice"], [], "direct"),
        ([COMPANY], [], "company"),
    ],
)
async def test_visibility_comes_from_the_addressing(h: Harness, to: list[str], cc: list[str], expected: str) -> None:
    alice = await h.local("alice")
    await h.remote(BOB)
    obj = note(to=to, cc=cc)
    await h.process(create(obj))
    status = await stored(h, obj["id"])
    assert status["visibility"] == expected
    if expected == "direct":
        # A direct message addressed to alice mentions her, so she and only she sees it
        assert await statuses.mentioned_account_ids(h.db, status["id"]) == [alice["id"]]
        assert await timelines.can_see(h.db, timelines.Viewer(alice["id"], local=True), status["id"])
        outsider = await h.local("zoe")
        assert not await timelines.can_see(h.db, timelines.Viewer(outsider["id"], local=True), status["id"])


async def test_the_company_audience_counts_only_from_a_company_peer(db: SQLiteDatabase) -> None:
    h = Harness(db, make_instance("paris.example", peers=("lyon.example",), mode="open"))
    stranger = remote_actor("elsewhere.example", "eve")
    await h.remote(stranger)
    obj = note(actor=stranger.uri, to=[COMPANY], cc=[])
    await h.process(create(obj, actor=stranger.uri))
    assert (await stored(h, obj["id"]))["visibility"] == "direct"


async def test_a_reply_to_our_post_is_threaded_and_notifies(h: Harness) -> None:
    alice = await h.local("alice")
    await h.remote(BOB)
    async with h.db.transaction() as tx:
        parent_id = await statuses.create(tx, statuses.NewStatus(
            account_id=alice["id"], uri=f"{alice['uri']}/statuses/1", visibility="public", local=True, content="<p>x</p>"))
    obj = note(inReplyTo=f"{alice['uri']}/statuses/1",
               tag=[{"type": "Mention", "href": alice["uri"], "name": "@alice"}])
    await h.process(create(obj))
    reply = await stored(h, obj["id"])
    assert reply["in_reply_to_id"] == parent_id and reply["thread_root_id"] == parent_id
    assert (await statuses.get(h.db, parent_id))["replies_count"] == 1  # type: ignore[index]


async def test_a_reply_to_an_unseen_post_fetches_the_parent_from_its_origin(h: Harness) -> None:
    await h.remote(BOB)
    carol = await h.remote(CAROL)
    parent = note(50, actor=CAROL.uri)
    h.http.serve(parent["id"], parent)
    obj = note(inReplyTo=parent["id"])
    assert await h.process(create(obj)) == "done"
    stored_parent = await stored(h, parent["id"])
    assert stored_parent["account_id"] == carol["id"]
    assert (await stored(h, obj["id"]))["in_reply_to_id"] == stored_parent["id"]
    assert h.http.fetched() == [parent["id"]]


async def test_a_reply_whose_parent_cannot_be_fetched_is_kept(h: Harness) -> None:
    await h.remote(BOB)
    obj = note(inReplyTo="https://lyon.example/notes/missing")
    assert await h.process(create(obj)) == "done"
    reply = await stored(h, obj["id"])
    assert reply["in_reply_to_id"] is None and reply["in_reply_to_uri"] == "https://lyon.example/notes/missing"


async def test_an_update_edits_with_history_and_an_older_update_changes_nothing(h: Harness) -> None:
    await h.remote(BOB)
    obj = note()
    await h.process(create(obj))
    edited = {**obj, "content": "<p>Edited</p>", "updated": "2025-01-03T00:00:00Z"}
    assert await h.process(update(edited, 2)) == "done"
    older = {**obj, "content": "<p>Older</p>", "updated": "2025-01-02T12:00:00Z"}
    assert await h.process(update(older, 1)) == "ignored"
    status = await stored(h, obj["id"])
    assert status["content"] == "<p>Edited</p>" and status["edited_at"] is not None
    history = await statuses.history(h.db, status["id"])
    assert [e["content"] for e in history] == ["<p>Post 1</p>", "<p>Edited</p>"]


async def test_only_the_author_can_update_or_delete_a_post(h: Harness) -> None:
    await h.remote(BOB)
    await h.remote(CAROL)
    obj = note()
    await h.process(create(obj))
    hijack = {**obj, "attributedTo": CAROL.uri, "content": "<p>pwned</p>", "updated": "2025-02-01T00:00:00Z"}
    assert await h.process(update(hijack, 3, actor=CAROL.uri)) == "ignored"
    delete = {"id": f"{CAROL.uri}#delete/1", "type": "Delete", "actor": CAROL.uri, "object": obj["id"]}
    assert await h.process(delete) == "ignored"
    assert (await stored(h, obj["id"]))["content"] == "<p>Post 1</p>"


async def test_an_update_that_overtakes_its_create_stores_the_latest_version(h: Harness) -> None:
    await h.remote(BOB)
    obj = note(content="<p>v2</p>", updated="2025-01-03T00:00:00Z")
    assert await h.process(update(obj, 2)) == "done"
    assert await h.process(create(note())) == "done"
    assert (await stored(h, obj["id"]))["content"] == "<p>v2</p>"


async def test_a_delete_removes_the_post_and_a_late_create_cannot_revive_it(h: Harness) -> None:
    await h.remote(BOB)
    obj = note()
    await h.process(create(obj))
    tombstone = {"id": obj["id"], "type": "Tombstone"}
    assert await h.process({"id": f"{obj['id']}#delete", "type": "Delete", "actor": BOB.uri, "object": tombstone}) == "done"
    assert await statuses.get_by_uri(h.db, obj["id"]) is None
    assert await h.process({**create(obj), "id": "https://lyon.example/late"}) == "ignored"
    # A Delete of something never seen leaves a tombstone too
    assert await h.process({"id": "https://lyon.example/d/2", "type": "Delete", "actor": BOB.uri,
                            "object": "https://lyon.example/notes/2"}) == "done"
    assert await h.process(create(note(2))) == "ignored"


async def test_a_poll_is_stored_and_its_results_update_without_an_edit(h: Harness) -> None:
    await h.remote(BOB)
    question = note(type="Question", endTime="2030-01-01T00:00:00Z",
                    oneOf=[{"type": "Note", "name": "Yes", "replies": {"totalItems": 2}},
                           {"type": "Note", "name": "No<script>", "replies": {"totalItems": 1}}])
    await h.process(create(question))
    status = await stored(h, question["id"])
    poll = await h.db.fetchone("SELECT * FROM polls WHERE id = ?", (status["poll_id"],))
    assert poll is not None and json.loads(poll["options"]) == ["Yes", "No<script>"]
    assert json.loads(poll["cached_counts"]) == [2, 1] and not poll["multiple"]
    counted = {**question, "oneOf": [{"type": "Note", "name": "Yes", "replies": {"totalItems": 5}},
                                     {"type": "Note", "name": "No<script>", "replies": {"totalItems": 1}}],
               "votersCount": 6, "updated": "2025-01-02T04:00:00Z"}
    assert await h.process(update(counted, 1)) == "done"
    poll = await h.db.fetchone("SELECT * FROM polls WHERE id = ?", (status["poll_id"],))
    assert poll is not None and json.loads(poll["cached_counts"]) == [5, 1] and poll["voters_count"] == 6
    assert await statuses.history(h.db, status["id"]) == []


async def test_a_post_from_the_future_is_dated_now(h: Harness) -> None:
    await h.remote(BOB)
    obj = note(published="2999-01-01T00:00:00Z")
    await h.process(create(obj))
    assert (await stored(h, obj["id"]))["created_at"] < 2_000_000_000_000


async def test_a_post_with_ten_thousand_of_everything_is_bounded(h: Harness) -> None:
    # SECURITY-CASES 17: 10,000 mentions of unknown actors, tags, recipients and poll options
    await h.remote(BOB)
    many = range(10_000)
    obj = note(
        type="Question",
        to=[AS_PUBLIC, *(f"https://lyon.example/users/u{i}" for i in many)],
        tag=[*({"type": "Mention", "href": f"https://lyon.example/users/m{i}"} for i in many),
             *({"type": "Hashtag", "name": f"#t{i}"} for i in many)],
        oneOf=[{"type": "Note", "name": f"option {i}", "replies": {"totalItems": i}} for i in many],
    )
    assert await h.process(create(obj)) == "done"
    status = await stored(h, obj["id"])
    assert h.http.requests == []  # no fetch queued or made for any of them
    poll = await h.db.fetchone("SELECT * FROM polls WHERE id = ?", (status["poll_id"],))
    assert poll is not None and len(json.loads(poll["options"])) == len(json.loads(poll["cached_counts"])) <= 50
    assert await h.count("SELECT COUNT(*) FROM status_tags WHERE status_id = ?", status["id"]) <= 30
    assert await h.count("SELECT COUNT(*) FROM mentions WHERE status_id = ?", status["id"]) == 0
