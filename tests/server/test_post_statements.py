"""The statements `POST /api/v1/statuses` makes for a simple post (each is a thread hop on SQLite, a
round trip on PostgreSQL): pinned, so the count cannot silently grow back (bench/README.md)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from server.services import statuses as status_service
from server.services.accounts import create_account
from server.services.statuses import PostInput
from storage import accounts
from tests.counting import Counting


async def test_a_simple_post_makes_eight_statements_and_one_transaction(ctx: Any) -> None:
    created = await create_account(ctx, "alice", password="a long password")
    alice = await accounts.get(ctx.db, created.account_id)
    sent: list[str] = []
    counted = replace(ctx, db=Counting(ctx.db, sent))
    await status_service.create_status(counted, alice, PostInput(text="all hands at 3"))
    # The status, the author's counters, its feed row, the fan-out job (none: no follower), the
    # stream event (NOTIFY too on PostgreSQL), the adoption day, the status with its extras (one
    # statement) for rendering the Create, the outbox row. Nothing after the commit: no fan-out job
    # was written.
    assert len(sent) == 8 + (ctx.db.dialect == "postgresql"), sent
    sent.clear()
    await status_service.create_status(counted, alice, PostInput(text="ship it #release"))
    assert len(sent) == 10 + (ctx.db.dialect == "postgresql"), sent   # + the tag and its link
