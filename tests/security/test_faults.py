"""SECURITY-CASES 29-33: faults. Duplicates, reordering, failing peers and crashes neither lose nor
double anything."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from activitypub.constants import AS_PUBLIC
from federation.runner import FederationRuntime
from storage import migrate, outbox, peers
from storage import notifications as notification_store
from storage.db import connect
from tests.federation.node import Node
from tests.federation.receiver import Answer
from tests.federation.rig import RemoteActor, keypair, local_account, store_remote
from tests.security import crash_sender
from tests.security.harness import BASE, PEER, World, activity, create, note
from tests.security.tally import TALLY

ROOT = Path(__file__).resolve().parents[2]


async def test_case_29_the_same_activity_three_times_at_once_is_one_row_and_one_notification(
        paris: World, monkeypatch: pytest.MonkeyPatch) -> None:
    bob = paris.remotes["bob"]
    status_id = await paris.post("alice", "like me")
    like = activity(bob, "Like", f"{BASE}/users/alice/statuses/{status_id}", 1)
    body = json.dumps(like).encode()
    headers = paris.signed_headers(bob, "POST", "/inbox", body)
    # Given the same signed Like three times at once
    answers = await asyncio.gather(*(paris.client.post("/inbox", content=body, headers=headers) for _ in range(3)))
    assert sorted(a.status_code for a in answers) == [202, 202, 202]
    assert sum(not a.json()["duplicate"] for a in answers) == 1
    await paris.drain()
    # Then one inbox row, one favourite, one notification
    assert await paris.count("SELECT COUNT(*) FROM inbox_items WHERE activity_id = ?", like["id"]) == 1
    assert await paris.count("SELECT COUNT(*) FROM favourites") == 1
    assert await paris.count("SELECT COUNT(*) FROM notifications WHERE type = 'favourite'") == 1
    TALLY.attempt("29", "a Like delivered 3 times at once", 202, 0, accepted=False)
    # And a mention delivered at once to three inboxes (shared and two personal): one post, one notification
    mention = create(bob, note(bob, 1, content="<p>hi @alice</p>", tag=[{"type": "Mention", "href": f"{BASE}/users/alice"}],
                               cc=[f"{BASE}/users/alice"]))
    body = json.dumps(mention).encode()
    sends = [paris.client.post(path, content=body, headers=paris.signed_headers(bob, "POST", path, body))
             for path in ("/inbox", "/users/alice/inbox", "/users/fred/inbox")]
    answers = await asyncio.gather(*sends)
    assert [a.status_code for a in answers] == [202, 202, 202]
    await paris.drain()
    assert await paris.count("SELECT COUNT(*) FROM statuses WHERE uri = ?", mention["object"]["id"]) == 1
    assert await paris.count("SELECT COUNT(*) FROM notifications WHERE type = 'mention'") == 1
    TALLY.attempt("29", "a Create delivered to 3 inboxes at once", 202, 0, accepted=False)
    # And when processing fails half-way, the dedup mark and the effect roll back together
    real = notification_store.notify
    failures = []

    async def failing_once(*args: Any, **kwargs: Any) -> Any:
        if not failures:
            failures.append(1)
            raise RuntimeError("the database went away mid-transaction")
        return await real(*args, **kwargs)

    monkeypatch.setattr(notification_store, "notify", failing_once)
    second = await paris.post("alice", "like me too")
    like2 = activity(bob, "Like", f"{BASE}/users/alice/statuses/{second}", 2)
    assert (await paris.inbox(bob, like2)).status_code == 202
    await paris.drain()
    row = await paris.db.fetchone("SELECT state FROM inbox_items WHERE activity_id = ?", (like2["id"],))
    assert failures and row["state"] == "queued"           # nothing half-applied: neither effect nor mark
    assert await paris.count("SELECT COUNT(*) FROM favourites WHERE status_id = ?", second) == 0
    await paris.db.execute("UPDATE inbox_items SET next_attempt_at = 0 WHERE activity_id = ?", (like2["id"],))
    await paris.drain()
    assert await paris.count("SELECT COUNT(*) FROM favourites WHERE status_id = ?", second) == 1
    assert await paris.count("SELECT COUNT(*) FROM notifications WHERE type = 'favourite' AND status_id = ?", second) == 1
    assert paris.runtime.inbox_worker.errors == 0


async def test_case_30_an_older_update_never_overwrites_a_newer_one(paris: World) -> None:
    bob = paris.remotes["bob"]
    original = note(bob, 1, content="<p>v1</p>")
    assert (await paris.inbox(bob, create(bob, original))).status_code == 202

    def update(content: str, updated: str, n: str) -> dict[str, Any]:
        return activity(bob, "Update", original | {"content": f"<p>{content}</p>", "updated": updated}, n)

    assert (await paris.inbox(bob, update("v3", "2025-03-03T00:00:00Z", "u3"))).status_code == 202
    await paris.drain()
    for content, updated, n in (("v2", "2025-02-02T00:00:00Z", "u2"), ("v3 again", "2025-03-03T00:00:00Z", "u3b"),
                                ("v0", "2024-01-01T00:00:00Z", "u0")):
        await paris.ignored("30", f"an Update dated {updated} after one dated 2025-03-03",
                            lambda c=content, u=updated, n=n: paris.inbox(bob, update(c, u, n)))
    # Two Updates arriving together, the newer first: the newer one stands
    await asyncio.gather(paris.inbox(bob, update("v5", "2025-05-05T00:00:00Z", "u5")),
                         paris.inbox(bob, update("v4", "2025-04-04T00:00:00Z", "u4")))
    await paris.drain()
    content = await paris.db.fetchval("SELECT content FROM statuses WHERE uri = ?", (original["id"],))
    TALLY.attempt("30", "two Updates at once, the older last", 202, 0, accepted="v5" not in content)
    assert content == "<p>v5</p>"
    assert await paris.count("SELECT COUNT(*) FROM status_edits") <= 3


async def _delivery(paris: World, status_id: int) -> Any:
    return await paris.db.fetchone(
        "SELECT d.* FROM deliveries d JOIN outbox_activities o ON o.id = d.outbox_activity_id"
        " WHERE o.object_uri = ? AND d.host = ? ORDER BY d.id DESC LIMIT 1",
        (f"{BASE}/users/alice/statuses/{status_id}", PEER))


async def test_case_31_retries_follow_the_answer(paris: World) -> None:
    paris.runtime.http.deadline = 0.5
    expectations = {
        500: "queued", 502: "queued", 503: "queued", 504: "queued", 429: "queued", 401: "queued", 408: "queued",
        None: "queued",           # no answer before the deadline
        400: "failed", 403: "failed", 404: "failed", 405: "failed", 413: "failed", 422: "failed",
        410: "gone", 202: "done", 200: "done",
    }
    for status, want in expectations.items():
        await paris.db.execute("UPDATE hosts SET consecutive_failures = 0, circuit_open_until = NULL")
        paris.lyon.answers["/inbox"] = Answer(202, delay=2.0) if status is None else Answer(
            status, headers={"retry-after": "120"} if status == 429 else {})
        status_id = await paris.post("alice", f"company news ({status})", "company")
        started = time.time() * 1000
        await paris.drain()
        row = await _delivery(paris, status_id)
        # (the status is the peer's answer, not ours: recorded as None so it is not counted as our 5xx)
        TALLY.attempt("31", f"a delivery answered {status or 'nothing'}", None, 0, accepted=row["state"] != want)
        assert row["state"] == want, f"{status}: {row['state']} ({row['last_error']})"
        if want == "queued":
            delay = int(row["next_attempt_at"]) - started
            assert delay >= 900, f"{status}: retried after {delay} ms"
            if status == 429:
                assert delay >= 119_000, "Retry-After was not honoured"
    # The backoff grows: a second failure waits longer than the first
    paris.lyon.answers["/inbox"] = Answer(503)
    await paris.db.execute("UPDATE hosts SET consecutive_failures = 0, circuit_open_until = NULL")
    status_id = await paris.post("alice", "company news (backoff)", "company")
    await paris.drain()
    first = await _delivery(paris, status_id)
    await paris.db.execute("UPDATE deliveries SET next_attempt_at = 0 WHERE id = ?", (first["id"],))
    await paris.db.execute("UPDATE hosts SET consecutive_failures = 0, circuit_open_until = NULL")
    now = time.time() * 1000
    await paris.drain()
    second = await _delivery(paris, status_id)
    assert int(second["attempts"]) == 2
    assert int(second["next_attempt_at"]) - now > (int(first["next_attempt_at"]) - int(first["created_at"])) * 0.9


async def test_case_32_kill_9_during_a_fan_out_of_1000_deliveries_loses_nothing_and_doubles_nothing(
        tmp_path: Path) -> None:
    async with Node(tmp_path, "lyon") as lyon:
        # Given lyon trusts paris and knows alice's key; paris has 1,000 posts queued for lyon
        await peers.add(lyon.db, "paris.test")
        await lyon.instance.policy.reload(lyon.db)
        private, public = keypair(1)
        alice_remote = RemoteActor(f"{BASE}/users/alice", "alice", private, public, f"{BASE}/inbox")
        await store_remote(lyon.db, alice_remote)
        database = tmp_path / "paris.db"
        db = await connect(f"sqlite:///{database}")
        await migrate.migrate(db)
        instance = crash_sender.paris(lyon.domain)
        alice = await local_account(db, instance, "alice", key=1)
        async with db.transaction() as tx:
            for n in range(1000):
                uri = f"{BASE}/users/alice/statuses/{n + 1}"
                body = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{uri}/activity", "type": "Create",
                        "actor": alice["uri"], "to": [AS_PUBLIC], "object": {
                            "id": uri, "type": "Note", "attributedTo": alice["uri"], "content": f"<p>post {n}</p>",
                            "to": [AS_PUBLIC], "published": f"2025-01-01T{n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z"}}
                await outbox.enqueue(tx, activity_id=body["id"], activity_type="Create", account_id=int(alice["id"]),
                                     body=body, audience={"inboxes": [f"http://{PEER}/inbox"]}, object_uri=uri)
        await db.close()

        async def arrived() -> int:
            return int(await lyon.db.fetchval("SELECT COUNT(*) FROM inbox_items") or 0)

        # When paris starts delivering in a process of its own and is killed -9 at a random moment
        kill_at = random.randint(100, 700)
        with (tmp_path / "sender.log").open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.security.crash_sender", str(database), lyon.domain, "1500",
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and process.returncode is None:
                if await arrived() >= kill_at:
                    break
                await asyncio.sleep(0.01)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        at_kill = await arrived()
        assert 0 < at_kill < 1000, f"the kill must happen mid-way ({at_kill} arrived)"

        # And restarts (here, in this process) once its claims' locks have expired
        db = await connect(f"sqlite:///{database}")
        runtime = FederationRuntime(db, crash_sender.paris(lyon.domain), lock_ms=1500, poll_interval=0.05)
        await runtime.start(run_workers=False)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                await runtime.drain()
                left = int(await db.fetchval("SELECT COUNT(*) FROM deliveries WHERE state = 'queued'") or 0)
                unexpanded = int(await db.fetchval("SELECT COUNT(*) FROM outbox_activities WHERE state = 'queued'") or 0)
                if not left and not unexpanded:
                    break
                await asyncio.sleep(0.2)
            states = {r["state"]: int(r["n"]) for r in await db.fetchall(
                "SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state")}
            duplicates_rows = int(await db.fetchval(
                "SELECT COUNT(*) FROM (SELECT outbox_activity_id FROM deliveries GROUP BY outbox_activity_id, inbox_url"
                " HAVING COUNT(*) > 1) AS d") or 0)
        finally:
            await runtime.stop()
            await db.close()
        for _ in range(50):
            # (an item whose processing failed for a passing reason waits for its retry: make it due)
            await lyon.db.execute("UPDATE inbox_items SET next_attempt_at = 0 WHERE state = 'queued'")
            if not await lyon.runtime.drain():
                break
        # Then every post arrived exactly once: 1,000 stored, no duplicate effect
        stored = int(await lyon.db.fetchval("SELECT COUNT(*) FROM statuses WHERE account_id IS NOT NULL AND local = 0") or 0)
        received = await arrived()
        TALLY.attempt("32", f"kill -9 after {at_kill} of 1,000 deliveries", None, 0,
                      accepted=stored != 1000 or received != 1000)
        assert states == {"done": 1000}, states
        assert duplicates_rows == 0
        assert received == 1000 and stored == 1000, (received, stored)


async def test_case_33_a_peer_down_for_an_hour_gets_everything_in_order(paris: World) -> None:
    alice = paris.api("alice")
    # Given lyon is down while alice posts, edits and deletes company posts
    paris.lyon.answers["/inbox"] = Answer(503)
    ids = {}
    for name in ("a", "b", "c"):
        response = await paris.client.post("/api/v1/statuses", headers=alice,
                                           json={"status": f"{name} v1", "visibility": "company"})
        ids[name] = response.json()["id"]
    await paris.drain()
    for name, text in (("a", "a v2"), ("b", "b v2"), ("b", "b v3")):
        assert (await paris.client.put(f"/api/v1/statuses/{ids[name]}", headers=alice, json={"status": text})).status_code == 200
        await paris.drain()
    assert (await paris.client.delete(f"/api/v1/statuses/{ids['c']}", headers=alice)).status_code == 200
    await paris.drain()
    assert await paris.count("SELECT COUNT(*) FROM deliveries WHERE state = 'done'") == 0
    # When an hour passes (every retry is due, the breaker's pause is over) and lyon is back
    await paris.db.execute("UPDATE deliveries SET next_attempt_at = 0 WHERE state = 'queued'")
    await paris.db.execute("UPDATE hosts SET circuit_open_until = NULL, consecutive_failures = 0")
    paris.lyon.answers["/inbox"] = Answer(202)
    back = len(paris.lyon.posts())
    await paris.drain()
    # Then every activity still meant for lyon arrives once, Create before Update before Delete
    received = [json.loads(r.body) for r in paris.lyon.posts()[back:]]
    ids_seen = [d["id"] for d in received]
    assert len(ids_seen) == len(set(ids_seen)), "an activity arrived twice"
    by_object: dict[str, list[str]] = {}
    for document in received:
        obj = document["object"]
        uri = obj["id"] if isinstance(obj, dict) else obj
        content = obj.get("content", "") if isinstance(obj, dict) else ""
        by_object.setdefault(uri, []).append(f"{document['type']} {content}".strip())
    uri = {name: f"{BASE}/users/alice/statuses/{status_id}" for name, status_id in ids.items()}
    order_ok = (by_object.get(uri["a"]) == ["Create <p>a v1</p>", "Update <p>a v2</p>"]
                and by_object.get(uri["b"]) == ["Create <p>b v1</p>", "Update <p>b v2</p>", "Update <p>b v3</p>"]
                and by_object.get(uri["c"], [""])[-1].startswith("Delete")
                and all(not e.startswith(("Create", "Update")) for e in by_object.get(uri["c"], [])[1:]))
    TALLY.attempt("33", "a peer back after an hour", None, 0, accepted=not order_ok)
    assert order_ok, by_object
    assert await paris.count("SELECT COUNT(*) FROM deliveries WHERE state = 'queued'") == 0
