"""Finding accounts by handle and objects by URL, asking the federation to fetch them when it can."""

from __future__ import annotations

import logging
import re

from storage import accounts as account_store
from storage import listings
from storage.db import Row

from ..context import Context

log = logging.getLogger("atrium.api")
HANDLE = re.compile(r"^@?([A-Za-z0-9_.-]{1,64})(?:@([A-Za-z0-9.-]{1,253}(?::\d{1,5})?))?$")


def split_handle(ctx: Context, text: str) -> tuple[str, str | None] | None:
    """`alice`, `@alice`, `alice@our.domain` → ("alice", None); `bob@lyon.example` → ("bob", "lyon.example")."""
    match = HANDLE.match(text.strip())
    if match is None:
        return None
    username, domain = match.group(1), (match.group(2) or "").lower() or None
    if domain in (ctx.domain, ctx.settings.host) and domain is not None:
        domain = None
    return username, domain


async def find_account(ctx: Context, text: str, *, resolve: bool) -> Row | None:
    """A live account by handle; remote ones are looked up by WebFinger when `resolve` and federation is wired."""
    handle = split_handle(ctx, text)
    if handle is None:
        return None
    username, domain = handle
    if domain is None:
        row = await account_store.get_local_by_username(ctx.db, username)
    else:
        row = await account_store.get_by_handle(ctx.db, username, domain)
        resolver = ctx.extras.get("resolve_remote_account")
        if row is None and resolve and resolver is not None:
            try:
                row = await resolver(ctx, username, domain)
            except Exception:   # unreachable or refused peers read as "not found"
                log.info("could not resolve @%s@%s", username, domain, exc_info=True)
                row = None
    if row is None or row["suspended_at"] is not None or row["actor_type"] == "Application":
        return None
    return row


async def status_by_url(ctx: Context, url: str, *, resolve: bool) -> int | None:
    """A status id for an ActivityPub id or page URL, fetched from its origin when allowed."""
    found = await listings.status_by_url(ctx.db, url)
    fetcher = ctx.extras.get("fetch_remote_status")
    if found is None and resolve and fetcher is not None and not ctx.is_local_uri(url):
        try:
            row = await fetcher(ctx, url)
        except Exception:
            log.info("could not fetch %s", url, exc_info=True)
            row = None
        found = int(row["id"]) if row is not None else None
    return found


async def account_by_url(ctx: Context, url: str) -> Row | None:
    account_id = await listings.account_by_url(ctx.db, url)
    row = await account_store.get(ctx.db, account_id) if account_id is not None else None
    if row is None or row["suspended_at"] is not None or row["actor_type"] == "Application":
        return None
    return row
