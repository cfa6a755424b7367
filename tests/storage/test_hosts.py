"""storage.hosts: the breaker's shared counters and the key-refetch allowance."""

from __future__ import annotations

from storage import hosts
from storage.db import Database


async def test_failures_count_up_and_a_success_resets_them(db: Database) -> None:
    assert await hosts.record_failure(db, "lyon.example", now=1_000) == 1
    assert await hosts.record_failure(db, "lyon.example", now=2_000) == 2
    await hosts.record_success(db, "lyon.example", now=3_000)
    row = await hosts.get(db, "lyon.example")
    assert row is not None and row["consecutive_failures"] == 0 and row["last_success_at"] == 3_000


async def test_only_one_caller_wins_the_probe_of_an_open_circuit(db: Database) -> None:
    # Given a host over the threshold whose open period has ended
    for t in range(3):
        await hosts.record_failure(db, "lyon.example", now=t)
    await hosts.open_circuit(db, "lyon.example", until=10_000)
    # Then nobody passes before the end, exactly one caller passes after it
    assert not await hosts.try_probe(db, "lyon.example", now=9_999, threshold=3, probe_until=20_000)
    results = [await hosts.try_probe(db, "lyon.example", now=10_000, threshold=3, probe_until=20_000) for _ in range(3)]
    assert results == ["probe", None, None]


async def test_a_healthy_or_unknown_host_always_passes(db: Database) -> None:
    assert await hosts.try_probe(db, "new.example", now=0, threshold=3, probe_until=1) == "closed"
    await hosts.record_failure(db, "new.example", now=0)
    assert await hosts.try_probe(db, "new.example", now=0, threshold=3, probe_until=1) == "closed"


async def test_key_refetches_are_limited_per_host(db: Database) -> None:
    assert await hosts.claim_key_refetch(db, "lyon.example", now=100_000, interval_ms=60_000)
    assert not await hosts.claim_key_refetch(db, "lyon.example", now=159_999, interval_ms=60_000)
    assert await hosts.claim_key_refetch(db, "montreal.example", now=100_001, interval_ms=60_000)
    assert await hosts.claim_key_refetch(db, "lyon.example", now=160_000, interval_ms=60_000)


async def test_unhealthy_hosts_are_listed_worst_first(db: Database) -> None:
    await hosts.record_failure(db, "a.example", now=0)
    for _ in range(3):
        await hosts.record_failure(db, "b.example", now=0)
    await hosts.set_software(db, "b.example", "mastodon")
    await hosts.set_gone(db, "c.example", True)
    assert [r["domain"] for r in await hosts.list_unhealthy(db)] == ["b.example", "a.example"]
