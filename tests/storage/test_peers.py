"""storage.peers: the company allowlist and open-mode domain blocks."""

from __future__ import annotations

import json

import pytest

from storage import peers
from storage.db import Database


async def test_a_peer_is_added_updated_suspended_and_removed(db: Database) -> None:
    assert await peers.add(db, "Lyon.Example", address="10.0.0.5:8443", allowed_cidrs=["10.0.0.0/24"])
    assert not await peers.add(db, "lyon.example", address=None, note="HQ")
    row = await peers.get(db, "lyon.example")
    assert row is not None and row["address"] is None and row["note"] == "HQ"
    assert json.loads(row["allowed_cidrs"]) == []
    assert await peers.set_suspended(db, "lyon.example", True)
    assert (await peers.get(db, "lyon.example"))["suspended_at"] is not None  # type: ignore[index]
    assert [r["domain"] for r in await peers.list_all(db)] == ["lyon.example"]
    assert await peers.remove(db, "lyon.example")
    assert await peers.list_all(db) == []


async def test_domain_blocks_upsert_and_refuse_unknown_severities(db: Database) -> None:
    await peers.add_domain_block(db, "spam.example", "silence")
    await peers.add_domain_block(db, "spam.example", "suspend", "abuse")
    (row,) = await peers.list_domain_blocks(db)
    assert row["severity"] == "suspend" and row["reason"] == "abuse"
    with pytest.raises(ValueError):
        await peers.add_domain_block(db, "x.example", "ban")
    assert await peers.remove_domain_block(db, "spam.example")
