"""Like, Announce, their Undo, and poll votes through process() (SECURITY-CASES 23, 28)."""

from __future__ import annotations

import pytest

from activitypub.constants import AS_PUBLIC
from federation.instance import Instance
from storage import notifications, polls, statuses
from storage.db import Row, SQLiteDatabase
from storage.ids import now_ms
from storage.pagination import Page
from tests.federation.harness import Harness
from tests.federation.rig import make_instance, remote_actor

BOB = remote_actor("lyon.example", "bob")
CAROL = remote_actor("lyon.example", "carol", key=3)


@pytest.fixture
def h(db: SQLiteDatabase, paris: Instance) -> Harness:
    return Harness(db, paris)


async def our_post(h: Harness, visibility: str = "public", n: int = 1) -> tuple[Row, Row]:
    alice = await h.local("alice") if n == 1 else await h.db.fetchone("SELECT * FROM accounts WHERE username = 'alice'")
    assert alice is not None
    async with h.db.transaction() as tx:
        status_id = await statuses.create(tx, statuses.NewStatus(
            account_id=alice["id"], uri=f"{alice['uri']}/statuses/{n}", visibility=visibility, local=True,
            content="<p>hello</p>"))
    status = await statuses.get(h.db, status_id)
    assert status is not None
    return alice, status


def like(actor: str, obj: str, n: int = 1) -> dict[str, object]:
    return {"id": f"{actor}#likes/{n}", "type": "Like", "actor": actor, "object": obj}


def announce(actor: str, obj: object, n: int = 1, to: list[str] | None = None) -> dict[str, object]:
    return {"id": f"{actor}/statuses/{n}/activity", "type": "Announce", "actor": actor, "object": obj,
            "published": "2025-01-02T03:04:05Z", "to": to or [AS_PUBLIC], "cc": [f"{actor}/followers"]}


async def test_a_like_counts_once_and_notifies(h: Harness) -> None:
    alice, post = await our_post(h)
    await h.remote(BOB)
    assert await h.process(like(BOB.uri, post["uri"])) == "done"
    assert await h.process(like(BOB.uri, post["uri"], 2)) == "done"
    assert (await statuses.get(h.db, post["id"]))["favourites_count"] == 1  # type: ignore[index]
    assert [n["type"] for n in await notifications.list_for(h.db, alice["id"], Page(limit=5))] == ["favourite"]


async def test_a_like_of_a_post_the_actor_cannot_see_is_refused(h: Harness) -> None:
    _alice, post = await our_post(h, "followers")
    await h.remote(BOB)
    assert await h.process(like(BOB.uri, post["uri"])) == "ignored"
    assert await h.count("SELECT COUNT(*) FROM favourites") == 0


async def test_only_the_liker_can_undo_a_like(h: Harness) -> None:
    _alice, post = await our_post(h)
    await h.remote(BOB)
    await h.remote(CAROL)
    await h.process(like(BOB.uri, post["uri"]))
    forged = {"id": f"{CAROL.uri}#undo/1", "type": "Undo", "actor": CAROL.uri, "object": f"{BOB.uri}#likes/1"}
    assert await h.process(forged) == "ignored"
    assert await h.count("SELECT COUNT(*) FROM favourites") == 1
    undo = {"id": f"{BOB.uri}#undo/1", "type": "Undo", "actor": BOB.uri, "object": like(BOB.uri, post["uri"], 77)}
    assert await h.process(undo) == "done"
    assert (await statuses.get(h.db, post["id"]))["favourites_count"] == 0  # type: ignore[index]


async def test_a_boost_of_our_public_post_is_stored_and_can_be_undone(h: Harness) -> None:
    alice, post = await our_post(h)
    bob = await h.remote(BOB)
    assert await h.process(announce(BOB.uri, post["uri"])) == "done"
    boost = await statuses.find_boost(h.db, bob["id"], post["id"])
    assert boost is not None and boost["uri"] == f"{BOB.uri}/statuses/1/activity"
    assert (await statuses.get(h.db, post["id"]))["reblogs_count"] == 1  # type: ignore[index]
    assert "reblog" in [n["type"] for n in await notifications.list_for(h.db, alice["id"], Page(limit=5))]
    undo = {"id": f"{BOB.uri}#undo/2", "type": "Undo", "actor": BOB.uri, "object": f"{BOB.uri}/statuses/1/activity"}
    assert await h.process(undo) == "done"
    assert await statuses.find_boost(h.db, bob["id"], post["id"]) is None


@pytest.mark.parametrize("visibility", ["followers", "direct", "local"])
async def test_limited_posts_cannot_be_boosted(h: Harness, visibility: str) -> None:
    _alice, post = await our_post(h, visibility)
    await h.remote(BOB)
    assert await h.process(announce(BOB.uri, post["uri"])) == "ignored"
    assert await h.count("SELECT COUNT(*) FROM statuses WHERE reblog_of_id IS NOT NULL") == 0


async def test_company_posts_are_boosted_only_by_company_peers(db: SQLiteDatabase) -> None:
    h = Harness(db, make_instance("paris.example", peers=("lyon.example",), mode="open"))
    _alice, post = await our_post(h, "company")
    outsider = remote_actor("elsewhere.example", "eve")
    await h.remote(outsider)
    await h.remote(BOB)
    assert await h.process(announce(outsider.uri, post["uri"])) == "ignored"
    assert await h.process(announce(BOB.uri, post["uri"], to=["https://company.example/ns/audience"])) == "done"
    assert await h.count("SELECT COUNT(*) FROM statuses WHERE reblog_of_id IS NOT NULL") == 1


async def test_a_boost_of_an_unseen_post_fetches_it_from_its_origin_not_the_announce(h: Harness) -> None:
    bob = await h.remote(BOB)
    montreal = remote_actor("lyon.example", "dan")
    origin_note = {"id": "https://lyon.example/notes/9", "type": "Note", "attributedTo": montreal.uri,
                   "content": "<p>the real text</p>", "to": [AS_PUBLIC]}
    h.http.serve(montreal.uri, montreal.document())
    h.http.serve(origin_note["id"], origin_note)
    forged_embed = {**origin_note, "content": "<p>forged text</p>"}
    assert await h.process(announce(BOB.uri, forged_embed)) == "done"
    original = await statuses.get_by_uri(h.db, origin_note["id"])
    assert original is not None and original["content"] == "<p>the real text</p>"
    assert await statuses.find_boost(h.db, bob["id"], original["id"]) is not None


async def test_a_boost_of_a_remote_followers_only_post_is_refused_before_storing_it(h: Harness) -> None:
    await h.remote(BOB)
    hidden = {"id": "https://lyon.example/notes/10", "type": "Note", "attributedTo": BOB.uri,
              "content": "<p>secret</p>", "to": [f"{BOB.uri}/followers"]}
    h.http.serve(hidden["id"], hidden)
    assert await h.process(announce(BOB.uri, hidden["id"])) == "ignored"
    assert await h.count("SELECT COUNT(*) FROM statuses") == 0


async def test_an_announce_relaying_an_activity_is_ignored(h: Harness) -> None:
    await h.remote(BOB)
    relayed = {"id": "https://lyon.example/a/1", "type": "Create", "actor": BOB.uri,
               "object": {"id": "https://lyon.example/notes/1", "type": "Note", "attributedTo": BOB.uri}}
    assert await h.process(announce(BOB.uri, relayed)) == "ignored"


async def _our_poll(h: Harness, *, multiple: bool, expires_at: int | None = None) -> tuple[Row, int]:
    _alice, post = await our_post(h)
    async with h.db.transaction() as tx:
        poll_id = await polls.create(tx, account_id=post["account_id"], status_id=post["id"], options=["tea", "coffee"],
                                     expires_at=expires_at, multiple=multiple)
    return post, poll_id


def vote(actor: str, question: str, author: str, choice: str, n: int) -> dict[str, object]:
    vote_id = f"{actor}#votes/{n}"
    return {"id": f"{vote_id}/activity", "type": "Create", "actor": actor, "to": author,
            "object": {"id": vote_id, "type": "Note", "name": choice, "attributedTo": actor,
                       "inReplyTo": question, "to": author}}


async def test_remote_votes_are_counted_per_option(h: Harness) -> None:
    post, poll_id = await _our_poll(h, multiple=True)
    await h.remote(BOB)
    author = "https://paris.example/users/alice"
    assert await h.process(vote(BOB.uri, post["uri"], author, "tea", 1)) == "done"
    assert await h.process(vote(BOB.uri, post["uri"], author, "coffee", 2)) == "done"
    assert await h.process(vote(BOB.uri, post["uri"], author, "beer", 3)) == "ignored"
    poll = await polls.get(h.db, poll_id)
    assert poll is not None and poll["votes_count"] == 2 and poll["voters_count"] == 1
    assert await h.count("SELECT COUNT(*) FROM statuses") == 1  # votes are not posts


async def test_a_vote_in_an_ended_poll_is_refused(h: Harness) -> None:
    post, _ = await _our_poll(h, multiple=False, expires_at=now_ms() - 1000)
    await h.remote(BOB)
    assert await h.process(vote(BOB.uri, post["uri"], "https://paris.example/users/alice", "tea", 1)) == "ignored"
