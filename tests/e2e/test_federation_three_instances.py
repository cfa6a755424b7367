"""Three subsidiaries' instances, three real `atrium serve` processes, talking signed HTTP on loopback:
follows with approval, a post, a reply, a boost, a like, an edit and a delete, as colleagues would."""

from __future__ import annotations

import pytest

from tests.e2e.federation_rig import THREE_SUBSIDIARIES, employee, eventually, running_company


@pytest.fixture
def company(tmp_path):
    with running_company(tmp_path, THREE_SUBSIDIARIES) as instances:
        yield instances


def test_colleagues_on_three_instances_follow_post_reply_boost_like_edit_and_delete(company):
    colleagues_follow_post_reply_boost_like_edit_and_delete(company)


def colleagues_follow_post_reply_boost_like_edit_and_delete(company):
    """The scenario, against any three running instances named paris, lyon and montreal."""
    alice = employee(company["paris"], "alice")
    bob = employee(company["lyon"], "bob")
    carol = employee(company["montreal"], "carol")

    # Given bob (locked) approves alice's follow request, and carol follows alice
    bob_patch = _patch(bob, locked=True)
    assert bob_patch["locked"] is True
    bob_at_paris = alice.resolve(bob)
    relationship = alice.post(f"/api/v1/accounts/{bob_at_paris['id']}/follow")
    assert relationship["requested"] is True and relationship["following"] is False
    requests = eventually(lambda: bob.get("/api/v1/follow_requests"), what="bob sees alice's follow request")
    assert requests[0]["acct"] == f"alice@{company['paris'].domain}"
    bob.post(f"/api/v1/follow_requests/{requests[0]['id']}/authorize")
    eventually(lambda: alice.get("/api/v1/accounts/relationships", **{"id[]": bob_at_paris["id"]})[0]["following"],
               what="alice's follow accepted")
    alice_at_montreal = carol.resolve(alice)
    carol.post(f"/api/v1/accounts/{alice_at_montreal['id']}/follow")
    eventually(lambda: carol.get("/api/v1/accounts/relationships", **{"id[]": alice_at_montreal["id"]})[0]["following"],
               what="carol follows alice")

    # When bob posts, alice replies, carol boosts the reply, bob likes it
    post = bob.post("/api/v1/statuses", status="Release 4.2 is out #release", visibility="public")
    bobs_post_at_paris = eventually(
        lambda: next((s for s in alice.home() if s["uri"] == post["uri"]), None), what="bob's post in alice's home")
    reply = alice.post("/api/v1/statuses", status=f"@bob@{company['lyon'].domain} congratulations!",
                       in_reply_to_id=bobs_post_at_paris["id"], visibility="public")
    # (a reply to someone carol does not follow is delivered to her instance but, as in Mastodon,
    # stays out of her home timeline: it shows on alice's profile there)
    reply_at_montreal = eventually(
        lambda: next((s for s in carol.get(f"/api/v1/accounts/{alice_at_montreal['id']}/statuses")
                      if s["uri"] == reply["uri"]), None), what="alice's reply delivered to montreal")
    carol.post(f"/api/v1/statuses/{reply_at_montreal['id']}/reblog")
    reply_at_lyon = eventually(lambda: bob.find_status(reply["uri"]), what="alice's reply known at lyon")
    bob.post(f"/api/v1/statuses/{reply_at_lyon['id']}/favourite")

    # Then alice's instance counts the like and the boost, and alice is notified of both
    def counted():
        status = alice.get(f"/api/v1/statuses/{reply['id']}")
        return status if (status["favourites_count"], status["reblogs_count"]) == (1, 1) else None

    eventually(counted, what="like and boost counted at paris")
    kinds = eventually(lambda: {n["type"] for n in alice.notifications()} >= {"favourite", "reblog"} and
                       {n["type"] for n in alice.notifications()}, what="alice notified")
    assert {"favourite", "reblog"} <= kinds
    # bob was mentioned by the reply
    eventually(lambda: any(n["type"] == "mention" for n in bob.notifications()), what="bob notified of the reply")
    # the reply threads under bob's post at lyon
    context = bob.get(f"/api/v1/statuses/{post['id']}/context")
    assert [s["uri"] for s in context["descendants"]] == [reply["uri"]]

    # When bob edits his post, then deletes it
    bob.put(f"/api/v1/statuses/{post['id']}", status="Release 4.2.1 is out #release")
    eventually(lambda: "4.2.1" in alice.get(f"/api/v1/statuses/{bobs_post_at_paris['id']}")["content"],
               what="the edit reaches paris")
    bob.delete(f"/api/v1/statuses/{post['id']}")

    # Then it is gone from alice's home and from paris altogether
    eventually(lambda: all(s["uri"] != post["uri"] for s in alice.home()), what="the delete reaches paris")
    with httpx_client(alice) as client:
        assert client.get(f"/api/v1/statuses/{bobs_post_at_paris['id']}").status_code == 404


def _patch(who, **fields):
    with who.instance.client(base_url=who.instance.base_url, headers={"Authorization": f"Bearer {who.token}"}) as client:
        response = client.patch("/api/v1/accounts/update_credentials", json=fields)
    assert response.status_code == 200, response.text
    return response.json()


def httpx_client(who):
    return who.instance.client(base_url=who.instance.base_url, headers={"Authorization": f"Bearer {who.token}"})
