"""Changing one's own profile (name, bio, fields, avatar, header, locked…) and telling the network.

The change and the `Update` of the actor that announces it are written in one transaction, so
followers on other instances learn about exactly what was saved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from activitypub.content import format_post
from activitypub.html import sanitize_plain
from federation import render
from federation.instance import Instance
from storage import accounts as account_store
from storage import outbox
from storage.db import Row

from ..context import Context
from .statuses import ServiceError

MAX_DISPLAY_NAME = 100
MAX_NOTE = 1000
MAX_FIELDS = 8
MAX_FIELD_CHARS = 255


@dataclass
class ProfileChanges:
    """What to change; None leaves a value as it is."""

    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    fields: list[tuple[str, str]] | None = None
    avatar_path: str | None = None
    header_path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _values(ctx: Context, changes: ProfileChanges) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if changes.display_name is not None:
        values["display_name"] = sanitize_plain(changes.display_name, MAX_DISPLAY_NAME)
    if changes.note is not None:
        if len(changes.note) > MAX_NOTE:
            raise ServiceError(422, f"Bio is too long (at most {MAX_NOTE} characters)")
        formatted = format_post(changes.note, local_domain=ctx.domain, resolve_mention=lambda _u, _d: None,
                                tag_url=ctx.urls.tag)
        values["note_source"] = changes.note
        values["note"] = formatted.html
    for name in ("locked", "bot", "discoverable", "avatar_path", "header_path"):
        value = getattr(changes, name)
        if value is not None:
            values[name] = value
    if changes.fields is not None:
        if len(changes.fields) > MAX_FIELDS:
            raise ServiceError(422, f"At most {MAX_FIELDS} profile fields")
        cleaned = [{"name": sanitize_plain(n, MAX_FIELD_CHARS), "value": sanitize_plain(v, MAX_FIELD_CHARS)}
                    for n, v in changes.fields]
        values["fields"] = json.dumps([f for f in cleaned if f["name"] or f["value"]], ensure_ascii=False)
    return values


async def update_profile(ctx: Context, account: Row, changes: ProfileChanges) -> Row:
    """Save the changes and queue an `Update` of the actor for followers; returns the fresh row."""
    values = _values(ctx, changes)
    if not values:
        return account
    async with ctx.db.transaction() as tx:
        await account_store.update_profile(tx, int(account["id"]), values)
        fresh = await account_store.get(tx, int(account["id"]))
        assert fresh is not None
        manager = await account_store.get(tx, int(fresh["manager_id"])) if fresh["manager_id"] else None
        instance = federation_instance(ctx)
        actor = render.actor_document(
            fresh, instance, manager_uri=manager["uri"] if manager else None,
            manager_label=(manager["display_name"] or manager["username"]) if manager else None,
        )
        body = render.update_actor_activity(fresh, instance, actor)
        await outbox.enqueue(tx, activity_id=body["id"], activity_type="Update", account_id=int(fresh["id"]),
                             body=body, audience={"followers": True}, object_uri=fresh["uri"])
    return fresh


def federation_instance(ctx: Context) -> Instance:
    """The federation's view of this instance (the wired one, or one built from the settings)."""
    wired = getattr(ctx, "instance", None) or ctx.extras.get("federation_instance")
    if isinstance(wired, Instance):
        return wired
    settings = ctx.settings
    return Instance.create(base_url=settings.base_url, company_audience=settings.company_audience,
                           federation_mode=settings.federation_mode, peers=settings.peers)
