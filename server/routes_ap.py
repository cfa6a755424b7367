"""ActivityPub and discovery routes: actors, objects, collections, WebFinger, host-meta, NodeInfo.

Content negotiation: actor and status URLs answer ActivityStreams JSON to machines and redirect
browsers to the HTML pages. Objects that are not public are served only to signed requests that the
visibility rule admits (`signed_viewer`, wired by federation); everyone else gets 404, never a hint
that the object exists.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from activitypub.builders import (
    build_host_meta,
    build_nodeinfo,
    build_nodeinfo_discovery,
    build_ordered_collection,
    build_ordered_collection_page,
    build_webfinger,
)
from federation import render
from federation.httpsig import SignatureError, verify_request
from federation.policy import domain_of
from storage import accounts as account_store
from storage import follows, hydrate, interactions, statuses, timelines
from storage.ids import now_ms
from storage.pagination import Page
from storage.timelines import Viewer

from .context import Context
from .errors import HTTPError

ACTIVITY_CONTENT_TYPE = 'application/activity+json; charset=utf-8'
JRD = "application/jrd+json; charset=utf-8"
COLLECTION_PAGE_SIZE = 20
VERSION = "0.1.0"


def ctx_of(request: Request) -> Context:
    return request.app.state.ctx


def wants_activity_json(request: Request) -> bool:
    accept = request.headers.get("accept", "").lower()
    return "application/activity+json" in accept or "application/ld+json" in accept or (
        "application/json" in accept and "text/html" not in accept
    )


def activity_response(document: dict[str, Any], *, status: int = 200, private: bool = False) -> Response:
    headers = {"Vary": "Accept, Signature, Authorization"}
    headers["Cache-Control"] = "private, no-store" if private else "public, max-age=60"
    return Response(orjson.dumps(document), status_code=status, media_type=ACTIVITY_CONTENT_TYPE, headers=headers)


def check_signed_host(request: Request) -> None:
    """A signed request must be addressed to us: the Host it carries (and its signature covers) is
    our domain, so a request signed for another server cannot be replayed here (SECURITY-CASES 10)."""
    ctx = ctx_of(request)
    host = request.headers.get("host", "")
    if domain_of(f"{ctx.instance.scheme}://{host}/") != ctx.instance.domain:
        raise HTTPError(401, "The request was signed for another host")


async def signed_viewer(request: Request) -> Viewer:
    """Who is asking for an ActivityPub document (authorized fetch).

    Unsigned requests are anonymous in open mode; in closed mode every document but the instance
    actor needs a valid signature from an allowed instance (401 unsigned or invalid, 403 from a host
    outside the company). A signed request sees what its signer may see: company posts when it comes
    from a company instance, followers-only posts when the signer follows, direct posts when mentioned.
    """
    ctx = ctx_of(request)
    signed = "signature" in request.headers or "signature-input" in request.headers
    if not signed:
        if ctx.settings.federation_mode == "closed":
            raise HTTPError(401, "This instance serves ActivityPub documents only to signed requests from company instances")
        return Viewer.anonymous()
    runtime = ctx.extras.get("federation")
    if runtime is None:
        raise HTTPError(503, "Federation is not running on this process")
    check_signed_host(request)
    try:
        verified = await verify_request(
            request.method, request.scope.get("raw_path") or request.url.path, request.scope.get("query_string", b""),
            list(request.headers.items()), b"", runtime.fetcher.key_lookup, scheme=ctx.instance.scheme,
        )
    except SignatureError as exc:
        raise HTTPError(exc.status, exc.message) from None
    owner = await runtime.fetcher.key_owner(verified.key_id)
    domain = domain_of(owner or "")
    if not owner or not ctx.instance.policy.allow(domain):
        raise HTTPError(403, "This instance does not federate with yours")
    signer = await account_store.get_by_uri(ctx.db, owner)
    company = ctx.instance.policy.is_peer(domain)
    if signer is None or signer["actor_type"] == "Application":
        return Viewer(None, local=False, company_peer=company)
    return Viewer(int(signer["id"]), local=False, company_peer=company)


async def _local_account(ctx: Context, username: str) -> Any:
    row = await account_store.get_local_by_username(ctx.db, username)
    if row is None or row["suspended_at"] is not None:
        raise HTTPError(404, "No such account")
    return row


async def actor(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await _local_account(ctx, request.path_params["username"])
    if not wants_activity_json(request):
        return RedirectResponse(ctx.urls.profile(account["username"]), status_code=302)
    await signed_viewer(request)
    manager = await account_store.get(ctx.db, int(account["manager_id"])) if account["manager_id"] else None
    return activity_response(render.actor_document(
        account, ctx.instance, manager_uri=manager["uri"] if manager else None,
        manager_label=(manager["display_name"] or manager["username"]) if manager else None,
    ))


async def instance_actor(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await account_store.get_by_uri(ctx.db, ctx.urls.instance_actor)
    if account is None:
        raise HTTPError(404, "No instance actor")
    return activity_response(render.actor_document(account, ctx.instance))


async def status_object(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await _local_account(ctx, request.path_params["username"])
    status_id = _int_param(request.path_params["status_id"])
    if not wants_activity_json(request):
        return RedirectResponse(ctx.urls.status_page(account["username"], status_id), status_code=302)
    row = await statuses.get(ctx.db, status_id)
    if row is None or row["account_id"] != account["id"] or row["reblog_of_id"] is not None:
        if await statuses.is_tombstoned(ctx.db, ctx.urls.status(account["username"], status_id)):
            raise HTTPError(410, "This post was deleted")
        raise HTTPError(404, "Record not found")
    viewer = await signed_viewer(request)
    if row["visibility"] == "local" or not await timelines.can_see(ctx.db, viewer, status_id):
        raise HTTPError(404, "Record not found")
    bundle = await hydrate.load_status(ctx.db, status_id)
    assert bundle is not None
    document = render.note_object(bundle, ctx.instance)
    if request.url.path.endswith("/activity"):
        document = render.create_activity(bundle, ctx.instance)
    return activity_response(document, private=row["visibility"] not in ("public", "unlisted"))


def _int_param(value: str) -> int:
    if not value.isdigit() or len(value) > 19:
        raise HTTPError(404, "Record not found")
    return int(value)


def _page_arg(request: Request) -> int | None:
    raw = request.query_params.get("page")
    if raw is None:
        return None
    if raw == "true":
        return 0
    if not raw.isdigit() or len(raw) > 19:
        raise HTTPError(400, "page must be true or a cursor")
    return int(raw)


async def outbox(request: Request) -> Response:
    """The public posts of an account, as Create activities, newest first."""
    ctx = ctx_of(request)
    account = await _local_account(ctx, request.path_params["username"])
    viewer = await signed_viewer(request)
    collection_id = account["outbox_url"]
    cursor = _page_arg(request)
    total = int(account["statuses_count"])
    if cursor is None:
        return activity_response(
            build_ordered_collection(collection_id, total_items=total, first=f"{collection_id}?page=true",
                                     last=f"{collection_id}?min_id=0&page=true")
        )
    page = Page(max_id=cursor or None, limit=COLLECTION_PAGE_SIZE)
    ids = await timelines.account_statuses(ctx.db, viewer, int(account["id"]), page, exclude_reblogs=True)
    bundles = await hydrate.load_statuses(ctx.db, ids)
    items = [render.create_activity(b, ctx.instance) for b in bundles]
    for item in items:
        item.pop("@context", None)
    next_page = f"{collection_id}?page={ids[-1]}" if len(ids) == COLLECTION_PAGE_SIZE else None
    return activity_response(
        build_ordered_collection_page(f"{collection_id}?page={cursor or 'true'}", part_of=collection_id, items=items,
                                      next_page=next_page, total_items=total)
    )


async def _follow_collection(request: Request, which: str) -> Response:
    ctx = ctx_of(request)
    account = await _local_account(ctx, request.path_params["username"])
    await signed_viewer(request)
    collection_id = account["followers_url"] if which == "followers" else account["following_url"]
    total = int(account["followers_count"] if which == "followers" else account["following_count"])
    cursor = _page_arg(request)
    if cursor is None:
        return activity_response(build_ordered_collection(collection_id, total_items=total,
                                                          first=f"{collection_id}?page=true"))
    page = Page(max_id=cursor or None, limit=COLLECTION_PAGE_SIZE)
    rows = await (follows.followers if which == "followers" else follows.following)(ctx.db, int(account["id"]), page)
    people = await account_store.get_many(ctx.db, [r["account_id"] for r in rows])
    items = [people[int(r["account_id"])]["uri"] for r in rows if int(r["account_id"]) in people]
    next_page = f"{collection_id}?page={rows[-1]['follow_id']}" if len(rows) == COLLECTION_PAGE_SIZE else None
    return activity_response(
        build_ordered_collection_page(f"{collection_id}?page={cursor or 'true'}", part_of=collection_id, items=items,
                                      next_page=next_page, total_items=total)
    )


async def followers_collection(request: Request) -> Response:
    return await _follow_collection(request, "followers")


async def following_collection(request: Request) -> Response:
    return await _follow_collection(request, "following")


async def featured(request: Request) -> Response:
    ctx = ctx_of(request)
    account = await _local_account(ctx, request.path_params["username"])
    viewer = await signed_viewer(request)
    ids = await timelines.filter_visible(ctx.db, viewer, await interactions.pinned_ids(ctx.db, int(account["id"])))
    bundles = await hydrate.load_statuses(ctx.db, ids)
    items = [render.note_object(b, ctx.instance) for b in bundles]
    for item in items:
        item.pop("@context", None)
    return activity_response(build_ordered_collection(account["featured_url"], total_items=len(items), items=items))


_ACCT = re.compile(r"^(?:acct:)?@?([^@\s]+)@([^@\s]+)$")


async def webfinger(request: Request) -> Response:
    ctx = ctx_of(request)
    resource = request.query_params.get("resource", "").strip()
    if not resource:
        raise HTTPError(400, "The resource parameter is required")
    if len(resource) > 512:
        raise HTTPError(400, "The resource parameter is too long")
    username = None
    match = _ACCT.match(resource)
    if match:
        if match.group(2).lower() != ctx.domain.lower():
            raise HTTPError(404, "Not an account of this instance")
        username = match.group(1)
    elif resource.startswith(ctx.urls.base + "/users/"):
        username = resource[len(ctx.urls.base + "/users/"):].split("/")[0]
    elif resource.startswith(ctx.urls.base + "/@"):
        username = resource[len(ctx.urls.base + "/@"):].split("/")[0]
    row = None
    if resource in (ctx.urls.instance_actor, ctx.urls.base, ctx.urls.base + "/"):
        row = await account_store.get_by_uri(ctx.db, ctx.urls.instance_actor)
    elif username:
        row = await account_store.get_local_by_username(ctx.db, username)
    if row is None or row["suspended_at"] is not None:
        raise HTTPError(404, "No such account")
    document = build_webfinger(
        subject=f"acct:{row['username']}@{ctx.domain}", actor_id=row["uri"], profile_url=row["url"],
        subscribe_template=ctx.urls.base + "/authorize_interaction?uri={uri}",
    )
    return Response(orjson.dumps(document), media_type=JRD,
                    headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "max-age=300"})


async def host_meta(request: Request) -> Response:
    ctx = ctx_of(request)
    return Response(build_host_meta(ctx.urls.base), media_type="application/xrd+xml; charset=utf-8",
                    headers={"Access-Control-Allow-Origin": "*"})


async def nodeinfo_discovery(request: Request) -> Response:
    ctx = ctx_of(request)
    document = build_nodeinfo_discovery(nodeinfo_20=ctx.urls.base + "/nodeinfo/2.0",
                                        nodeinfo_21=ctx.urls.base + "/nodeinfo/2.1")
    return Response(orjson.dumps(document), media_type="application/json",
                    headers={"Access-Control-Allow-Origin": "*"})


async def nodeinfo(request: Request) -> Response:
    ctx = ctx_of(request)
    version = request.path_params["version"]
    if version not in ("2.0", "2.1"):
        raise HTTPError(404, "NodeInfo 2.0 and 2.1 are served")
    now = now_ms()
    users = await account_store.count_local(ctx.db)
    active_month = await _active_since(ctx, now - 30 * 86_400_000)
    active_halfyear = await _active_since(ctx, now - 180 * 86_400_000)
    document = build_nodeinfo(
        version=version, software_name="atrium", software_version=VERSION,
        open_registrations=ctx.settings.registration_open, users_total=users, users_active_month=active_month,
        users_active_halfyear=active_halfyear, local_posts=await statuses.count_local(ctx.db),
        software_repository="https://atrium.invalid/source" if version == "2.1" else None,
        metadata={"nodeName": ctx.settings.instance_name, "federationMode": ctx.settings.federation_mode,
                  "company": ctx.settings.company_name},
    )
    profile = f'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/{version}#"'
    return Response(orjson.dumps(document), media_type=profile, headers={"Access-Control-Allow-Origin": "*"})


async def _active_since(ctx: Context, since_ms: int) -> int:
    from storage.adoption import day_of

    value = await ctx.db.fetchval(
        "SELECT COUNT(DISTINCT d.account_id) FROM activity_days d JOIN users u ON u.account_id = d.account_id"
        " WHERE d.day >= ?",
        (day_of(since_ms),),
    )
    return int(value or 0)


routes = [
    Route("/.well-known/webfinger", webfinger),
    Route("/.well-known/host-meta", host_meta),
    Route("/.well-known/nodeinfo", nodeinfo_discovery),
    Route("/nodeinfo/{version}", nodeinfo),
    Route("/actor", instance_actor),
    Route("/users/{username}", actor),
    Route("/users/{username}/outbox", outbox, methods=["GET"]),
    Route("/users/{username}/followers", followers_collection),
    Route("/users/{username}/following", following_collection),
    Route("/users/{username}/collections/featured", featured),
    Route("/users/{username}/statuses/{status_id}", status_object),
    Route("/users/{username}/statuses/{status_id}/activity", status_object),
]
