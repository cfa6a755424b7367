"""federation.process: every real-world document is applied or refused for a stated reason, and an
item's effects commit exactly once, together with its `done` mark (SECURITY-CASES 16, 29, 32)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from activitypub.constants import OBJECT_TYPES
from activitypub.parse_activity import is_activity_document
from activitypub.values import first_id, get_types
from federation.instance import Instance
from federation.process import process_item
from storage import accounts, notifications, statuses
from storage import inbox as inbox_store
from storage.db import SQLiteDatabase
from storage.ids import now_ms
from storage.pagination import Page
from tests.federation.harness import Harness
from tests.federation.rig import FIXTURES, make_instance, remote_actor

BOB = remote_actor("lyon.example", "bob")


def _fixtures() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/*.json") if p.parent.name != "jsonld-contexts")


def _load(path: Path) -> Any:
    return json.loads(path.read_text())


ACTIVITIES = [p for p in _fixtures() if is_activity_document(_load(p)) and "actor" in _load(p)]
POSTS = [
    p for p in _fixtures()
    if p not in ACTIVITIES and any(t in OBJECT_TYPES - {"Tombstone"} for t in get_types(_load(p)))
]

# Posts refused on purpose, and why.
REFUSED_POSTS = {
    "pleroma/note_tag_uri_id.json": "a post must live on its author's host",   # a tag: URI is no one's host
}
# Activities that must be applied (the rest concern things that are not ours and are ignored, with a reason).
APPLIED = {
    "friendica/create_note_reply.json", "friendica/create_note_to_group.json", "funkwhale/create_audio.json",
    "gnusocial/create_note.json", "hubzilla/create_note.json", "kroeg/create_note.json", "lemmy/create_comment.json",
    "lemmy/create_page.json", "lemmy/create_private_message.json", "lotide/create_note_reply.json",
    "lotide/create_page.json", "mastodon/create_note_2018.json", "mastodon/create_note_content_warning_2018.json",
    "mastodon/create_note_hashtag_2018.json", "mastodon/create_note_reply.json",
    "mastodon/create_note_with_attachment_2018.json", "mastodon/create_question_poll.json",
    "mitra/create_note_with_proof.json", "peertube/create_video.json", "pleroma/create_note.json",
    "plume/create_article.json", "smithereen/create_note.json", "zap/create_image.json",
    "wordpress-pterotype/create_article.json", "prismo/create_article_url_object.json",
}


@pytest.fixture
def h(db: SQLiteDatabase) -> Harness:
    # Open federation: the fixtures come from hosts all over the fediverse.
    return Harness(db, make_instance("paris.example", mode="open"))


@pytest.mark.parametrize("path", ACTIVITIES, ids=lambda p: str(p.relative_to(FIXTURES)))
async def test_every_fixture_activity_is_applied_or_refused_with_a_reason(h: Harness, path: Path) -> None:
    name = str(path.relative_to(FIXTURES))
    state = await h.process(_load(path))
    assert state in ("done", "ignored"), h.last_error
    if name in APPLIED:
        assert state == "done", h.last_error
        assert await h.count("SELECT COUNT(*) FROM statuses") >= 1
    if state == "ignored":
        assert h.last_error


@pytest.mark.parametrize("path", POSTS, ids=lambda p: str(p.relative_to(FIXTURES)))
async def test_every_fixture_post_is_stored_or_refused_with_a_reason(h: Harness, path: Path) -> None:
    name = str(path.relative_to(FIXTURES))
    post = _load(path)
    author = first_id(post.get("attributedTo")) or first_id(post.get("actor"))
    assert author, name
    create = {"id": f"{post['id']}#create", "type": "Create", "actor": author, "object": post}
    state = await h.process(create)
    if name in REFUSED_POSTS:
        assert state == "ignored" and REFUSED_POSTS[name] in (h.last_error or "")
        return
    assert state == "done", h.last_error
    stored = await statuses.get_by_uri(h.db, post["id"])
    assert stored is not None
    assert "<script" not in stored["content"] and "javascript:" not in stored["content"]


async def test_a_fixture_poll_keeps_its_options_and_counts(h: Harness) -> None:
    await h.process(_load(FIXTURES / "mastodon/create_question_poll.json"))
    poll = await h.db.fetchone("SELECT * FROM polls")
    assert poll is not None and len(json.loads(poll["options"])) >= 2


async def test_an_unknown_activity_type_is_ignored_with_its_reason(h: Harness) -> None:
    await h.remote(BOB)
    assert await h.process({"id": "https://lyon.example/x/1", "type": "Wave", "actor": BOB.uri}) == "ignored"
    assert h.last_error is not None and "Wave" in h.last_error


async def test_a_failure_half_way_leaves_nothing_and_the_item_is_retried(
    db: SQLiteDatabase, paris: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a Create that mentions alice, and a database write failing at the notification
    h = Harness(db, paris)
    alice = await h.local("alice")
    await h.remote(BOB)
    note = {"id": "https://lyon.example/notes/1", "type": "Note", "attributedTo": BOB.uri, "content": "hi",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "tag": [{"type": "Mention", "href": alice["uri"]}]}
    create = {"id": "https://lyon.example/notes/1/activity", "type": "Create", "actor": BOB.uri, "object": note}
    real_notify = notifications.notify_each   # a post's mentions are notified by one notify_each

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(notifications, "notify_each", broken)
    # When it is processed
    assert await h.process(create) == "queued"
    # Then neither the post nor the done mark was committed, and the item waits for a retry
    assert await statuses.get_by_uri(db, note["id"]) is None
    row = await inbox_store.get_by_activity_id(db, create["id"])
    assert row is not None and row["state"] == "queued" and "disk full" in row["last_error"]
    # And once the fault is gone, the retry applies it exactly once
    monkeypatch.setattr(notifications, "notify_each", real_notify)
    (again,) = await inbox_store.claim_due(db, now=now_ms() + 10**9, lock_ms=60_000, limit=5)
    assert await process_item(db, paris, h.fetcher, again) == "done"
    assert await h.count("SELECT COUNT(*) FROM statuses") == 1
    assert len(await notifications.list_for(db, alice["id"], Page(limit=5))) == 1


async def test_a_worker_that_lost_its_claim_applies_nothing(db: SQLiteDatabase, paris: Instance) -> None:
    # Given an item claimed by a slow worker, whose lock expired and was re-taken by another
    h = Harness(db, paris)
    alice = await h.local("alice")
    await h.remote(BOB)
    like_target = f"{alice['uri']}/statuses/1"
    async with db.transaction() as tx:
        await statuses.create(tx, statuses.NewStatus(account_id=alice["id"], uri=like_target, visibility="public",
                                                      local=True))
    await inbox_store.insert(db, activity_id="https://lyon.example/likes/1", activity_type="Like", actor_uri=BOB.uri,
                             key_id=BOB.key_id, body=json.dumps({"id": "https://lyon.example/likes/1", "type": "Like",
                                                                  "actor": BOB.uri, "object": like_target}))
    (slow,) = await inbox_store.claim_due(db, now=now_ms(), lock_ms=1, limit=1)
    (fast,) = await inbox_store.claim_due(db, now=now_ms() + 10, lock_ms=60_000, limit=1)
    # When both process it
    assert await process_item(db, paris, h.fetcher, fast) == "done"
    assert await process_item(db, paris, h.fetcher, slow) == "lost"
    # Then the Like counted once
    assert await h.count("SELECT favourites_count FROM statuses WHERE uri = ?", like_target) == 1


async def test_items_of_suspended_or_no_longer_allowed_actors_are_ignored(db: SQLiteDatabase, paris: Instance) -> None:
    h = Harness(db, paris)
    bob = await h.remote(BOB)
    await accounts.set_suspended(db, bob["id"], True)
    assert await h.process({"id": "https://lyon.example/a/1", "type": "Like", "actor": BOB.uri, "object": "x"}) == "ignored"
    outsider = remote_actor("evil.example", "eve")
    await h.remote(outsider)
    assert await h.process({"id": "https://evil.example/a/1", "type": "Like", "actor": outsider.uri,
                            "object": "x"}) == "ignored"
    assert h.last_error is not None and "no longer federates" in h.last_error
