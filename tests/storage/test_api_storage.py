"""The client API's storage (OAuth, markers, lists, streams, preferences, conversations, follow
graph questions, tags, usage, announcements), on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from storage import accounts as account_store
from storage import (
    announcements,
    conversations,
    fanout,
    interactions,
    lists,
    markers,
    oauth,
    preferences,
    social_graph,
    streams,
    tags,
    usage,
)
from storage import follows as follow_store
from storage import statuses as status_store
from storage.db import Database
from storage.ids import new_id, now_ms
from storage.pagination import Page
from storage.statuses import NewStatus


async def person(db: Database, name: str, department: str | None = None, domain: str | None = None) -> int:
    if domain is not None:
        return await account_store.upsert_remote(db, f"https://{domain}/users/{name}", domain, {"username": name})
    account_id = await account_store.create_local_account(db, account_store.NewLocalAccount(
        username=name, uri=f"http://paris.test/users/{name}", url=f"http://paris.test/@{name}",
        inbox_url="i", outbox_url="o", followers_url="f", following_url="g", featured_url="h",
        shared_inbox_url="s", public_key_pem="k", private_key_pem="p", department=department))
    await account_store.create_user(db, account_id, password_hash=None)
    return account_id


async def follow(db: Database, follower: int, target: int) -> None:
    async with db.transaction() as tx:
        await follow_store.request(tx, follower, target, None, accept=True)


async def status(db: Database, author: int, text: str, visibility: str = "public", mentions: tuple[int, ...] = (),
                 reply_to: int | None = None) -> int:
    async with db.transaction() as tx:
        status_id = await status_store.create(tx, NewStatus(
            account_id=author, uri=f"http://paris.test/s/{new_id()}", visibility=visibility, local=True,
            content=f"<p>{text}</p>", mention_ids=mentions, in_reply_to_id=reply_to, tag_names=["news"]))
    await fanout.run(db, status_id)   # followers' feeds, after the commit, as the services do
    return status_id


async def test_oauth_apps_codes_and_tokens(db: Database) -> None:
    alice = await person(db, "alice")
    app_id = await oauth.create_app(db, client_id="cid", client_secret_hash="h", name="App", website=None,
                                    redirect_uris=["urn:ietf:wg:oauth:2.0:oob"], scopes="read write")
    assert (await oauth.get_app_by_client_id(db, "cid"))["id"] == app_id
    await oauth.create_code(db, code_hash="c1", app_id=app_id, account_id=alice, scopes="read",
                            redirect_uri="urn:ietf:wg:oauth:2.0:oob", code_challenge=None, code_challenge_method=None,
                            expires_at=now_ms() + 60_000)
    async with db.transaction() as tx:
        assert (await oauth.consume_code(tx, "c1"))["account_id"] == alice
    async with db.transaction() as tx:
        assert await oauth.consume_code(tx, "c1") is None          # once only
    token_id = await oauth.create_token(db, token_hash="t1", refresh_hash="r1", app_id=app_id, account_id=alice,
                                        scopes="read")
    token = await oauth.get_token(db, "t1")
    assert token["id"] == token_id and token["role"] == "user" and not token["disabled"]
    await oauth.touch(db, token)
    assert (await oauth.get_token(db, "t1"))["last_used_at"] is not None
    assert [r["name"] for r in await oauth.authorizations(db, alice)] == ["App"]
    assert await oauth.revoke_by_secret(db, app_id, "r1")
    assert (await oauth.get_token(db, "t1"))["revoked_at"] is not None
    assert not await oauth.revoke(db, token_id)


async def test_markers_count_their_versions(db: Database) -> None:
    alice = await person(db, "alice")
    async with db.transaction() as tx:
        await markers.save(tx, alice, "home", 10)
    async with db.transaction() as tx:
        await markers.save(tx, alice, "home", 20)
    found = await markers.get(db, alice, ["home", "notifications", "bogus"])
    assert found["home"]["last_read_id"] == 20 and found["home"]["version"] == 1 and "notifications" not in found


async def test_lists_and_their_timeline(db: Database) -> None:
    alice, carol, dan = await person(db, "alice"), await person(db, "carol"), await person(db, "dan")
    await follow(db, alice, carol)
    await follow(db, alice, dan)
    list_id = await lists.create(db, alice, "Team")
    await lists.add_accounts(db, list_id, [carol, carol])
    from_carol = await status(db, carol, "in")
    await status(db, dan, "out")
    assert await lists.timeline(db, alice, list_id, Page()) == [from_carol]
    assert await lists.members(db, list_id, Page()) == [carol]
    assert [r["id"] for r in await lists.containing(db, alice, carol)] == [list_id]
    assert await lists.lists_with_member(db, carol, [list_id, 999]) == {list_id}
    assert await lists.get(db, carol, list_id) is None
    await lists.update(db, list_id, title="Core", replies_policy="none", exclusive=True)
    assert (await lists.get(db, alice, list_id))["title"] == "Core"
    await lists.remove_accounts(db, list_id, [carol])
    assert await lists.members(db, list_id, Page()) == []
    await lists.delete(db, list_id)
    assert await lists.count(db, alice) == 0


async def test_stream_events_are_read_in_order_and_purged(db: Database) -> None:
    first = await streams.append(db, "status", "update", json.dumps({"status_id": 1}))
    second = await streams.append(db, "status", "delete", json.dumps({"status_id": 1}))
    rows = await streams.since(db, 0)
    assert [r["id"] for r in rows] == [first, second]
    assert [r["id"] for r in await streams.since(db, first)] == [second]
    assert await streams.purge(db, older_than_ms=now_ms() + 1000) == 2


async def test_stream_questions_home_recipients_and_hidden_authors(db: Database) -> None:
    alice, carol, bob = await person(db, "alice"), await person(db, "carol"), await person(db, "bob")
    await follow(db, carol, alice)
    posted = await status(db, alice, "hello")
    assert await streams.home_recipients(db, posted, [alice, carol, bob]) == {alice, carol}
    async with db.transaction() as tx:
        await follow_store.block(tx, bob, alice)
        await follow_store.mute(tx, carol, alice, notifications_too=True, expires_at=None)
    assert await streams.hidden_authors(db, alice, [bob, carol]) == {bob, carol}
    notifications = await streams.notifications_since(db, 0, [alice])
    assert [n["type"] for n in notifications] == ["follow"]
    async with db.transaction() as tx:
        await interactions.favourite(tx, carol, await status_store.get(tx, posted))
    await interactions.bookmark(db, carol, posted)
    profiles = await streams.viewer_profiles(db, [posted], [carol, bob], None)
    assert profiles == {carol: (("bookmarked", posted), ("favourited", posted))}


async def test_postgresql_notifies_listeners_of_stream_events(db: Database) -> None:
    if db.dialect != "postgresql":
        # SQLite has no NOTIFY: hubs poll (covered above).
        assert await streams.append(db, "status", "update", "{}")
        return
    woken: list[Any] = []

    def listener(*args: Any) -> None:
        woken.append(args)

    conn = await db.pool.acquire()  # type: ignore[attr-defined]
    await conn.add_listener(streams.CHANNEL, listener)
    try:
        event_id = await streams.append(db, "status", "update", "{}")
        for _ in range(50):
            if woken:
                break
            await asyncio.sleep(0.05)
        assert woken and woken[0][3] == str(event_id)
    finally:
        await conn.remove_listener(streams.CHANNEL, listener)
        await db.pool.release(conn)  # type: ignore[attr-defined]


async def test_preferences_round_trip_json(db: Database) -> None:
    alice = await person(db, "alice")
    await preferences.set_many(db, alice, {"posting:default:visibility": "company", "reading:expand:spoilers": True})
    await preferences.set_many(db, alice, {"posting:default:visibility": "followers"})
    assert await preferences.get_all(db, alice) == {"posting:default:visibility": "followers",
                                                    "reading:expand:spoilers": True}


async def test_conversations_group_direct_posts_by_thread(db: Database) -> None:
    alice, carol, bob = await person(db, "alice"), await person(db, "carol"), await person(db, "bob")
    first = await status(db, alice, "hi carol", "direct", mentions=(carol,))
    answer = await status(db, carol, "hi alice", "direct", mentions=(alice,), reply_to=first)
    other = await status(db, bob, "hi carol", "direct", mentions=(carol,))
    threads = await conversations.latest_per_thread(db, carol, Page())
    assert [(int(t["thread_id"]), int(t["last_id"])) for t in threads] == [(other, other), (first, answer)]
    older = await conversations.latest_per_thread(db, carol, Page(max_id=other))
    assert [int(t["last_id"]) for t in older] == [answer]
    mine = await conversations.latest_per_thread(db, alice, Page())
    assert [(int(t["thread_id"]), int(t["last_id"])) for t in mine] == [(first, answer)]
    people = await conversations.participants(db, [answer])
    assert sorted(people[answer]) == sorted([alice, carol])


async def test_familiar_followers_and_department_suggestions(db: Database) -> None:
    alice = await person(db, "alice", "Engineering")
    carol = await person(db, "carol", "Engineering")
    sam = await person(db, "sam", "Sales")
    dan = await person(db, "dan", domain="lyon.example")
    await follow(db, alice, sam)
    await follow(db, sam, dan)
    assert await social_graph.familiar_followers(db, alice, [dan, carol]) == {dan: [sam], carol: []}
    suggested = [r["id"] for r in await social_graph.suggestions(db, alice)]
    assert suggested[0] == carol and sam not in suggested and alice not in suggested


async def test_tags_usage_and_announcements(db: Database) -> None:
    alice = await person(db, "alice")
    await person(db, "dan", domain="lyon.example")
    await status(db, alice, "tagged")
    assert (await tags.get(db, "news"))["name"] == "news"
    assert list(await tags.get_many(db, ["news", "none"])) == ["news"]
    assert await usage.known_domains(db) == 1
    assert await usage.active_people(db) == 0
    await db.execute("INSERT INTO announcements (id, content, must_read, audience, published_at, updated_at)"
                     " VALUES (7, '<p>x</p>', 0, 'local', 1, 1)")
    assert [(r["id"], read) for r, read in await announcements.current(db, alice)] == [(7, False)]
    assert await announcements.mark_read(db, 7, alice)
    assert await announcements.mark_read(db, 7, alice)
    assert await announcements.current(db, alice, include_read=False) == []
    assert not await announcements.mark_read(db, 8, alice)
