"""Two real instances: removing a remote follower reaches the follower's instance (a Reject of its
Follow), and a federated post with a followed hashtag reaches the tag follower's home timeline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.federation_rig import employee, eventually, running_company
from tests.rig import Instance, UserSpec


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[dict[str, Instance]]:
    with running_company(tmp_path, {"paris": [UserSpec("alice")], "lyon": [UserSpec("bob"), UserSpec("carol")]}) as instances:
        yield instances


def test_removing_a_remote_follower_and_following_a_hashtag(pair: dict[str, Instance]) -> None:
    alice, bob = employee(pair["paris"], "alice"), employee(pair["lyon"], "bob")
    alice_at_lyon = bob.resolve(alice)
    bob.post(f"/api/v1/accounts/{alice_at_lyon['id']}/follow")
    bob_at_paris = alice.resolve(bob)
    eventually(lambda: alice.get("/api/v1/accounts/relationships", **{"id[]": bob_at_paris["id"]})[0]["followed_by"],
               what="bob follows alice, seen at paris")
    eventually(lambda: bob.get("/api/v1/accounts/relationships", **{"id[]": alice_at_lyon["id"]})[0]["following"],
               what="the follow accepted, seen at lyon")

    # Alice removes bob from her followers: lyon learns it too, by a Reject of bob's Follow.
    relationship = alice.post(f"/api/v1/accounts/{bob_at_paris['id']}/remove_from_followers")
    assert relationship["followed_by"] is False
    eventually(lambda: not bob.get("/api/v1/accounts/relationships", **{"id[]": alice_at_lyon["id"]})[0]["following"],
               what="lyon no longer counts bob as alice's follower")

    # Bob follows #launch. Alice's public post with it reaches lyon (carol follows alice), and from
    # there bob's home timeline, though he no longer follows alice.
    carol = employee(pair["lyon"], "carol")
    carol.post(f"/api/v1/accounts/{alice_at_lyon['id']}/follow")
    eventually(lambda: carol.get("/api/v1/accounts/relationships", **{"id[]": alice_at_lyon["id"]})[0]["following"],
               what="carol follows alice")
    assert bob.post("/api/v1/tags/launch/follow")["following"] is True
    posted = alice.post("/api/v1/statuses", status="Ready for the #launch")
    untagged = alice.post("/api/v1/statuses", status="Nothing to see")
    eventually(lambda: any(s["uri"] == posted["uri"] for s in bob.home()), what="the tagged post in bob's home")
    eventually(lambda: any(s["uri"] == untagged["uri"] for s in carol.home()), what="the untagged post at lyon")
    assert all(s["uri"] != untagged["uri"] for s in bob.home())
