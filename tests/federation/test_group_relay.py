"""FEP-1b12: a Group (here a Lemmy community, with Lemmy's own documents from tests/fixtures/lemmy)
relays its members' Create, Update, Delete and Like wrapped in Announce. Nothing embedded is trusted:
the fake Lemmy servers below serve the origin's copies, and the tests check those are what count."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from activitypub.constants import AS_PUBLIC
from federation.instance import Instance
from storage import accounts, follows, statuses
from storage.db import Row, SQLiteDatabase
from tests.federation.harness import Harness
from tests.federation.rig import load_fixture, make_instance, remote_actor

GROUP = "http://enterprise.lemmy.ml/c/main"
ALPHA = "http://ds9.lemmy.ml/u/lemmy_alpha"
POST = "http://ds9.lemmy.ml/post/1"
COMMENT = "http://ds9.lemmy.ml/comment/1"


@pytest.fixture
def lemmy_instance() -> Instance:
    # Open federation: Lemmy instances are not company peers.
    return make_instance("paris.example", mode="open")


@pytest.fixture
def h(db: SQLiteDatabase, lemmy_instance: Instance) -> Harness:
    return Harness(db, lemmy_instance)


def _actor(uri: str, kind: str) -> dict[str, Any]:
    scheme, rest = uri.split("://", 1)
    actor = remote_actor(rest.split("/", 1)[0], uri.rsplit("/", 1)[-1], scheme=scheme)
    actor.uri = uri
    return actor.document(type=kind)


async def _group_followed_by_alice(h: Harness, *, followed: bool = True) -> tuple[Row, Row]:
    """The community as its origin describes it, and alice, who follows it (or not)."""
    alice = await h.local("alice")
    h.http.serve(GROUP, _actor(GROUP, "Group"))
    group = await h.fetcher.get_actor(GROUP)
    assert group["actor_type"] == "Group"
    if followed:
        async with h.db.transaction() as tx:
            await follows.request(tx, int(alice["id"]), int(group["id"]), None, accept=True)
    h.http.serve(ALPHA, _actor(ALPHA, "Person"))
    return group, alice


def announce(inner: Any, n: int) -> dict[str, Any]:
    """Lemmy's wrapping (lemmy/announce_create_page.json): the community announces to its followers."""
    return {"actor": GROUP, "to": [AS_PUBLIC], "object": inner, "cc": [f"{GROUP}/followers"], "type": "Announce",
            "id": f"http://enterprise.lemmy.ml/activities/announce/{n}"}


def _origin_post() -> dict[str, Any]:
    """The post as ds9.lemmy.ml serves it: the object of lemmy/create_page.json."""
    return copy.deepcopy(load_fixture("lemmy/create_page.json")["object"])


async def _relay_the_post(h: Harness) -> Row:
    h.http.serve(POST, _origin_post())
    assert await h.process(announce(load_fixture("lemmy/create_page.json"), 1)) == "done", h.last_error
    stored = await statuses.get_by_uri(h.db, POST)
    assert stored is not None
    return stored


async def test_a_relayed_post_is_stored_from_its_origin_and_boosted_by_the_group(h: Harness) -> None:
    # Given alice follows the community, and the Create the community relays says something else
    group, _alice = await _group_followed_by_alice(h)
    relayed = load_fixture("lemmy/create_page.json")
    relayed["object"]["content"] = "<p>forged by the relay</p>"
    h.http.serve(POST, _origin_post())
    # When the community announces it
    assert await h.process(announce(relayed, 1)) == "done", h.last_error
    # Then the post is the origin's, by its author, in the group
    post = await statuses.get_by_uri(h.db, POST)
    assert post is not None
    assert "test body" in post["content"] and "forged" not in post["content"]
    author = await accounts.get(h.db, int(post["account_id"]))
    assert author is not None and author["uri"] == ALPHA
    assert post["group_id"] == group["id"] and post["visibility"] == "public"
    # And it reaches the group's followers as a boost by the group, under the Announce's id
    boost = await statuses.find_boost(h.db, int(group["id"]), int(post["id"]))
    assert boost is not None and boost["uri"] == "http://enterprise.lemmy.ml/activities/announce/1"
    assert POST in h.http.fetched()
    # And the same post relayed again changes nothing
    assert await h.process(announce(relayed, 2)) == "done"
    assert await h.count("SELECT COUNT(*) FROM statuses") == 2


async def test_the_lemmy_fixture_announce_of_a_page_is_applied(h: Harness) -> None:
    await _group_followed_by_alice(h)
    document = load_fixture("lemmy/announce_create_page.json")
    inner = document["object"]
    h.http.serve(inner["actor"], _actor(inner["actor"], "Person"))
    h.http.serve(inner["object"]["id"], inner["object"])
    assert await h.process(document) == "done", h.last_error
    post = await statuses.get_by_uri(h.db, "http://enterprise.lemmy.ml/post/7")
    assert post is not None and "post 4" in post["content"]


async def test_a_group_no_one_here_follows_is_not_listened_to(h: Harness) -> None:
    await _group_followed_by_alice(h, followed=False)
    h.http.serve(POST, _origin_post())
    assert await h.process(announce(load_fixture("lemmy/create_page.json"), 1)) == "ignored"
    assert "no one here follows" in (h.last_error or "")
    assert POST not in h.http.fetched()
    assert await h.count("SELECT COUNT(*) FROM statuses") == 0


async def test_a_relayed_post_whose_origin_names_another_author_is_refused(h: Harness) -> None:
    await _group_followed_by_alice(h)
    h.http.serve(POST, {**_origin_post(), "attributedTo": "http://ds9.lemmy.ml/u/someone_else"})
    assert await h.process(announce(load_fixture("lemmy/create_page.json"), 1)) == "ignored"
    assert "author" in (h.last_error or "")
    assert await h.count("SELECT COUNT(*) FROM statuses") == 0


async def test_a_relayed_create_of_a_post_on_another_host_than_its_actor_is_refused(h: Harness) -> None:
    await _group_followed_by_alice(h)
    relayed = load_fixture("lemmy/create_page.json")
    relayed["object"] = "http://elsewhere.example/post/1"
    assert await h.process(announce(relayed, 1)) == "ignored"
    assert "another host" in (h.last_error or "")
    assert h.http.fetched() == [GROUP]


async def test_a_relayed_followers_only_post_does_not_reach_homes(h: Harness) -> None:
    await _group_followed_by_alice(h)
    h.http.serve(POST, {**_origin_post(), "to": [f"{ALPHA}/followers"], "cc": []})
    assert await h.process(announce(load_fixture("lemmy/create_page.json"), 1)) == "ignored"
    assert await h.count("SELECT COUNT(*) FROM statuses") == 0


async def test_a_person_announcing_an_activity_is_not_a_group(h: Harness) -> None:
    await _group_followed_by_alice(h)
    document = announce(load_fixture("lemmy/create_page.json"), 1)
    document["actor"] = ALPHA
    document["id"] = "http://ds9.lemmy.ml/activities/announce/1"
    assert await h.process(document) == "ignored"
    assert "not a group" in (h.last_error or "")


async def test_a_relayed_update_applies_the_origins_current_version(h: Harness) -> None:
    # Given the relayed post, then an Update relayed with a forged text while the origin has the edit
    await _group_followed_by_alice(h)
    await _relay_the_post(h)
    update = load_fixture("lemmy/update_page.json")
    h.http.serve(POST, update["object"] | {"content": "<p>edited at the origin</p>"})
    update["object"]["content"] = "<p>forged by the relay</p>"
    # When the community announces it
    assert await h.process(announce(update, 2)) == "done", h.last_error
    # Then the post now says what its origin says
    post = await statuses.get_by_uri(h.db, POST)
    assert post is not None and "edited at the origin" in post["content"]


async def test_a_relayed_delete_is_believed_only_when_the_origin_no_longer_has_the_post(h: Harness) -> None:
    await _group_followed_by_alice(h)
    await _relay_the_post(h)
    delete = load_fixture("lemmy/delete_page.json")
    # While the origin still serves the post, the relayed Delete is refused
    assert await h.process(announce(delete, 2)) == "ignored"
    assert "still has" in (h.last_error or "")
    assert await statuses.get_by_uri(h.db, POST) is not None
    # Once the origin answers 410 Gone, the same Delete relayed again removes it
    h.http.serve(POST, {"type": "Tombstone", "id": POST}, status=410)
    assert await h.process(announce(delete, 3)) == "done", h.last_error
    assert await statuses.get_by_uri(h.db, POST) is None


async def test_a_relayed_delete_by_someone_else_is_refused(h: Harness) -> None:
    await _group_followed_by_alice(h)
    await _relay_the_post(h)
    delete = load_fixture("lemmy/delete_page.json") | {"actor": "http://ds9.lemmy.ml/u/mallory"}
    h.http.serve(POST, {"type": "Tombstone", "id": POST}, status=410)
    assert await h.process(announce(delete, 2)) == "ignored"
    assert await statuses.get_by_uri(h.db, POST) is not None


async def test_a_relayed_like_counts_once_its_origin_confirms_it(h: Harness) -> None:
    # Given the relayed post and a relayed comment on it
    await _group_followed_by_alice(h)
    await _relay_the_post(h)
    create_comment = load_fixture("lemmy/create_comment.json")
    h.http.serve(COMMENT, create_comment["object"])
    assert await h.process(announce(create_comment, 2)) == "done", h.last_error
    like = load_fixture("lemmy/like_note.json")
    # When the community relays a Like its origin does not know, it is refused
    assert await h.process(announce(like, 3)) == "ignored"
    assert (await statuses.get_by_uri(h.db, COMMENT))["favourites_count"] == 0  # type: ignore[index]
    # And once the origin serves that Like, the relayed Like counts
    h.http.serve(like["id"], like)
    assert await h.process(announce(like, 4)) == "done", h.last_error
    assert (await statuses.get_by_uri(h.db, COMMENT))["favourites_count"] == 1  # type: ignore[index]


async def test_a_relayed_like_that_differs_from_its_origins_is_refused(h: Harness) -> None:
    await _group_followed_by_alice(h)
    await _relay_the_post(h)
    like = load_fixture("lemmy/like_note.json")
    h.http.serve(like["id"], like)
    forged = like | {"object": POST}
    assert await h.process(announce(forged, 2)) == "ignored"
    assert "differs" in (h.last_error or "")
    assert (await statuses.get_by_uri(h.db, POST))["favourites_count"] == 0  # type: ignore[index]


async def test_an_announce_naming_a_relayed_activity_by_id_is_handled_the_same(h: Harness) -> None:
    await _group_followed_by_alice(h)
    create = load_fixture("lemmy/create_page.json")
    h.http.serve(create["id"], create)
    h.http.serve(POST, _origin_post())
    assert await h.process(announce(create["id"], 1)) == "done", h.last_error
    assert await statuses.get_by_uri(h.db, POST) is not None


@pytest.mark.parametrize("fixture", ["lemmy/undo_dislike_page.json", "lemmy/lock_page.json"])
async def test_other_relayed_activities_are_ignored_with_their_reason(h: Harness, fixture: str) -> None:
    await _group_followed_by_alice(h)
    inner = load_fixture(fixture)
    assert await h.process(announce(inner, 1)) == "ignored"
    assert f"relaying {inner['type']}" in (h.last_error or "")


async def test_a_group_boosting_a_post_by_its_id_is_still_a_boost(h: Harness) -> None:
    group, _alice = await _group_followed_by_alice(h)
    h.http.serve(POST, _origin_post())
    assert await h.process(announce(POST, 1)) == "done", h.last_error
    post = await statuses.get_by_uri(h.db, POST)
    assert post is not None
    assert await statuses.find_boost(h.db, int(group["id"]), int(post["id"])) is not None
