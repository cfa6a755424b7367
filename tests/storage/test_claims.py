"""storage.claims: concurrent claimers on one database never share a row (SKIP LOCKED on PostgreSQL)."""

from __future__ import annotations

import asyncio

from storage import inbox
from storage.db import Database


async def test_concurrent_claims_are_disjoint_and_cover_everything(db: Database) -> None:
    # Given 40 due items from 40 actors
    for i in range(40):
        await inbox.insert(db, activity_id=f"https://lyon.example/a/{i}", activity_type="Like",
                           actor_uri=f"https://lyon.example/users/u{i}", key_id="k", body="{}", now=1_000)
    # When eight workers claim at the same moment, five rows each
    batches = await asyncio.gather(*(inbox.claim_due(db, now=2_000, lock_ms=60_000, limit=5) for _ in range(8)))
    # Then no row went to two workers, and together they took everything
    claimed = [int(row["id"]) for batch in batches for row in batch]
    assert len(claimed) == len(set(claimed)) == 40
    assert await inbox.claim_due(db, now=2_000, lock_ms=60_000, limit=5) == []


async def test_a_claim_of_nothing_due_is_empty(db: Database) -> None:
    assert await inbox.claim_due(db, now=2_000, lock_ms=60_000, limit=0) == []
    assert await inbox.claim_due(db, now=2_000, lock_ms=60_000, limit=5) == []
