"""Two real instances on loopback, each with its own database, federating through FederationRuntime:
WebFinger, signed fetches, a locked follow, posts, replies, likes, edits and deletes (issue 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from federation import render
from federation.fetch import Fetcher
from federation.webfinger import resolve
from storage import follows, hydrate, inbox, interactions, outbox, statuses, timelines
from storage.db import Row
from storage.pagination import Page
from tests.federation.node import Node, settle


async def _send(node: Node, author: Row, body: dict[str, Any], audience: dict[str, Any], object_uri: str | None) -> None:
    async with node.db.transaction() as tx:
        await outbox.enqueue(tx, activity_id=body["id"], activity_type=body["type"], account_id=int(author["id"]),
                             body=body, audience=audience, object_uri=object_uri)


async def _post(node: Node, author: Row, text: str, visibility: str, *, reply_to: int | None = None,
                mention_ids: tuple[int, ...] = ()) -> int:
    async with node.db.transaction() as tx:
        status_id = await statuses.create(tx, statuses.NewStatus(
            account_id=int(author["id"]), uri="", visibility=visibility, local=True, content=f"<p>{text}</p>",
            in_reply_to_id=reply_to, mention_ids=mention_ids))
        uri = node.instance.urls.status(str(author["username"]), status_id)
        await tx.execute("UPDATE statuses SET uri = ? WHERE id = ?", (uri, status_id))
        bundle = await hydrate.load_status(tx, status_id)
        assert bundle is not None
        body = render.create_activity(bundle, node.instance)
        await outbox.enqueue(tx, activity_id=body["id"], activity_type="Create", account_id=int(author["id"]),
                             body=body, audience=render.status_audience(bundle), object_uri=uri)
    return status_id


async def test_two_instances_follow_post_reply_like_edit_and_delete(tmp_path: Path) -> None:
    async with Node(tmp_path, "paris") as paris, Node(tmp_path, "lyon") as lyon:
        await paris.trust(lyon)
        await lyon.trust(paris)
        alice = await paris.account("alice")
        bob = await lyon.account("bob", locked=True)

        # alice finds bob by his handle (WebFinger, then a signed fetch of his actor)
        fetcher = Fetcher(paris.db, paris.instance, paris.runtime.http)
        bob_at_paris = await resolve(fetcher, f"bob@{lyon.domain}")
        assert bob_at_paris["uri"] == bob["uri"] and bob_at_paris["locked"] == 1

        # alice asks to follow bob, who is locked: a request, until he accepts
        follow_uri = f"{alice['uri']}#follows/1"
        async with paris.db.transaction() as tx:
            await follows.request(tx, int(alice["id"]), int(bob_at_paris["id"]), follow_uri, accept=False)
        await _send(paris, alice, render.follow_activity(alice, bob_at_paris, follow_uri),
                    {"accounts": [int(bob_at_paris["id"])]}, None)
        await settle(paris, lyon)
        alice_at_lyon = await lyon.runtime.fetcher.get_actor(str(alice["uri"]))
        request = await follows.get(lyon.db, int(alice_at_lyon["id"]), int(bob["id"]))
        assert request is not None and request["state"] == "pending"
        assert (await follows.get(paris.db, int(alice["id"]), int(bob_at_paris["id"])))["state"] == "pending"  # type: ignore[index]

        # bob accepts
        async with lyon.db.transaction() as tx:
            await follows.accept_follow(tx, int(request["id"]))
        await _send(lyon, bob, render.accept_follow_activity(bob, alice_at_lyon, follow_uri),
                    {"accounts": [int(alice_at_lyon["id"])]}, None)
        await settle(paris, lyon)
        assert await follows.is_following(paris.db, int(alice["id"]), int(bob_at_paris["id"]))

        # bob posts for his followers only: alice gets it in her home feed
        post_id = await _post(lyon, bob, "for my followers", "followers")
        await settle(paris, lyon)
        post_uri = lyon.instance.urls.status("bob", post_id)
        post_at_paris = await statuses.get_by_uri(paris.db, post_uri)
        assert post_at_paris is not None and post_at_paris["visibility"] == "followers"
        assert post_at_paris["id"] in await timelines.home(paris.db, int(alice["id"]), Page(limit=20))

        # alice replies, mentioning bob: threaded at lyon
        reply_id = await _post(paris, alice, "hi bob", "followers", reply_to=int(post_at_paris["id"]),
                               mention_ids=(int(bob_at_paris["id"]),))
        await settle(paris, lyon)
        reply_at_lyon = await statuses.get_by_uri(lyon.db, paris.instance.urls.status("alice", reply_id))
        assert reply_at_lyon is not None and reply_at_lyon["in_reply_to_id"] == post_id

        # bob likes the reply
        async with lyon.db.transaction() as tx:
            await interactions.favourite(tx, int(bob["id"]), reply_at_lyon)
        like = render.like_activity(bob, reply_at_lyon, alice_at_lyon, f"{bob['uri']}#likes/1")
        await _send(lyon, bob, like, {"accounts": [int(alice_at_lyon["id"])]}, str(reply_at_lyon["uri"]))
        await settle(paris, lyon)
        assert (await statuses.get(paris.db, reply_id))["favourites_count"] == 1  # type: ignore[index]

        # bob edits, then deletes his post
        async with lyon.db.transaction() as tx:
            await statuses.edit(tx, post_id, content="<p>edited</p>", source_text=None, spoiler_text="",
                                sensitive=False, language=None)
            bundle = await hydrate.load_status(tx, post_id)
            assert bundle is not None
            update = render.update_activity(bundle, lyon.instance)
            await outbox.enqueue(tx, activity_id=update["id"], activity_type="Update", account_id=int(bob["id"]),
                                 body=update, audience=render.status_audience(bundle), object_uri=post_uri)
        await settle(paris, lyon)
        assert (await statuses.get_by_uri(paris.db, post_uri))["content"] == "<p>edited</p>"  # type: ignore[index]
        async with lyon.db.transaction() as tx:
            bundle = await hydrate.load_status(tx, post_id)
            assert bundle is not None
            delete = render.delete_activity(bundle, lyon.instance)
            await outbox.enqueue(tx, activity_id=delete["id"], activity_type="Delete", account_id=int(bob["id"]),
                                 body=delete, audience=render.status_audience(bundle), object_uri=post_uri)
            await statuses.delete(tx, post_id)
        await settle(paris, lyon)
        assert await statuses.get_by_uri(paris.db, post_uri) is None

        # Nothing failed anywhere
        for node in (paris, lyon):
            counts = await inbox.counts(node.db)
            assert counts["failed"] == counts["queued"] == counts["ignored"] == 0 and counts["done"] > 0, counts
            rows = await node.db.fetchall("SELECT state, last_error FROM deliveries WHERE state <> 'done'")
            assert [dict(r) for r in rows] == []
