"""Admin pages (minimal for now): users, invites, reports, federation peers."""

from __future__ import annotations

import json

from starlette.responses import Response

from storage import accounts as account_store
from storage import listings
from webui.render import absolute, account_view, text_excerpt

from ..errors import HTTPError
from ..services import accounts as account_service
from ..services import peers as peer_service
from .base import Web, page


@page("/admin", admin=True)
async def admin_index(web: Web) -> Response:
    return web.redirect("/admin/users")


@page("/admin/users", admin=True)
async def users(web: Web) -> Response:
    rows = await account_store.list_users(web.ctx.db)
    rc = web.rc
    items = [{"username": r["username"], "display_name": r["display_name"], "department": r["department"] or "",
              "title": r["title"] or "", "role": r["role"], "suspended": r["suspended_at"] is not None,
              "last_sign_in": absolute(int(r["last_sign_in_at"]), rc) if r["last_sign_in_at"] else None}
             for r in rows if r["username"] != account_service.INSTANCE_ACTOR]
    return await web.render("admin/users.html", section="users", items=items)


@page("/admin/invites", admin=True)
async def invites(web: Web) -> Response:
    rows = await account_store.list_invites(web.ctx.db)
    rc = web.rc
    items = [{"url": account_service.invite_url(web.ctx, r["code"]), "uses": int(r["uses"]), "max_uses": r["max_uses"],
              "expires": absolute(int(r["expires_at"]), rc) if r["expires_at"] else None,
              "created": absolute(int(r["created_at"]), rc)} for r in rows[:200]]
    return await web.render("admin/invites.html", section="invites", items=items)


@page("/admin/invites", methods=("POST",), admin=True)
async def invite_create(web: Web) -> Response:
    uses = web.field("max_uses", "1", limit=4)
    days = web.field("days", "7", limit=4)
    await account_service.create_invite(
        web.ctx, created_by_id=web.user.id, max_uses=int(uses) if uses.isdigit() and int(uses) > 0 else None,
        expires_in_days=int(days) if days.isdigit() and int(days) > 0 else None,
    )
    return web.done({}, fallback="/admin/invites", message=web._("Invite link created."))


@page("/admin/reports", admin=True)
async def reports(web: Web) -> Response:
    rows = await listings.open_reports(web.ctx.db)
    people = await account_store.get_many(web.ctx.db, [r["account_id"] for r in rows] + [r["target_account_id"] for r in rows])
    rc = web.rc
    items = []
    for r in rows:
        reporter, target = people.get(int(r["account_id"])), people.get(int(r["target_account_id"]))
        if reporter is None or target is None:
            continue
        items.append({"reporter": account_view(reporter, rc), "target": account_view(target, rc),
                      "comment": text_excerpt(r["comment"], 300), "category": r["category"],
                      "posts": len(json.loads(r["status_ids"] or "[]")), "created": absolute(int(r["created_at"]), rc),
                      "resolved": r["action_taken_at"] is not None})
    return await web.render("admin/reports.html", section="reports", items=items)


@page("/admin/peers", admin=True)
async def peers(web: Web) -> Response:
    rows = await listings.peers(web.ctx.db)
    rc = web.rc
    items = [{"domain": r["domain"], "source": r["source"], "note": r["note"], "suspended": r["suspended_at"] is not None,
              "last_success": absolute(int(r["last_success_at"]), rc) if r["last_success_at"] else None,
              "failures": int(r["consecutive_failures"] or 0), "software": r["software"] or ""} for r in rows]
    return await web.render("admin/peers.html", section="peers", items=items, mode=web.ctx.settings.federation_mode,
                            env_peers=web.ctx.settings.peers)


@page("/admin/peers", methods=("POST",), admin=True)
async def peer_add(web: Web) -> Response:
    domain = web.field("domain", "", limit=300).strip()
    address = web.field("address", "", limit=100).strip() or None
    await peer_service.add_peer(web.ctx, domain, address=address, actor_id=web.user.id)
    return web.done({}, fallback="/admin/peers", message=web._("Peer added."))


@page("/admin/peers/{domain}/{action}", methods=("POST",), admin=True)
async def peer_action(web: Web) -> Response:
    domain = web.request.path_params["domain"]
    action = web.request.path_params["action"]
    if action == "remove":
        if not await peer_service.remove_peer(web.ctx, domain, actor_id=web.user.id):
            raise HTTPError(404, web._("No such peer"))
        return web.done({}, fallback="/admin/peers", message=web._("Peer removed."))
    if action not in ("suspend", "unsuspend"):
        raise HTTPError(404, web._("No such peer"))
    if not await peer_service.suspend_peer(web.ctx, domain, action == "suspend", actor_id=web.user.id):
        raise HTTPError(404, web._("No such peer"))
    return web.done({}, fallback="/admin/peers",
                    message=web._("Peer suspended.") if action == "suspend" else web._("Peer unsuspended."))


routes = [admin_index, users, invites, invite_create, reports, peers, peer_add, peer_action]
