"""/api/v1/statuses as apps use it: every body encoding, polls, audiences, idempotency, edits,
deletion with redraft, favourites, boosts, bookmarks and pins."""

from __future__ import annotations

import httpx

from tests.api.conftest import Api, post


async def test_a_status_is_posted_form_encoded_with_a_content_warning(alice: httpx.AsyncClient) -> None:
    status = await post(alice, "Release day! #shipit", spoiler_text="Long post", sensitive="true", language="en")
    assert status["content"].startswith("<p>Release day!")
    assert status["spoiler_text"] == "Long post" and status["sensitive"] is True and status["language"] == "en"
    assert status["visibility"] == "public" and status["tags"][0]["name"] == "shipit"
    assert status["account"]["username"] == "alice"
    assert status["uri"] == f"http://paris.test/users/alice/statuses/{status['id']}"
    assert status["favourited"] is False and status["pinned"] is False


async def test_a_poll_is_posted_as_json_as_mastodon_py_sends_it(alice: httpx.AsyncClient) -> None:
    response = await alice.post("/api/v1/statuses", json={
        "status": "Where do we eat?", "poll": {"options": ["Canteen", "Park"], "expires_in": 600, "multiple": "0",
                                               "hide_totals": False}})
    assert response.status_code == 200, response.text
    poll = response.json()["poll"]
    assert [o["title"] for o in poll["options"]] == ["Canteen", "Park"]
    assert poll["multiple"] is False and poll["expired"] is False and poll["voted"] is True


async def test_a_poll_is_posted_form_encoded_and_multipart_too(alice: httpx.AsyncClient) -> None:
    form = await alice.post("/api/v1/statuses", data={"status": "A or B?", "poll[options][]": ["A", "B"],
                                                      "poll[expires_in]": "300", "poll[multiple]": "true"})
    assert form.status_code == 200, form.text
    assert form.json()["poll"]["multiple"] is True
    multipart = await alice.post("/api/v1/statuses", data={"status": "C or D?", "poll[options][]": ["C", "D"],
                                                           "poll[expires_in]": "300"},
                                 files={"unused": ("x.txt", b"x", "text/plain")})
    assert multipart.status_code == 200, multipart.text
    assert [o["title"] for o in multipart.json()["poll"]["options"]] == ["C", "D"]


async def test_voting_in_a_poll(api: Api, alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    status = (await alice.post("/api/v1/statuses", json={
        "status": "Pick", "poll": {"options": ["One", "Two", "Three"], "expires_in": 600, "multiple": True}})).json()
    poll_id = status["poll"]["id"]
    voted = await carol.post(f"/api/v1/polls/{poll_id}/votes", data={"choices[]": ["0", "2"]})
    assert voted.status_code == 200, voted.text
    assert voted.json()["own_votes"] == [0, 2] and voted.json()["votes_count"] == 2
    again = await carol.post(f"/api/v1/polls/{poll_id}/votes", json={"choices": [1]})
    assert again.status_code == 422
    own = await alice.post(f"/api/v1/polls/{poll_id}/votes", json={"choices": [1]})
    assert own.status_code == 422
    assert (await carol.get(f"/api/v1/polls/{poll_id}")).json()["voters_count"] == 1


async def test_validation_failures_are_422_with_an_error(alice: httpx.AsyncClient) -> None:
    cases = [
        {"status": ""},
        {"status": "x" * 6000},
        {"status": "hi", "visibility": "everyone"},
        {"status": "hi", "in_reply_to_id": "not-an-id"},
        {"status": "hi", "poll[options][]": ["only one"], "poll[expires_in]": "600"},
        {"status": "hi", "poll[options][]": ["a", "b"], "poll[expires_in]": "10"},
        {"status": "hi", "media_ids[]": ["999"]},
        {"status": "hi", "scheduled_at": "next tuesday"},
        {"status": "hi", "sensitive": "perhaps"},
        {"status": "hi", "language": "<script>"},
    ]
    for data in cases:
        response = await alice.post("/api/v1/statuses", data=data)
        assert response.status_code == 422, (data, response.text)
        assert isinstance(response.json()["error"], str)


async def test_a_broken_json_body_is_400(alice: httpx.AsyncClient) -> None:
    response = await alice.post("/api/v1/statuses", content=b'{"status": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    deep = await alice.post("/api/v1/statuses", content=b'{"a":' * 50 + b"1" + b"}" * 50,
                            headers={"Content-Type": "application/json"})
    assert deep.status_code == 400


async def test_the_idempotency_key_makes_a_retry_return_the_same_status(api: Api, alice: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "retry-123"}
    first = await alice.post("/api/v1/statuses", data={"status": "Only once"}, headers=headers)
    second = await alice.post("/api/v1/statuses", data={"status": "Only once"}, headers=headers)
    assert first.json()["id"] == second.json()["id"]
    home = (await alice.get("/api/v1/timelines/home")).json()
    assert [s["content"] for s in home].count("<p>Only once</p>") == 1


async def test_atrium_audiences_map_to_mastodon_visibilities(alice: httpx.AsyncClient) -> None:
    company = await post(alice, "For the whole company", visibility="company")
    assert company["visibility"] == "unlisted" and company["atrium"]["audience"] == "company"
    assert "local_only" not in company
    local = await post(alice, "Only for this office", local_only="true")
    assert local["visibility"] == "unlisted" and local["local_only"] is True and local["atrium"]["audience"] == "local"
    explicit = await post(alice, "Also local", visibility="local")
    assert explicit["atrium"]["audience"] == "local"
    followers = await post(alice, "Followers only", visibility="private")
    assert followers["visibility"] == "private" and followers["atrium"]["audience"] == "followers"


async def test_a_reply_never_widens_the_audience(alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    local = await post(alice, "Office only", local_only="true")
    reply = await post(carol, "@alice yes", in_reply_to_id=local["id"], visibility="public")
    assert reply["in_reply_to_id"] == local["id"] and reply["in_reply_to_account_id"] == local["account"]["id"]
    assert reply["atrium"]["audience"] == "local"


async def test_limited_posts_are_invisible_to_others(alice: httpx.AsyncClient, bob: httpx.AsyncClient) -> None:
    private = await post(alice, "Followers only", visibility="private")
    direct = await post(alice, "Just me", visibility="direct")
    for status in (private, direct):
        assert (await bob.get(f"/api/v1/statuses/{status['id']}")).status_code == 404
        assert (await bob.post(f"/api/v1/statuses/{status['id']}/favourite")).status_code == 404
        assert (await bob.post(f"/api/v1/statuses/{status['id']}/bookmark")).status_code == 404
    assert (await alice.post(f"/api/v1/statuses/{private['id']}/reblog")).status_code == 422


async def test_edit_history_and_source(alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    status = await post(alice, "Frist post", spoiler_text="typo")
    edited = await alice.put(f"/api/v1/statuses/{status['id']}", json={"status": "First post", "spoiler_text": ""})
    assert edited.status_code == 200, edited.text
    assert edited.json()["content"] == "<p>First post</p>" and edited.json()["edited_at"] is not None
    history = (await alice.get(f"/api/v1/statuses/{status['id']}/history")).json()
    assert [h["content"] for h in history] == ["<p>Frist post</p>", "<p>First post</p>"]
    source = (await alice.get(f"/api/v1/statuses/{status['id']}/source")).json()
    assert source == {"id": status["id"], "text": "First post", "spoiler_text": ""}
    assert (await carol.put(f"/api/v1/statuses/{status['id']}", json={"status": "hijack"})).status_code == 404
    assert (await carol.get(f"/api/v1/statuses/{status['id']}/source")).status_code == 404


async def test_delete_returns_the_source_for_redraft(alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    status = await post(alice, "Oops #typo")
    assert (await carol.delete(f"/api/v1/statuses/{status['id']}")).status_code == 404
    deleted = await alice.delete(f"/api/v1/statuses/{status['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["text"] == "Oops #typo" and "content" not in deleted.json()
    assert (await alice.get(f"/api/v1/statuses/{status['id']}")).status_code == 404


async def test_favourite_boost_bookmark_and_the_lists_of_who(alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    status = await post(alice, "Like me")
    favourited = (await carol.post(f"/api/v1/statuses/{status['id']}/favourite")).json()
    assert favourited["favourited"] is True and favourited["favourites_count"] == 1
    boost = (await carol.post(f"/api/v1/statuses/{status['id']}/reblog")).json()
    assert boost["reblog"]["id"] == status["id"] and boost["reblog"]["reblogged"] is True
    bookmarked = (await carol.post(f"/api/v1/statuses/{status['id']}/bookmark")).json()
    assert bookmarked["bookmarked"] is True
    who_liked = (await alice.get(f"/api/v1/statuses/{status['id']}/favourited_by")).json()
    who_boosted = (await alice.get(f"/api/v1/statuses/{status['id']}/reblogged_by")).json()
    assert [a["username"] for a in who_liked] == ["carol"] == [a["username"] for a in who_boosted]
    bookmarks = (await carol.get("/api/v1/bookmarks")).json()
    favourites = (await carol.get("/api/v1/favourites")).json()
    assert [s["id"] for s in bookmarks] == [status["id"]] == [s["id"] for s in favourites]
    undone = (await carol.post(f"/api/v1/statuses/{status['id']}/unreblog")).json()
    assert undone["reblogged"] is False and undone["reblogs_count"] == 0
    assert (await carol.post(f"/api/v1/statuses/{status['id']}/unfavourite")).json()["favourited"] is False
    assert (await carol.post(f"/api/v1/statuses/{status['id']}/unbookmark")).json()["bookmarked"] is False


async def test_pins(alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    mine = [await post(alice, f"Pin {i}") for i in range(6)]
    for status in mine[:5]:
        assert (await alice.post(f"/api/v1/statuses/{status['id']}/pin")).json()["pinned"] is True
    assert (await alice.post(f"/api/v1/statuses/{mine[5]['id']}/pin")).status_code == 422
    assert (await carol.post(f"/api/v1/statuses/{mine[0]['id']}/pin")).status_code == 422
    alice_id = mine[0]["account"]["id"]
    pinned = (await carol.get(f"/api/v1/accounts/{alice_id}/statuses", params={"pinned": "true"})).json()
    assert {s["id"] for s in pinned} == {s["id"] for s in mine[:5]}
    assert (await alice.post(f"/api/v1/statuses/{mine[0]['id']}/unpin")).json()["pinned"] is False


async def test_context_shows_the_thread_around_a_post(alice: httpx.AsyncClient, carol: httpx.AsyncClient) -> None:
    root = await post(alice, "Root")
    reply = await post(carol, "@alice Reply", in_reply_to_id=root["id"])
    nested = await post(alice, "@carol Nested", in_reply_to_id=reply["id"])
    context = (await carol.get(f"/api/v1/statuses/{reply['id']}/context")).json()
    assert [s["id"] for s in context["ancestors"]] == [root["id"]]
    assert [s["id"] for s in context["descendants"]] == [nested["id"]]


async def test_many_statuses_at_once(alice: httpx.AsyncClient, bob: httpx.AsyncClient) -> None:
    public = await post(alice, "Public")
    direct = await post(alice, "Secret", visibility="direct")
    found = (await bob.get("/api/v1/statuses", params={"id[]": [public["id"], direct["id"], "123"]})).json()
    assert [s["id"] for s in found] == [public["id"]]
