"""Streaming: who receives which event, across workers, over WebSocket and server-sent events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server import events, streaming_wiring
from server.app import create_app
from server.context import make_context
from server.services.oauth import mint_token
from server.streaming import Connection, Hub, Subscription, record_event
from storage import accounts as account_store
from storage.db import connect
from tests.api.conftest import Api, post, seed
from tests.conftest import make_settings


def drain(connection: Connection) -> list[dict[str, Any]]:
    messages = []
    while not connection.queue.empty():
        message = connection.queue.get_nowait()
        if message is not None:
            messages.append(message)
    return messages


async def hub_for(api: Api) -> Hub:
    events.subscribe(api.ctx, record_event)
    return Hub(api.ctx)


async def account_id(api: Api, username: str) -> int:
    return int((await api.account(username))["id"])


async def test_posts_reach_home_public_and_hashtag_streams(api: Api) -> None:
    hub = await hub_for(api)
    alice, carol = await api.client("alice"), await api.client("carol")
    alice_id = await account_id(api, "alice")
    await carol.post(f"/api/v1/accounts/{alice_id}/follow")
    watching = Connection(await account_id(api, "carol"), {Subscription("user"), Subscription("public:local"),
                                                            Subscription("hashtag", "deploys")})
    hub.add(watching)
    status = await post(alice, "Deploying now #Deploys")
    await hub.poll_once()
    messages = drain(watching)
    assert sorted(m["stream"][0] for m in messages) == ["hashtag", "public:local", "user"]
    assert {m["event"] for m in messages} == {"update"}
    payload = json.loads(messages[0]["payload"])
    assert payload["id"] == status["id"] and payload["account"]["username"] == "alice"
    assert next(m for m in messages if m["stream"][0] == "hashtag")["stream"] == ["hashtag", "deploys"]
    # Delivered once, even though the next poll reads the same rows again
    await hub.poll_once()
    assert drain(watching) == []


async def test_nobody_is_streamed_a_post_they_may_not_see(api: Api) -> None:
    hub = await hub_for(api)
    alice = await api.client("alice")
    carol_id, bob_id = await account_id(api, "carol"), await account_id(api, "bob")
    await (await api.client("carol")).post(f"/api/v1/accounts/{await account_id(api, 'alice')}/follow")
    follower = Connection(carol_id, {Subscription("user"), Subscription("public")})
    stranger = Connection(bob_id, {Subscription("user"), Subscription("public"), Subscription("public:company"),
                                   Subscription("direct")})
    hub.add(follower)
    hub.add(stranger)
    private = await post(alice, "For my followers", visibility="private")
    direct = await post(alice, "@carol just you", visibility="direct")
    await hub.poll_once()
    carol_got = drain(follower)
    assert {json.loads(m["payload"])["id"] for m in carol_got if m["event"] == "update"} == {private["id"], direct["id"]}
    assert [m["event"] for m in carol_got].count("notification") == 1   # the mention
    assert all(m["stream"] == ["user"] for m in carol_got)   # limited posts never go to public streams
    assert drain(stranger) == []


async def test_company_posts_go_to_the_company_stream_only(api: Api) -> None:
    hub = await hub_for(api)
    alice = await api.client("alice")
    watcher = Connection(await account_id(api, "bob"), {Subscription("public"), Subscription("public:company")})
    hub.add(watcher)
    company = await post(alice, "All hands", visibility="company")
    await hub.poll_once()
    messages = drain(watcher)
    assert [(m["stream"], json.loads(m["payload"])["id"]) for m in messages] == [(["public:company"], company["id"])]


async def test_notifications_edits_and_deletes_are_streamed(api: Api) -> None:
    hub = await hub_for(api)
    alice, carol = await api.client("alice"), await api.client("carol")
    carol_id = await account_id(api, "carol")
    await carol.post(f"/api/v1/accounts/{await account_id(api, 'alice')}/follow")
    notified = Connection(await account_id(api, "alice"), {Subscription("user:notification")})
    reader = Connection(carol_id, {Subscription("user")})
    hub.add(notified)
    hub.add(reader)
    await post(carol, "@alice ping")
    status = await post(alice, "Draft")
    await hub.poll_once()
    await alice.put(f"/api/v1/statuses/{status['id']}", data={"status": "Final"})
    await hub.poll_once()
    await alice.delete(f"/api/v1/statuses/{status['id']}")
    await hub.poll_once()
    notification = drain(notified)
    assert [m["event"] for m in notification] == ["notification"]
    assert json.loads(notification[0]["payload"])["type"] == "mention"
    seen = [(m["event"], m["payload"] if m["event"] == "delete" else json.loads(m["payload"])["content"])
            for m in drain(reader)]
    assert ("update", "<p>Draft</p>") in seen and ("status.update", "<p>Final</p>") in seen
    assert ("delete", status["id"]) in seen


async def test_a_list_stream_gets_only_its_members(api: Api) -> None:
    hub = await hub_for(api)
    alice, carol, admin = await api.client("alice"), await api.client("carol"), await api.client("admin")
    carol_id, admin_id = await account_id(api, "carol"), await account_id(api, "admin")
    await alice.post(f"/api/v1/accounts/{carol_id}/follow")
    await alice.post(f"/api/v1/accounts/{admin_id}/follow")
    listed = (await alice.post("/api/v1/lists", data={"title": "Carol"})).json()
    await alice.post(f"/api/v1/lists/{listed['id']}/accounts", data={"account_ids[]": str(carol_id)})
    watcher = Connection(await account_id(api, "alice"), {Subscription("list", listed["id"])})
    hub.add(watcher)
    from_carol = await post(carol, "In the list")
    await post(admin, "Not in the list")
    await hub.poll_once()
    assert [json.loads(m["payload"])["id"] for m in drain(watcher)] == [from_carol["id"]]


async def test_each_viewer_gets_their_own_flags(api: Api) -> None:
    hub = await hub_for(api)
    alice, bob, carol, admin = [await api.client(n) for n in ("alice", "bob", "carol", "admin")]
    bob_id = await account_id(api, "bob")
    for follower in (carol, admin):
        await follower.post(f"/api/v1/accounts/{bob_id}/follow")
    await bob.post(f"/api/v1/follow_requests/{await account_id(api, 'carol')}/authorize")
    await bob.post(f"/api/v1/follow_requests/{await account_id(api, 'admin')}/authorize")
    original = await post(alice, "Worth a boost")
    await carol.post(f"/api/v1/statuses/{original['id']}/favourite")
    watchers = {name: Connection(await account_id(api, name), {Subscription("user")}) for name in ("carol", "admin")}
    for connection in watchers.values():
        hub.add(connection)
    await bob.post(f"/api/v1/statuses/{original['id']}/reblog")
    await hub.poll_once()
    seen = {name: [json.loads(m["payload"]) for m in drain(c) if m["event"] == "update"] for name, c in watchers.items()}
    assert seen["carol"][0]["reblog"]["favourited"] is True
    assert seen["admin"][0]["reblog"]["favourited"] is False


async def test_events_written_by_one_worker_are_delivered_by_another(api: Api, tmp_path: Path) -> None:
    # Given a second worker: its own database connections and hub, on the same database
    events.subscribe(api.ctx, record_event)
    other_db = await connect(api.settings.database_url)
    try:
        other_hub = Hub(make_context(api.settings, other_db))
        watcher = Connection(await account_id(api, "carol"), {Subscription("public")})
        other_hub.add(watcher)
        # When a post is made through the first worker
        status = await post(await api.client("alice"), "Seen everywhere")
        await other_hub.poll_once()
        # Then the second worker's connection gets it
        assert [json.loads(m["payload"])["id"] for m in drain(watcher)] == [status["id"]]
    finally:
        await other_db.close()


async def test_a_slow_client_is_dropped_not_buffered_forever(api: Api) -> None:
    connection = Connection(1)
    for i in range(connection.queue.maxsize + 10):
        connection.push({"event": "update", "payload": str(i)})
    assert connection.closed


def test_websocket_multiplexing_and_sse(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path), run_subsystems=False)
    with TestClient(app, base_url="http://paris.test") as client:
        ctx = app.state.ctx
        client.portal.call(seed, ctx)
        stop = client.portal.call(streaming_wiring.start, ctx, app)

        async def token_of(username: str, scopes: str) -> str:
            account = await account_store.get_local_by_username(ctx.db, username)
            assert account is not None
            return await mint_token(ctx, int(account["id"]), scopes.split())

        carol = client.portal.call(token_of, "carol", "read")
        alice = client.portal.call(token_of, "alice", "read write")
        try:
            with client.websocket_connect(f"/api/v1/streaming?access_token={carol}&stream=public:local") as ws:
                ws.send_text(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": "news"}))
                ws.send_text(json.dumps({"type": "subscribe", "stream": "list", "list": "12345"}))
                error = json.loads(ws.receive_text())
                assert error == {"error": "Unknown list or not your list", "status": 400}
                posted = client.post("/api/v1/statuses", data={"status": "Big #news"},
                                     headers={"Authorization": f"Bearer {alice}"})
                assert posted.status_code == 200
                received = [json.loads(ws.receive_text()) for _ in range(2)]
                assert sorted(m["stream"][0] for m in received) == ["hashtag", "public:local"]
                assert json.loads(received[0]["payload"])["id"] == posted.json()["id"]
                ws.send_text(json.dumps({"type": "unsubscribe", "stream": "hashtag", "tag": "news"}))
                ws.send_text(json.dumps({"type": "unsubscribe", "stream": "public:local"}))
                ws.send_text("not json")
                assert json.loads(ws.receive_text()) == {"error": "Invalid JSON", "status": 400}
            # A token passed as the WebSocket subprotocol, as Mastodon's web app does
            with client.websocket_connect("/api/v1/streaming", subprotocols=[carol]) as ws:
                ws.send_text(json.dumps({"type": "subscribe", "stream": "user"}))
            refused_scope = client.portal.call(token_of, "carol", "write")
            for bad in ("nope", refused_scope):
                with pytest.raises(WebSocketDisconnect), client.websocket_connect(f"/api/v1/streaming?access_token={bad}"):
                    pass
            assert client.get("/api/v1/streaming/health").text == "OK"
            assert client.get("/api/v1/streaming/user").status_code == 401
        finally:
            client.portal.call(stop)
