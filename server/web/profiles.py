"""Profiles (local and remote) with the employee fields and the org chart around them; following
and unfollowing; follow requests for locked accounts; followers and following lists."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from storage import accounts as account_store
from storage import follows, hydrate, timelines
from storage.db import Row
from webui.render import account_view, status_views

from ..errors import HTTPError
from ..services import follows as follow_service
from ..services.statuses import ServiceError
from .base import Web, page

PAGE = 20


async def find_account(web: Web, handle: str, *, resolve: bool = True) -> Row | None:
    """A local (`alice`) or remote (`bob@lyon.example`) account; remote ones may be looked up."""
    username, _, domain = handle.lstrip("@").partition("@")
    if not username or len(handle) > 300:
        return None
    if domain.lower() == web.ctx.domain.lower():
        domain = ""
    row = await account_store.get_by_handle(web.ctx.db, username, domain or None)
    if row is None and domain and resolve:
        resolver = web.ctx.extras.get("resolve_remote_account")
        if resolver is not None:
            try:
                row = await resolver(web.ctx, username, domain)
            except Exception:   # a peer that does not answer is "not found" to the person asking
                row = None
    if row is None or row["suspended_at"] is not None or row["actor_type"] == "Application":
        return None
    return row


async def _account_or_404(web: Web) -> Row:
    row = await find_account(web, web.request.path_params["handle"])
    if row is None:
        raise HTTPError(404, web._("There is nobody with this name here."))
    return row


async def _relationship(web: Web, account: Row) -> dict[str, Any]:
    if web.me is None or web.me.id == int(account["id"]):
        return {}
    return (await follows.relationships(web.ctx.db, web.me.id, [int(account["id"])]))[int(account["id"])]


@page("/@{handle}", auth="open-mode")
async def profile(web: Web) -> Response:
    account = await _account_or_404(web)
    if web.me is None and account["domain"] is not None:
        return web.redirect(f"/auth/sign_in?next={web.request.url.path}")
    page_args = web.page_args(limit=PAGE)
    ids = await timelines.account_statuses(web.ctx.db, web.viewer, int(account["id"]), page_args,
                                           exclude_replies=web.request.query_params.get("replies") != "1")
    bundles = await hydrate.load_statuses(web.ctx.db, ids, web.me.id if web.me else None)
    manager = await account_store.get(web.ctx.db, int(account["manager_id"])) if account["manager_id"] else None
    reports = await account_store.reports_to(web.ctx.db, int(account["id"]))
    rc = web.rc
    return await web.render(
        "profile.html", person=account_view(account, rc), relationship=await _relationship(web, account),
        manager=account_view(manager, rc) if manager else None, reports=[account_view(r, rc) for r in reports],
        statuses=status_views(bundles, rc), more=f"?max_id={ids[-1]}" if len(ids) >= PAGE else None,
        remote_manager=account["manager_uri"] if not manager else None,
    )


async def _people_page(web: Web, which: str) -> Response:
    account = await _account_or_404(web)
    page_args = web.page_args(limit=40)
    rows = await (follows.followers if which == "followers" else follows.following)(web.ctx.db, int(account["id"]), page_args)
    people = await account_store.get_many(web.ctx.db, [r["account_id"] for r in rows])
    rc = web.rc
    views = [account_view(people[int(r["account_id"])], rc) for r in rows if int(r["account_id"]) in people]
    more = f"?max_id={rows[-1]['follow_id']}" if len(rows) >= page_args.limit else None
    return await web.render("people.html", person=account_view(account, rc), which=which, people=views, more=more)


@page("/@{handle}/followers", auth="open-mode")
async def followers(web: Web) -> Response:
    return await _people_page(web, "followers")


@page("/@{handle}/following", auth="open-mode")
async def following(web: Web) -> Response:
    return await _people_page(web, "following")


async def _state(web: Web, account: Row) -> dict[str, Any]:
    rel = await _relationship(web, account)
    fresh = await account_store.get(web.ctx.db, int(account["id"]))
    return {"following": bool(rel.get("following")), "requested": bool(rel.get("requested")),
            "followers_count": int(fresh["followers_count"]) if fresh else 0}


@page("/@{handle}/follow", methods=("POST",))
async def follow(web: Web) -> Response:
    account = await _account_or_404(web)
    row = await follow_service.follow(web.ctx, web.user.account, account)
    message = web._("Follow request sent.") if row["state"] == "pending" else None
    return web.done(await _state(web, account), fallback=web.request.url.path.rsplit("/", 1)[0], message=message)


@page("/@{handle}/unfollow", methods=("POST",))
async def unfollow(web: Web) -> Response:
    account = await _account_or_404(web)
    await follow_service.unfollow(web.ctx, web.user.account, account)
    return web.done(await _state(web, account), fallback=web.request.url.path.rsplit("/", 1)[0])


@page("/follow_requests")
async def requests_page(web: Web) -> Response:
    rows = await follows.pending_requests(web.ctx.db, web.user.id, web.page_args(limit=40))
    people = await account_store.get_many(web.ctx.db, [r["account_id"] for r in rows])
    rc = web.rc
    views = [account_view(people[int(r["account_id"])], rc) for r in rows if int(r["account_id"]) in people]
    return await web.render("follow_requests.html", people=views)


@page("/follow_requests/{account_id}/{answer}", methods=("POST",))
async def answer_request(web: Web) -> Response:
    raw = str(web.request.path_params["account_id"])
    answer = web.request.path_params["answer"]
    if not raw.isdigit() or len(raw) > 19 or answer not in ("authorize", "reject"):
        raise HTTPError(404, web._("This follow request does not exist."))
    requester = await account_store.get(web.ctx.db, int(raw))
    if requester is None:
        raise HTTPError(404, web._("This follow request does not exist."))
    try:
        await follow_service.answer_request(web.ctx, web.user.account, requester, accept=answer == "authorize")
    except ServiceError:
        raise HTTPError(404, web._("This follow request does not exist.")) from None
    message = web._("You accepted the request.") if answer == "authorize" else web._("You declined the request.")
    return web.done({"answered": answer}, fallback="/follow_requests", message=message)


routes = [requests_page, answer_request, followers, following, follow, unfollow, profile]
