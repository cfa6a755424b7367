"""Mastodon.py against a real `atrium serve`: filters (v2 with keywords and statuses, v1) applied to
the home timeline, and scheduled posts published by the server's own publisher loop."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mastodon import Mastodon

from tests.rig import ATRIUM, Instance, UserSpec, start_instance


@pytest.fixture
def paris(tmp_path: Path) -> Iterator[Instance]:
    instance = start_instance("paris", tmp_path, users=[UserSpec("alice"), UserSpec("carol")])
    try:
        yield instance
    finally:
        instance.stop()


def client(instance: Instance, username: str) -> Mastodon:
    token = instance.cli("tokens", "create", username, "--scopes", "read", "write", "follow").stdout.strip()
    return Mastodon(access_token=token, api_base_url=instance.base_url, version_check_mode="none")


def wait_for(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def test_filters_through_mastodon_py(paris: Instance) -> None:
    alice, carol = client(paris, "alice"), client(paris, "carol")
    alice.account_follow(carol.me().id)
    warned = carol.status_post("Here be a dragon")
    hidden = carol.status_post("Quarterly numbers")
    plain = carol.status_post("Lunch at noon")

    dragons = alice.create_filter_v2("Dragons", ["home", "thread"], "warn",
                                     keywords_attributes=[{"keyword": "dragon", "whole_word": True}])
    finance = alice.create_filter_v2("Finance", ["home"], "hide", expires_in=3600,
                                     keywords_attributes=[{"keyword": "quarterly", "whole_word": False}])
    assert {f.title for f in alice.filters_v2()} == {"Dragons", "Finance"}
    assert alice.filter_v2(finance.id).expires_at is not None

    home = {s.id: s for s in alice.timeline_home()}
    assert hidden.id not in home and home[plain.id].filtered == []
    assert home[warned.id].filtered[0].filter.title == "Dragons"
    assert home[warned.id].filtered[0].keyword_matches == ["dragon"]

    # Keywords and statuses one by one.
    keyword = alice.add_filter_keyword_v2(dragons.id, "wyrm", whole_word=False)
    assert {k.keyword for k in alice.filter_keywords_v2(dragons.id)} == {"dragon", "wyrm"}
    alice.delete_filter_keyword_v2(keyword.id)
    entry = alice.add_filter_status_v2(dragons.id, plain.id)
    assert [s.status_id for s in alice.filter_statuses_v2(dragons.id)] == [plain.id]
    home = {s.id: s for s in alice.timeline_home()}
    assert home[plain.id].filtered[0].status_matches == [plain.id]
    alice.delete_filter_status_v2(entry.id)
    updated = alice.update_filter_v2(finance.id, filter_action="warn")
    assert updated.filter_action == "warn"
    assert hidden.id in {s.id for s in alice.timeline_home()}

    # The v1 view: one filter per keyword.
    made = alice.filter_create("lunch", ["home"], irreversible=True, whole_word=True)
    assert made.phrase == "lunch" and made.irreversible is True
    assert plain.id not in {s.id for s in alice.timeline_home()}
    assert {f.phrase for f in alice.filters()} == {"dragon", "quarterly", "lunch"}
    alice.filter_delete(made.id)
    alice.delete_filter_v2(dragons.id)
    alice.delete_filter_v2(finance.id)
    assert alice.filters_v2() == [] and alice.filters() == []


def test_scheduled_posts_through_mastodon_py(paris: Instance) -> None:
    alice = client(paris, "alice")
    later = datetime.now(UTC) + timedelta(hours=1)
    kept = alice.status_post("Scheduled and published", scheduled_at=later)
    cancelled = alice.status_post("Scheduled and cancelled", scheduled_at=later + timedelta(hours=1))
    assert kept.params.text == "Scheduled and published"
    assert [s.id for s in alice.scheduled_statuses()] == [cancelled.id, kept.id]
    moved = alice.scheduled_status_update(kept.id, later + timedelta(days=1))
    assert moved.scheduled_at > later
    alice.scheduled_status_delete(cancelled.id)
    assert [s.id for s in alice.scheduled_statuses()] == [kept.id]

    # Time passes (the row is made due), and the server's publisher posts it, once.
    with sqlite3.connect(paris.database_path) as db:
        db.execute("UPDATE scheduled_statuses SET scheduled_at = 1 WHERE id = ?", (int(kept.id),))
    wait_for(lambda: any("Scheduled and published" in s.content for s in alice.timeline_home()))
    time.sleep(1)
    assert sum("Scheduled and published" in s.content for s in alice.timeline_home()) == 1
    assert alice.scheduled_statuses() == []


def test_two_worker_processes_publish_each_scheduled_post_once(tmp_path: Path) -> None:
    # Given a web process that runs no workers, and 30 scheduled posts
    paris = start_instance("paris", tmp_path, users=[UserSpec("alice")], env={"ATRIUM_RUN_WORKERS": "false"})
    workers: list[subprocess.Popen[bytes]] = []
    try:
        alice = client(paris, "alice")
        later = datetime.now(UTC) + timedelta(hours=1)
        for n in range(30):
            alice.status_post(f"scheduled {n}", scheduled_at=later + timedelta(days=n // 20))   # 25 a day at most
        with sqlite3.connect(paris.database_path) as db:
            db.execute("UPDATE scheduled_statuses SET scheduled_at = 1")
        time.sleep(1)
        assert alice.scheduled_statuses(limit=40) != []      # nobody publishes them in the web process
        # When two `atrium worker` processes run
        workers = [subprocess.Popen([ATRIUM, "worker", "--concurrency", "2"], env=paris.env, cwd=paris.data_dir,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
                   for _ in range(2)]
        # Then every post is published, exactly once
        wait_for(lambda: alice.scheduled_statuses(limit=40) == [], timeout=60)
        with sqlite3.connect(paris.database_path) as db:
            texts = [r[0] for r in db.execute("SELECT source_text FROM statuses WHERE source_text LIKE 'scheduled %'")]
        assert sorted(texts) == sorted(f"scheduled {n}" for n in range(30))
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=20)
        paris.stop()
