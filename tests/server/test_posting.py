"""Posting and reading locally: audiences, replies, boosts, likes, edits, deletes, follows."""

from __future__ import annotations

import pytest

from server.services import follows as follow_service
from server.services import statuses as status_service
from server.services.accounts import create_account
from server.services.statuses import PollInput, PostInput, ServiceError
from storage import accounts, hydrate, notifications, statuses, timelines
from storage.pagination import Page
from storage.timelines import Viewer


async def employee(ctx, name: str, **kwargs):
    created = await create_account(ctx, name, password="a long password", **kwargs)
    return await accounts.get(ctx.db, created.account_id)


async def home_ids(ctx, account) -> list[int]:
    return await timelines.home(ctx.db, int(account["id"]), Page(limit=40))


async def test_a_post_reaches_the_authors_and_followers_home_with_links_mentions_and_tags(ctx):
    # Given alice and bob, bob following alice
    alice = await employee(ctx, "alice")
    bob = await employee(ctx, "bob")
    await follow_service.follow(ctx, bob, alice)
    # When alice posts mentioning bob with a hashtag and a link
    status_id = await status_service.create_status(
        ctx, alice, PostInput(text="Hello @bob, see https://example.com/q3 #Quarterly <script>x</script>")
    )
    # Then both home timelines show it, bob is notified, and the HTML is safe
    assert status_id in await home_ids(ctx, alice)
    assert status_id in await home_ids(ctx, bob)
    bundle = await hydrate.load_status(ctx.db, status_id)
    assert bundle is not None
    assert [m["username"] for m in bundle.mentions] == ["bob"]
    assert bundle.tags == ["quarterly"]
    assert "<script>" not in bundle.status["content"]
    assert 'href="https://example.com/q3"' in bundle.status["content"]
    notes = await notifications.list_for(ctx.db, int(bob["id"]), Page())
    assert [(n["type"], n["status_id"]) for n in notes] == [("mention", status_id)]


@pytest.mark.parametrize(
    ("visibility", "anonymous", "stranger", "follower", "mentioned"),
    [
        ("public", True, True, True, True),
        ("unlisted", True, True, True, True),
        ("company", False, True, True, True),
        ("local", False, True, True, True),
        ("followers", False, False, True, True),
        ("direct", False, False, False, True),
    ],
)
async def test_who_sees_a_post_of_each_audience(ctx, visibility, anonymous, stranger, follower, mentioned):
    alice = await employee(ctx, "alice")
    carol = await employee(ctx, "carol")
    fred = await employee(ctx, "fred")
    dan = await employee(ctx, "dan")
    await follow_service.follow(ctx, fred, alice)
    status_id = await status_service.create_status(ctx, alice, PostInput(text="Hi @dan", visibility=visibility))
    assert await timelines.can_see(ctx.db, Viewer.anonymous(), status_id) is anonymous
    assert await timelines.can_see(ctx.db, Viewer(int(carol["id"]), local=True), status_id) is stranger
    assert await timelines.can_see(ctx.db, Viewer(int(fred["id"]), local=True), status_id) is follower
    assert await timelines.can_see(ctx.db, Viewer(int(dan["id"]), local=True), status_id) is mentioned
    assert await timelines.can_see(ctx.db, Viewer(int(alice["id"]), local=True), status_id)


async def test_direct_posts_stay_out_of_followers_homes(ctx):
    alice = await employee(ctx, "alice")
    fred = await employee(ctx, "fred")
    dan = await employee(ctx, "dan")
    await follow_service.follow(ctx, fred, alice)
    status_id = await status_service.create_status(ctx, alice, PostInput(text="@dan psst", visibility="direct"))
    assert status_id not in await home_ids(ctx, fred)
    assert status_id in await home_ids(ctx, dan)


async def test_followers_only_and_direct_posts_cannot_be_boosted(ctx):
    alice = await employee(ctx, "alice")
    bob = await employee(ctx, "bob")
    await follow_service.follow(ctx, bob, alice)
    private = await status_service.create_status(ctx, alice, PostInput(text="team only", visibility="followers"))
    with pytest.raises(ServiceError) as refused:
        await status_service.reblog(ctx, bob, private)
    assert refused.value.status == 422
    assert (await statuses.get(ctx.db, private))["reblogs_count"] == 0


async def test_a_reply_never_widens_the_audience_of_what_it_answers(ctx):
    alice = await employee(ctx, "alice")
    bob = await employee(ctx, "bob")
    parent = await status_service.create_status(ctx, alice, PostInput(text="company news", visibility="company"))
    reply = await status_service.create_status(ctx, bob, PostInput(text="great", visibility="public", in_reply_to_id=parent))
    assert (await statuses.get(ctx.db, reply))["visibility"] == "company"
    assert not await timelines.can_see(ctx.db, Viewer.anonymous(), reply)


async def test_threads_likes_boosts_edits_and_deletes(ctx):
    alice = await employee(ctx, "alice")
    bob = await employee(ctx, "bob")
    root = await status_service.create_status(ctx, alice, PostInput(text="Question?"))
    reply = await status_service.create_status(ctx, bob, PostInput(text="Answer", in_reply_to_id=root))
    nested = await status_service.create_status(ctx, alice, PostInput(text="Thanks", in_reply_to_id=reply))
    root_row = await statuses.get(ctx.db, root)
    ancestors, descendants = await timelines.context(ctx.db, Viewer.anonymous(), await statuses.get(ctx.db, nested))
    assert ancestors == [root, reply]
    ancestors, descendants = await timelines.context(ctx.db, Viewer.anonymous(), root_row)
    assert descendants == [reply, nested]
    await status_service.favourite(ctx, bob, root)
    await status_service.favourite(ctx, bob, root)  # twice: counted once
    boost = await status_service.reblog(ctx, bob, root)
    assert await status_service.reblog(ctx, bob, root) == boost
    row = await statuses.get(ctx.db, root)
    assert (row["favourites_count"], row["reblogs_count"], row["replies_count"]) == (1, 1, 1)
    await status_service.edit_status(ctx, alice, root, PostInput(text="Question, edited?"))
    history = await statuses.history(ctx.db, root)
    assert [h["content"] for h in history] == ["<p>Question?</p>", "<p>Question, edited?</p>"]
    await status_service.delete_status(ctx, alice, root)
    assert await statuses.get(ctx.db, root) is None
    assert await statuses.get(ctx.db, boost) is None  # boosts of a deleted post go with it
    assert await statuses.is_tombstoned(ctx.db, root_row["uri"])
    assert (await statuses.get(ctx.db, reply))["in_reply_to_id"] is None


async def test_a_locked_account_approves_followers_before_they_see_followers_only_posts(ctx):
    alice = await employee(ctx, "alice", locked=True)
    bob = await employee(ctx, "bob")
    secret = await status_service.create_status(ctx, alice, PostInput(text="for followers", visibility="followers"))
    follow = await follow_service.follow(ctx, bob, alice)
    assert follow["state"] == "pending"
    assert not await timelines.can_see(ctx.db, Viewer(int(bob["id"]), local=True), secret)
    requests = await notifications.list_for(ctx.db, int(alice["id"]), Page())
    assert [n["type"] for n in requests] == ["follow_request"]
    await follow_service.answer_request(ctx, alice, bob, accept=True)
    assert await timelines.can_see(ctx.db, Viewer(int(bob["id"]), local=True), secret)
    assert secret in await home_ids(ctx, bob)  # backfilled on accept
    alice = await accounts.get(ctx.db, int(alice["id"]))
    assert alice["followers_count"] == 1
    await follow_service.unfollow(ctx, bob, alice)
    assert secret not in await home_ids(ctx, bob)


async def test_polls_count_votes_once_and_refuse_bad_ones(ctx):
    alice = await employee(ctx, "alice")
    bob = await employee(ctx, "bob")
    status_id = await status_service.create_status(
        ctx, alice, PostInput(text="Lunch?", poll=PollInput(options=["Pizza", "Salad"], expires_in=3600))
    )
    bundle = await hydrate.load_status(ctx.db, status_id, int(bob["id"]))
    poll_id = int(bundle.poll.poll["id"])
    await status_service.vote(ctx, bob, poll_id, [1])
    with pytest.raises(ServiceError):
        await status_service.vote(ctx, bob, poll_id, [0])
    with pytest.raises(ServiceError):
        await status_service.vote(ctx, alice, poll_id, [0])
    bundle = await hydrate.load_status(ctx.db, status_id, int(bob["id"]))
    assert bundle.poll.counts == [0, 1]
    assert bundle.poll.own_votes == [1]


@pytest.mark.parametrize(
    ("post", "message"),
    [
        (PostInput(text=""), "blank"),
        (PostInput(text="x" * 5001), "too long"),
        (PostInput(text="hi", visibility="everyone"), "Visibility"),
        (PostInput(text="q", poll=PollInput(options=["only one"], expires_in=3600)), "between 2"),
        (PostInput(text="q", poll=PollInput(options=["a", "b"], expires_in=10)), "5 minutes"),
    ],
)
async def test_invalid_posts_are_refused_with_a_reason(ctx, post, message):
    alice = await employee(ctx, "alice")
    with pytest.raises(ServiceError) as refused:
        await status_service.create_status(ctx, alice, post)
    assert refused.value.status == 422
    assert message in refused.value.message


async def test_the_same_idempotency_key_publishes_once(ctx):
    alice = await employee(ctx, "alice")
    first = await status_service.create_status(ctx, alice, PostInput(text="once", idempotency_key="k1"))
    second = await status_service.create_status(ctx, alice, PostInput(text="once", idempotency_key="k1"))
    assert first == second


async def test_local_posts_queue_no_federation_and_company_posts_do(ctx):
    alice = await employee(ctx, "alice")
    await status_service.create_status(ctx, alice, PostInput(text="here only", visibility="local"))
    assert await ctx.db.fetchval("SELECT COUNT(*) FROM outbox_activities") == 0
    await status_service.create_status(ctx, alice, PostInput(text="all subsidiaries", visibility="company"))
    row = await ctx.db.fetchone("SELECT body, audience FROM outbox_activities")
    assert '"company":true' in row["audience"]
    assert "https://www.w3.org/ns/activitystreams#Public" not in row["body"]
    assert "https://company.atrium.test/ns/members" in row["body"]


async def test_many_remote_posts_published_in_the_same_millisecond_all_get_stored(ctx):
    from storage.accounts import upsert_remote
    from storage.statuses import NewStatus, create

    author = await upsert_remote(ctx.db, "https://lyon.test/users/bob", "lyon.test", {"username": "bob"})
    async with ctx.db.transaction() as tx:
        for n in range(300):
            await create(tx, NewStatus(account_id=author, uri=f"https://lyon.test/notes/{n}", visibility="public",
                                       local=False, content="x", created_at=1_700_000_000_000))
    assert await ctx.db.fetchval("SELECT COUNT(*) FROM statuses WHERE account_id = ?", (author,)) == 300


async def test_posts_arriving_by_federation_reach_streaming_like_local_ones(ctx):
    from storage import streams
    from storage.accounts import upsert_remote
    from storage.statuses import NewStatus, create

    before = await streams.since(ctx.db, 0)
    author = await upsert_remote(ctx.db, "https://lyon.test/users/bob", "lyon.test", {"username": "bob"})
    async with ctx.db.transaction() as tx:
        status_id = await create(tx, NewStatus(account_id=author, uri="https://lyon.test/notes/1", visibility="public",
                                               local=False, content="<p>hello</p>"))
    async with ctx.db.transaction() as tx:
        await statuses.delete(tx, status_id)
    events = [(e["event"], e["payload"]) for e in await streams.since(ctx.db, 0) if e not in before]
    assert [kind for kind, _ in events] == ["update", "delete"]
    assert str(status_id) in events[0][1]
