"""The moderation part of Mastodon's admin API, and Atrium's audit log (admins and moderators only).

POST /api/v1/admin/accounts/:id/action (`type`: none, silence, suspend; `text`: the reason),
POST /api/v1/admin/accounts/:id/unsuspend and /unsilence, DELETE /api/v1/admin/accounts/:id, and
GET /api/v1/admin/audit_log (newest first, `max_id` and `limit`): every admin action, as recorded.
"""

from __future__ import annotations

import json as jsonlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from storage import audit
from storage.db import Row

from ..errors import HTTPError
from ..mastodon.common import iso
from ..services import moderation
from ..services import peers as peer_service
from ..services.statuses import ServiceError
from . import auth, params
from .responses import ctx_of, json
from .routing import route


async def _admin(request: Request, scope: str) -> auth.Auth:
    who = await auth.require_user(request, scope)
    if not who.is_admin:
        raise HTTPError(403, "This action is for administrators and moderators")
    return who


def _account(row: Row | None, account_id: int) -> dict[str, Any]:
    if row is None:
        return {"id": str(account_id), "deleted": True}
    return {"id": str(row["id"]), "username": row["username"], "domain": row["domain"],
            "suspended": row["suspended_at"] is not None, "silenced": row["silenced_at"] is not None}


async def _act(request: Request, action: str, reason: str = "") -> Response:
    who = await _admin(request, "admin:write:accounts")
    target_id = params.path_id(request)
    row = await moderation.moderate(ctx_of(request), target_id, action, moderator_id=who.account_id, reason=reason)
    return json(_account(row, target_id))


async def action(request: Request) -> Response:
    body = await params.body(request)
    kind = body.str("type", "none", max_length=20) or "none"
    reason = body.str("text", "", max_length=5000) or ""
    if kind == "none":
        await _admin(request, "admin:write:accounts")
        return json({})
    if kind not in ("silence", "suspend"):
        raise params.invalid("type must be none, silence or suspend")
    return await _act(request, kind, reason)


async def unsuspend(request: Request) -> Response:
    return await _act(request, "unsuspend")


async def unsilence(request: Request) -> Response:
    return await _act(request, "unsilence")


async def delete(request: Request) -> Response:
    return await _act(request, "delete")


async def audit_log(request: Request) -> Response:
    await _admin(request, "admin:read:accounts")
    query = params.query(request)
    limit = query.int("limit", 40, low=1, high=200) or 40
    rows = await audit.recent(ctx_of(request).db, limit=limit, before_id=query.id("max_id"))
    return json([{
        "id": str(r["id"]), "action": r["action"], "account_id": str(r["account_id"]) if r["account_id"] else None,
        "target_type": r["target_type"], "target_id": r["target_id"], "data": jsonlib.loads(r["data"] or "{}"),
        "created_at": iso(int(r["created_at"])),
    } for r in rows])


# --- the company allowlist as Mastodon's DomainAllow (its limited-federation API) -----------------
# The peer's domain is its id: peers are keyed by domain, and a domain is a stable identifier.

def _domain_allow(row: Row) -> dict[str, Any]:
    return {"id": row["domain"], "domain": row["domain"], "created_at": iso(int(row["created_at"])),
            "source": row["source"], "suspended": row["suspended_at"] is not None}


async def domain_allows(request: Request) -> Response:
    await _admin(request, "admin:read:domain_allows")
    return json([_domain_allow(r) for r in await peer_service.list_peers(ctx_of(request))])


async def _find_peer(request: Request) -> Row:
    wanted = request.path_params["id"].lower()
    for row in await peer_service.list_peers(ctx_of(request)):
        if row["domain"] == wanted:
            return row
    raise HTTPError(404, "Record not found")


async def domain_allow_show(request: Request) -> Response:
    await _admin(request, "admin:read:domain_allows")
    return json(_domain_allow(await _find_peer(request)))


async def domain_allow_create(request: Request) -> Response:
    who = await _admin(request, "admin:write:domain_allows")
    body = await params.body(request)
    domain = body.str("domain", "", max_length=300) or ""
    if not domain:
        raise params.invalid("domain is required")
    ctx = ctx_of(request)
    try:
        await peer_service.add_peer(ctx, domain, actor_id=who.account_id)
        normalized = peer_service.normalize_domain(domain)
    except ServiceError as exc:
        raise HTTPError(exc.status, exc.message) from None
    row = next(r for r in await peer_service.list_peers(ctx) if r["domain"] == normalized)
    return json(_domain_allow(row))


async def domain_allow_delete(request: Request) -> Response:
    who = await _admin(request, "admin:write:domain_allows")
    row = await _find_peer(request)
    await peer_service.remove_peer(ctx_of(request), row["domain"], actor_id=who.account_id)
    return json({})


routes = [
    route("/api/v1/admin/accounts/{id}/action", action, "POST"),
    route("/api/v1/admin/accounts/{id}/unsuspend", unsuspend, "POST"),
    route("/api/v1/admin/accounts/{id}/unsilence", unsilence, "POST"),
    route("/api/v1/admin/accounts/{id}", delete, "DELETE"),
    route("/api/v1/admin/audit_log", audit_log, "GET"),
    route("/api/v1/admin/domain_allows", domain_allows, "GET"),
    route("/api/v1/admin/domain_allows", domain_allow_create, "POST"),
    route("/api/v1/admin/domain_allows/{id}", domain_allow_show, "GET"),
    route("/api/v1/admin/domain_allows/{id}", domain_allow_delete, "DELETE"),
]
