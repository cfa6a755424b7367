"""Feeding activities through the real processing path: stored as inbox items, claimed, processed."""

from __future__ import annotations

import json
from typing import Any

from activitypub.values import first_id
from federation.fetch import Fetcher
from federation.instance import Instance
from federation.policy import domain_of
from federation.process import process_item
from storage import accounts
from storage import inbox as inbox_store
from storage.db import Row, SQLiteDatabase
from storage.ids import now_ms
from tests.federation.rig import FakeHttp, RemoteActor, local_account, remote_actor, store_remote


class Harness:
    """One instance under test, its database, and a recording fake of the rest of the network."""

    def __init__(self, db: SQLiteDatabase, instance: Instance) -> None:
        self.db = db
        self.instance = instance
        self.http = FakeHttp(instance.policy)
        self.fetcher = Fetcher(db, instance, self.http)  # type: ignore[arg-type]
        self.last_error: str | None = None

    async def local(self, username: str, *, locked: bool = False) -> Row:
        return await local_account(self.db, self.instance, username, locked=locked)

    async def remote(self, actor: RemoteActor, **extra: Any) -> Row:
        return await store_remote(self.db, actor, **extra)

    async def ensure_actor(self, uri: str) -> Row:
        row = await accounts.get_by_uri(self.db, uri)
        if row is not None:
            return row
        name = uri.rstrip("/").rsplit("/", 1)[-1] or "someone"
        scheme = uri.split("://", 1)[0]
        actor = remote_actor(domain_of(uri), name, scheme=scheme)
        actor.uri = uri
        return await store_remote(self.db, actor)

    async def process(self, activity: dict[str, Any], *, recipient: int | None = None) -> str:
        """Store `activity` as the inbox would and process it now; returns the item's final state."""
        actor = first_id(activity.get("actor"))
        assert actor is not None
        await self.ensure_actor(actor)
        item_id = await inbox_store.insert(
            self.db, activity_id=str(activity["id"]), activity_type=str(activity.get("type")), actor_uri=actor,
            key_id=f"{actor}#main-key", body=json.dumps(activity), recipient_account_id=recipient,
        )
        assert item_id is not None, "activity ids must be unique within a test"
        claimed = await inbox_store.claim_due(self.db, now=now_ms() + 10**9, lock_ms=60_000, limit=100)
        mine = [row for row in claimed if int(row["id"]) == item_id]
        assert mine, "the item was not claimable"
        state = await process_item(self.db, self.instance, self.fetcher, mine[0])
        row = await inbox_store.get(self.db, item_id)
        assert row is not None
        self.last_error = row["last_error"]
        for other in claimed:
            if int(other["id"]) != item_id:
                await inbox_store.retry_later(self.db, int(other["id"]), int(other["locked_until"]), 0, "released")
        return state

    async def count(self, sql: str, *params: Any) -> int:
        return int(await self.db.fetchval(sql, params) or 0)

    async def outbox(self) -> list[dict[str, Any]]:
        rows = await self.db.fetchall("SELECT body, audience FROM outbox_activities ORDER BY id")
        return [{"body": json.loads(r["body"]), "audience": json.loads(r["audience"])} for r in rows]
