"""Search: people on every company instance, posts, hashtags. Pasting `@user@host` or the URL of
a profile or a post finds it, fetched from its instance when federation is wired."""

from __future__ import annotations

import re

from starlette.responses import Response

from storage import accounts as account_store
from storage import hydrate, listings, timelines
from webui.render import account_view, profile_path, status_path, status_views

from .base import Web, page
from .profiles import find_account
from .timelines import normalise_tag

HANDLE = re.compile(r"^@?([A-Za-z0-9_.-]{1,64})@([A-Za-z0-9.-]{1,253}(?::\d{1,5})?)$")


async def _lookup_url(web: Web, url: str) -> Response | None:
    """Open what a pasted URL points to: a known post or person, else ask the federation to fetch it."""
    ctx = web.ctx
    status_id = await listings.status_by_url(ctx.db, url)
    if status_id is None and ctx.extras.get("fetch_remote_status") is not None:
        try:
            row = await ctx.extras["fetch_remote_status"](ctx, url)
        except Exception:   # unreachable or refused: shown as "nothing found"
            row = None
        status_id = int(row["id"]) if row is not None else None
    if status_id is not None and await timelines.can_see(ctx.db, web.viewer, status_id):
        bundle = await hydrate.load_status(ctx.db, status_id)
        if bundle is not None:
            shown = bundle.reblog or bundle
            return web.redirect(status_path(shown.account, shown.id))
    account_id = await listings.account_by_url(ctx.db, url)
    if account_id is not None:
        account = await account_store.get(ctx.db, account_id)
        if account is not None and account["suspended_at"] is None:
            return web.redirect(profile_path(account))
    return None


@page("/search")
async def search(web: Web) -> Response:
    query = web.field("q", limit=500).strip()
    people, posts, tags = [], [], []
    if query:
        if query.startswith(("https://", "http://")):
            found = await _lookup_url(web, query)
            if found is not None:
                return found
        match = HANDLE.match(query)
        if match:
            account = await find_account(web, f"{match.group(1)}@{match.group(2)}")
            if account is not None:
                return web.redirect(profile_path(account))
        rc = web.rc
        terms = query.lstrip("@#")
        if terms:
            people = [account_view(r, rc) for r in await account_store.search(web.ctx.db, terms, limit=20)]
            ids = await listings.search_statuses(web.ctx.db, web.viewer, terms, limit=20)
            posts = status_views(await hydrate.load_statuses(web.ctx.db, ids, web.user.id), rc)
            tags = await listings.search_tags(web.ctx.db, normalise_tag(terms), limit=20)
    return await web.render("search.html", query=query, people=people, posts=posts, tags=tags)


routes = [search]
