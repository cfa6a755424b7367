"""/api/v1/instance and /api/v2/instance (reachable without a token, even on a closed instance, as
Mastodon's limited federation mode keeps them), and their small companions."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from activitypub.html import escape_text
from storage import accounts as account_store
from storage import reports, statuses, usage

from ..context import Context
from ..mastodon import instance as instance_entities
from ..mastodon.accounts import account as account_entity
from ..mastodon.common import RenderContext
from ..services import web_push
from .responses import ctx_of, json
from .routing import route, routes_with_slash

CACHE_SECONDS = 60


async def _facts(ctx: Context) -> tuple[instance_entities.InstanceStats, dict[str, Any] | None]:
    """Counts and the contact account, computed at most once a minute per worker."""
    cached = ctx.extras.get("api_instance_facts")
    if cached is not None and cached[0] > time.monotonic():
        return cached[1], cached[2]
    stats = instance_entities.InstanceStats(
        users=await account_store.count_local(ctx.db), statuses=await statuses.count_local(ctx.db),
        domains=await usage.known_domains(ctx.db), active_month=await usage.active_people(ctx.db),
    )
    contact = None
    admins = await reports.moderator_ids(ctx.db)
    row = await account_store.get(ctx.db, admins[0]) if admins else None
    if row is not None:
        contact = account_entity(row, RenderContext(urls=ctx.urls, domain=ctx.domain))
    ctx.extras["api_instance_facts"] = (time.monotonic() + CACHE_SECONDS, stats, contact)
    return stats, contact


async def v1(request: Request) -> Response:
    ctx = ctx_of(request)
    stats, contact = await _facts(ctx)
    return json(instance_entities.instance_v1(ctx.settings, stats, contact))


async def v2(request: Request) -> Response:
    ctx = ctx_of(request)
    stats, contact = await _facts(ctx)
    body = instance_entities.instance_v2(ctx.settings, stats, contact)
    body["configuration"]["vapid"] = {"public_key": await web_push.vapid_public_key(ctx)}
    return json(body)


async def empty_list(request: Request) -> Response:
    return json([])


async def extended_description(request: Request) -> Response:
    ctx = ctx_of(request)
    return json({"updated_at": "1970-01-01T00:00:00.000Z", "content": f"<p>{escape_text(ctx.settings.instance_description)}</p>"})


async def translation_languages(request: Request) -> Response:
    return json({})


routes = [
    *routes_with_slash("/api/v1/instance", v1, "GET"),
    *routes_with_slash("/api/v2/instance", v2, "GET"),
    *routes_with_slash("/api/v1/instance/peers", empty_list, "GET"),
    *routes_with_slash("/api/v1/instance/activity", empty_list, "GET"),
    *routes_with_slash("/api/v1/instance/rules", empty_list, "GET"),
    *routes_with_slash("/api/v1/instance/domain_blocks", empty_list, "GET"),
    route("/api/v1/instance/extended_description", extended_description, "GET"),
    route("/api/v1/instance/translation_languages", translation_languages, "GET"),
]
