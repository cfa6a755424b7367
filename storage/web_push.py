"""Web Push: subscriptions (one per access token, as in Mastodon), the instance's VAPID key pair, and
the pusher's progress through the notifications.

The pusher takes notifications in id order behind a cursor kept in `web_push_state`, advanced in
the transaction that reads the batch (the state row is locked on PostgreSQL; SQLite serialises write
transactions), so two pushers never take the same notification. Pushes are at most once: a pusher
that dies after taking a batch loses those pushes, as a phone that is off loses them anyway. The
cursor stays `LAG_MS` behind the clock, because a notification's id is drawn before its
transaction commits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .db import Database, Executor, Row
from .ids import ms_to_min_id, new_id, now_ms

ALERTS = ("mention", "status", "reblog", "follow", "follow_request", "favourite", "poll", "update",
          "admin.sign_up", "admin.report")
POLICIES = ("all", "followed", "follower", "none")
LAG_MS = 2_000
# A subscription gets the notifications made after it (ids are milliseconds << 16): never a backlog
# from before it existed, whatever the cursor.
_SINCE_SUBSCRIBED = "n.id >= ps.created_at * 65536"


async def subscribe(db: Executor, *, account_id: int, token_id: int, endpoint: str, p256dh: str, auth: str,
                    alerts: dict[str, bool], policy: str, standard: bool) -> int:
    """The token's subscription, replacing the one it had (Mastodon keeps one per token)."""
    await db.execute("DELETE FROM push_subscriptions WHERE token_id = ?", (token_id,))
    row_id = new_id()
    await db.execute(
        "INSERT INTO push_subscriptions (id, account_id, token_id, endpoint, key_p256dh, key_auth, alerts, policy,"
        " standard, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (row_id, account_id, token_id, endpoint, p256dh, auth, json.dumps(alerts), policy, int(standard), now_ms()),
    )
    return row_id


async def of_token(db: Executor, token_id: int) -> Row | None:
    return await db.fetchone("SELECT * FROM push_subscriptions WHERE token_id = ?", (token_id,))


async def update(db: Executor, subscription_id: int, *, alerts: dict[str, bool] | None, policy: str | None) -> None:
    if alerts is not None:
        await db.execute("UPDATE push_subscriptions SET alerts = ? WHERE id = ?", (json.dumps(alerts), subscription_id))
    if policy is not None:
        await db.execute("UPDATE push_subscriptions SET policy = ? WHERE id = ?", (policy, subscription_id))


async def delete(db: Executor, subscription_id: int) -> None:
    await db.execute("DELETE FROM push_subscriptions WHERE id = ?", (subscription_id,))


async def delete_gone(db: Executor, subscription_id: int, endpoint: str) -> None:
    """The push service says the endpoint is gone (404/410): forget it, unless it was replaced meanwhile."""
    await db.execute("DELETE FROM push_subscriptions WHERE id = ? AND endpoint = ?", (subscription_id, endpoint))


async def state(db: Database, make_keys: Callable[[], tuple[str, str]]) -> Row:
    """The instance's push state, created once (with `make_keys()` → (private PEM, public key)) by
    whichever process asks first; every process then reads the same keys."""
    row = await db.fetchone("SELECT * FROM web_push_state WHERE id = 1")
    if row is not None:
        return row
    private_pem, public_key = make_keys()
    now = now_ms()
    await db.execute(
        "INSERT INTO web_push_state (id, vapid_private_pem, vapid_public_key, last_notification_id, created_at)"
        " VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        # Pushing starts now: notifications from before push existed are not sent.
        (private_pem, public_key, ms_to_min_id(now), now),
    )
    row = await db.fetchone("SELECT * FROM web_push_state WHERE id = 1")
    assert row is not None
    return row


async def take_batch(db: Database, *, limit: int, now: int | None = None, lag_ms: int = LAG_MS) -> list[dict[str, Any]]:
    """The next notifications whose recipient has a live subscription, each with that subscription
    (a notification appears once per subscription); the cursor moves past them."""
    horizon = ms_to_min_id((now or now_ms()) - lag_ms)
    if await db.fetchone("SELECT 1 FROM push_subscriptions LIMIT 1") is None:
        return []   # nobody subscribed: no write at all (the cursor may lag; see _SINCE_SUBSCRIBED)
    async with db.transaction() as tx:
        lock = " FOR UPDATE" if tx.dialect == "postgresql" else ""
        cursor_row = await tx.fetchone(f"SELECT last_notification_id FROM web_push_state WHERE id = 1{lock}")
        if cursor_row is None:
            return []
        cursor = int(cursor_row["last_notification_id"])
        ids = [int(r["id"]) for r in await tx.fetchall(
            "SELECT n.id FROM notifications n WHERE n.id > ? AND n.id < ? AND EXISTS (SELECT 1 FROM push_subscriptions ps"
            f" WHERE ps.account_id = n.account_id AND {_SINCE_SUBSCRIBED}) ORDER BY n.id LIMIT ?",
            (cursor, horizon, limit),
        )]
        # A full batch: continue after its last one next time; otherwise everything up to the horizon is done.
        moved_to = ids[-1] if len(ids) == limit else max(cursor, horizon - 1)
        await tx.execute("UPDATE web_push_state SET last_notification_id = ? WHERE id = 1", (moved_to,))
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await tx.fetchall(
            "SELECT n.id AS notification_id, n.type, n.from_account_id, n.status_id, ps.id AS subscription_id,"
            " ps.account_id, ps.endpoint, ps.key_p256dh, ps.key_auth, ps.alerts, ps.policy"
            " FROM notifications n JOIN push_subscriptions ps ON ps.account_id = n.account_id"
            " JOIN oauth_tokens t ON t.id = ps.token_id"
            f" WHERE n.id IN ({marks}) AND t.revoked_at IS NULL AND {_SINCE_SUBSCRIBED} ORDER BY n.id",
            ids,
        )
    return [dict(r) for r in rows]
