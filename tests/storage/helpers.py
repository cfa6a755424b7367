"""Rows the storage tests need: accounts, statuses, outgoing activities."""

from __future__ import annotations

from typing import Any

from storage import accounts, outbox, statuses
from storage.db import Executor


async def local(db: Executor, username: str) -> int:
    base = f"https://paris.example/users/{username}"
    return await accounts.create_local_account(
        db,
        accounts.NewLocalAccount(
            username=username, uri=base, url=f"https://paris.example/@{username}", inbox_url=f"{base}/inbox",
            outbox_url=f"{base}/outbox", followers_url=f"{base}/followers", following_url=f"{base}/following",
            featured_url=f"{base}/featured", shared_inbox_url="https://paris.example/inbox",
            public_key_pem="PEM", private_key_pem="PRIVATE",
        ),
    )


async def remote(db: Executor, username: str, domain: str, *, shared: bool = True) -> int:
    base = f"https://{domain}/users/{username}"
    return await accounts.upsert_remote(
        db, base, domain,
        {"username": username, "inbox_url": f"{base}/inbox", "shared_inbox_url": f"https://{domain}/inbox" if shared else None,
         "followers_url": f"{base}/followers", "public_key_id": f"{base}#main-key", "public_key_pem": "PEM"},
    )


async def status(db: Any, account_id: int, uri: str, visibility: str = "public") -> int:
    async with db.transaction() as tx:
        return await statuses.create(tx, statuses.NewStatus(account_id=account_id, uri=uri, visibility=visibility, local=True))


async def queue(db: Any, account_id: int, activity_id: str, *, activity_type: str = "Create",
                object_uri: str | None = None, audience: dict[str, Any] | None = None) -> int:
    async with db.transaction() as tx:
        row_id = await outbox.enqueue(
            tx, activity_id=activity_id, activity_type=activity_type, account_id=account_id,
            body={"id": activity_id, "type": activity_type}, audience=audience or {"followers": True},
            object_uri=object_uri,
        )
    assert row_id is not None
    return row_id
