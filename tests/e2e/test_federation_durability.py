"""Nothing is lost and nothing arrives twice when an instance crashes or a peer is away."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time

import httpx
import pytest

from tests.e2e.federation_rig import employee, eventually, running_company
from tests.rig import ATRIUM, UserSpec

POSTS = 1000
AUTHORS = ("alice", "dave", "erin", "frank")   # 250 posts each: within Mastodon's per-account post limit


def count(instance, sql: str, *params) -> int:
    with sqlite3.connect(instance.database_path, timeout=30) as db:
        return int(db.execute(sql, params).fetchone()[0])


class _Arrivals:
    """How many of the authors' posts lyon has (callable), and the authors' ids there."""

    def __init__(self, lyon, ids):
        self.lyon, self.ids = lyon, ids
        self.marks = ",".join("?" * len(ids))

    def __call__(self) -> int:
        return count(self.lyon, f"SELECT COUNT(*) FROM statuses WHERE account_id IN ({self.marks})", *self.ids)


def _bob_follows_the_authors(paris, lyon):
    authors = [employee(paris, name) for name in AUTHORS]
    bob = employee(lyon, "bob")
    ids_at_lyon = []
    for author in authors:
        found = bob.resolve(author)
        bob.post(f"/api/v1/accounts/{found['id']}/follow")
        ids_at_lyon.append(int(found["id"]))
    eventually(lambda: all(r["following"] for r in bob.get("/api/v1/accounts/relationships",
                                                            **{"id[]": [str(i) for i in ids_at_lyon]})),
               what="bob follows them")
    return authors, _Arrivals(lyon, ids_at_lyon)


@pytest.fixture
def pair(tmp_path):
    with running_company(
        tmp_path,
        {"paris": [UserSpec(name) for name in AUTHORS], "lyon": [UserSpec("bob")]},
        # Short claim locks so that a crashed worker's claims are taken again within the test.
        extra_env={"ATRIUM_CLAIM_LOCK_SECONDS": "5", "ATRIUM_RETRY_BASE_SECONDS": "1"},
    ) as instances:
        yield instances


def test_kill_9_with_a_thousand_deliveries_queued_loses_nothing_and_duplicates_nothing(pair):
    paris, lyon = pair["paris"], pair["lyon"]
    # Given bob follows four colleagues at paris
    authors, arrived = _bob_follows_the_authors(paris, lyon)
    marks, ids_at_lyon = arrived.marks, arrived.ids

    # And paris has 1,000 posts queued for delivery (its workers off while they post)
    paris.stop()
    paris.env["ATRIUM_RUN_WORKERS"] = "false"
    paris.start()
    for author in authors:
        with httpx.Client(base_url=paris.base_url, headers={"Authorization": f"Bearer {author.token}"}, timeout=30) as api:
            for n in range(POSTS // len(authors)):
                response = api.post("/api/v1/statuses", data={"status": f"update {n} from {author.username}"})
                assert response.status_code == 200, response.text
    paris.stop()
    assert count(paris, "SELECT COUNT(*) FROM outbox_activities WHERE activity_type = 'Create'") == POSTS

    # When paris starts delivering and is killed -9 part-way
    paris.env.pop("ATRIUM_RUN_WORKERS")
    paris.start()
    eventually(lambda: arrived() >= 50, timeout=60, interval=0.05, what="some deliveries arrived")
    paris.kill()
    assert arrived() < POSTS, "the crash must happen mid-way for this test to mean anything"

    # And restarts
    paris.start()

    # Then every post arrives at lyon exactly once
    eventually(lambda: arrived() == POSTS, timeout=120, interval=0.5, what="all 1,000 posts at lyon")
    time.sleep(2)  # anything still in flight would show up as a duplicate now
    assert arrived() == POSTS
    assert count(lyon, f"SELECT COUNT(DISTINCT uri) FROM statuses WHERE account_id IN ({marks})", *ids_at_lyon) == POSTS
    assert count(lyon, "SELECT COUNT(*) FROM inbox_items WHERE activity_type = 'Create'") == POSTS
    bob_id = count(lyon, "SELECT a.id FROM accounts a JOIN users u ON u.account_id = a.id WHERE a.username = 'bob'")
    assert count(lyon, f"SELECT COUNT(*) FROM home_feed WHERE account_id = ? AND author_id IN ({marks})",
                 bob_id, *ids_at_lyon) == POSTS
    eventually(lambda: count(paris, "SELECT COUNT(*) FROM deliveries WHERE state = 'done'") >= POSTS,
               timeout=60, what="paris records every delivery done")


def test_a_peer_away_for_a_while_gets_everything_in_order_when_it_returns(pair):
    paris, lyon = pair["paris"], pair["lyon"]
    alice = employee(paris, "alice")
    bob = employee(lyon, "bob")
    alice_at_lyon = bob.resolve(alice)
    bob.post(f"/api/v1/accounts/{alice_at_lyon['id']}/follow")
    eventually(lambda: bob.get("/api/v1/accounts/relationships", **{"id[]": alice_at_lyon["id"]})[0]["following"],
               what="bob follows alice")

    # Given lyon is down while alice keeps posting, editing and deleting
    lyon.stop()
    first = alice.post("/api/v1/statuses", status="post 0")
    for n in range(1, 20):
        alice.post("/api/v1/statuses", status=f"post {n}")
    alice.put(f"/api/v1/statuses/{first['id']}", status="post 0, edited")
    doomed = alice.post("/api/v1/statuses", status="posted by mistake")
    alice.delete(f"/api/v1/statuses/{doomed['id']}")
    time.sleep(3)  # paris tries, fails, backs off

    # When lyon comes back
    lyon.start()

    # Then bob's home has every post, in order, the edit applied, the deleted one absent
    def arrived():
        texts = [s["content"] for s in bob.home() if s["account"]["id"] == alice_at_lyon["id"]]
        return texts if len(texts) == 20 else None

    texts = eventually(arrived, timeout=120, interval=0.5, what="all of alice's posts at lyon")
    expected = [f"<p>post {n}</p>" for n in range(19, 0, -1)] + ["<p>post 0, edited</p>"]
    assert texts == expected
    assert count(lyon, "SELECT COUNT(*) FROM tombstones WHERE uri = ?", doomed["uri"]) == 1


def test_separate_worker_processes_deliver_everything_once_when_one_is_killed(pair):
    paris, lyon = pair["paris"], pair["lyon"]
    authors, arrived = _bob_follows_the_authors(paris, lyon)

    # Given paris's web process runs no workers, and 400 posts wait for delivery
    paris.stop()
    paris.env["ATRIUM_RUN_WORKERS"] = "false"
    paris.start()
    for author in authors:
        with httpx.Client(base_url=paris.base_url, headers={"Authorization": f"Bearer {author.token}"}, timeout=30) as api:
            for n in range(100):
                assert api.post("/api/v1/statuses", data={"status": f"note {n}"}).status_code == 200

    # When two `atrium worker` processes deliver them and one is killed -9 part-way
    workers = [subprocess.Popen([ATRIUM, "worker", "--concurrency", "4"], env=paris.env, cwd=paris.data_dir,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
               for _ in range(2)]
    try:
        eventually(lambda: arrived() >= 20, timeout=60, interval=0.05, what="deliveries started")
        os.killpg(workers[0].pid, signal.SIGKILL)
        workers[0].wait(timeout=10)
        # Then the surviving worker delivers everything, exactly once
        eventually(lambda: arrived() == 400, timeout=120, interval=0.5, what="all 400 posts at lyon")
        time.sleep(2)
        assert arrived() == 400
        assert count(lyon, "SELECT COUNT(*) FROM inbox_items WHERE activity_type = 'Create'") == 400
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=20)
