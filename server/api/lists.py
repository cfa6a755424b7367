"""/api/v1/lists: an employee's lists of people they follow, and who is in them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from activitypub.html import sanitize_plain
from storage import follows, lists
from storage.db import Row
from storage.pagination import Page

from ..errors import HTTPError
from ..mastodon import misc
from . import auth, params
from .present import Presenter
from .responses import ctx_of, json, paginated
from .routing import route

MAX_TITLE = 100
ALL_MEMBERS = 5000


async def _own(request: Request, who: auth.Auth) -> Row:
    row = await lists.get(ctx_of(request).db, who.account_id, params.path_id(request))
    if row is None:
        raise HTTPError(404, "Record not found")
    return row


def _title(body: params.Params, *, required: bool) -> str | None:
    raw = body.str("title", max_length=1000)
    if raw is None and not required:
        return None
    title = sanitize_plain(raw or "", MAX_TITLE)
    if not title:
        raise params.invalid("Title can't be blank")
    return title


def _policy(body: params.Params) -> str | None:
    policy = body.str("replies_policy", max_length=20)
    if policy is not None and policy not in lists.REPLIES_POLICIES:
        raise params.invalid("Replies policy is not included in the list")
    return policy


async def index(request: Request) -> Response:
    who = await auth.require_user(request, "read:lists")
    return json([misc.user_list(r) for r in await lists.of_account(ctx_of(request).db, who.account_id)])


async def create(request: Request) -> Response:
    who = await auth.require_user(request, "write:lists")
    ctx = ctx_of(request)
    body = await params.body(request)
    title = _title(body, required=True)
    assert title is not None
    if await lists.count(ctx.db, who.account_id) >= lists.MAX_LISTS:
        raise params.invalid(f"You can have at most {lists.MAX_LISTS} lists")
    list_id = await lists.create(ctx.db, who.account_id, title, replies_policy=_policy(body) or "list",
                                 exclusive=bool(body.bool("exclusive", False)))
    row = await lists.get(ctx.db, who.account_id, list_id)
    assert row is not None
    return json(misc.user_list(row))


async def show(request: Request) -> Response:
    who = await auth.require_user(request, "read:lists")
    return json(misc.user_list(await _own(request, who)))


async def update(request: Request) -> Response:
    who = await auth.require_user(request, "write:lists")
    ctx = ctx_of(request)
    row = await _own(request, who)
    body = await params.body(request)
    await lists.update(ctx.db, int(row["id"]), title=_title(body, required=False), replies_policy=_policy(body),
                       exclusive=body.bool("exclusive"))
    fresh = await lists.get(ctx.db, who.account_id, int(row["id"]))
    assert fresh is not None
    return json(misc.user_list(fresh))


async def delete(request: Request) -> Response:
    who = await auth.require_user(request, "write:lists")
    row = await _own(request, who)
    await lists.delete(ctx_of(request).db, int(row["id"]))
    return json({})


async def members(request: Request) -> Response:
    who = await auth.require_user(request, "read:lists")
    ctx = ctx_of(request)
    row = await _own(request, who)
    query = params.query(request)
    limit = query.int("limit", 40, low=0, high=80)
    # limit=0 means every member, as in Mastodon.
    page = params.page(query, max_limit=80, default=40) if limit else Page(limit=ALL_MEMBERS)
    ids = await lists.members(ctx.db, int(row["id"]), page)
    accounts = await Presenter(ctx, who.account_id).accounts(ids)
    return paginated(request, accounts, ids, full=len(ids) == page.limit)


async def add_members(request: Request) -> Response:
    who = await auth.require_user(request, "write:lists")
    ctx = ctx_of(request)
    row = await _own(request, who)
    ids = (await params.body(request)).ids("account_ids")
    if not ids:
        raise params.invalid("account_ids can't be blank")
    flags = await follows.relationships(ctx.db, who.account_id, ids)
    if not all(flags[i]["following"] for i in ids):
        raise HTTPError(404, "Record not found")   # Mastodon: only accounts you follow
    await lists.add_accounts(ctx.db, int(row["id"]), ids)
    return json({})


async def remove_members(request: Request) -> Response:
    who = await auth.require_user(request, "write:lists")
    row = await _own(request, who)
    ids = (await params.body(request)).ids("account_ids")
    await lists.remove_accounts(ctx_of(request).db, int(row["id"]), ids)
    return json({})


routes = [
    route("/api/v1/lists", {"GET": index, "POST": create}),
    route("/api/v1/lists/{id}", {"GET": show, "PUT": update, "DELETE": delete}),
    route("/api/v1/lists/{id}/accounts", {"GET": members, "POST": add_members, "DELETE": remove_members}),
]
