"""/api/v2/filters (filters with keywords and statuses) and /api/v1/filters (the older view: one
filter per keyword), as Mastodon documents them. Where filters apply: server/api/filtering.py."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from storage import filters as filter_store
from storage.db import Executor
from storage.filters import ACTIONS, CONTEXTS, MAX_FILTERS, MAX_KEYWORDS, MAX_STATUSES, FilterBundle
from storage.ids import now_ms
from storage.timelines import can_see

from ..errors import HTTPError
from ..mastodon import filters as entities
from . import auth, params
from .responses import ctx_of, json
from .routing import route

MAX_TITLE = 256
MAX_KEYWORD = 512
MAX_EXPIRES_IN = 10 * 365 * 86400
READ, WRITE = "read:filters", "write:filters"


def _not_found() -> HTTPError:
    return HTTPError(404, "Record not found")


def _context(body: params.Params, *, required: bool) -> list[str] | None:
    if "context" not in body and "context[]" not in body:
        if required:
            raise params.invalid("Context can't be blank")
        return None
    values = list(dict.fromkeys(body.strs("context", max_length=20)))
    if not values:
        raise params.invalid("Context can't be blank")
    if any(v not in CONTEXTS for v in values):
        raise params.invalid(f"Context must be among {', '.join(CONTEXTS)}")
    return values


def _expires_at(body: params.Params) -> tuple[bool, int | None]:
    """(whether `expires_in` was sent, the expiry in milliseconds or None for never: sent empty or null)."""
    if "expires_in" not in body:
        return False, None
    seconds = body.int("expires_in", None, low=1, high=MAX_EXPIRES_IN)
    return True, None if seconds is None else now_ms() + seconds * 1000


def _expiry_change(body: params.Params) -> int | object | None:
    """For an update: the new expiry, or storage's KEEP when `expires_in` was not sent."""
    given, expires_at = _expires_at(body)
    return expires_at if given else filter_store.KEEP


def _keyword_text(value: Any, name: str = "keyword") -> str:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise params.invalid(f"{name} must be a string")
    text = str(value).strip()
    if not text:
        raise params.invalid("Keyword can't be blank")
    if len(text) > MAX_KEYWORD:
        raise params.invalid(f"Keyword is too long (at most {MAX_KEYWORD} characters)")
    return text


def _action(body: params.Params, default: str | None) -> str | None:
    action = body.str("filter_action", max_length=20)
    if not action:
        return default
    if action not in ACTIONS:
        raise params.invalid("Filter action must be warn or hide")
    return action


def _title(body: params.Params, *, required: bool) -> str | None:
    title = body.str("title", max_length=MAX_TITLE)
    if title is not None:
        title = title.strip()
    if required and not title:
        raise params.invalid("Title can't be blank")
    return title or None


async def _owned(request: Request, who: auth.Auth, name: str = "id") -> FilterBundle:
    found = await filter_store.get(ctx_of(request).db, who.account_id, params.path_id(request, name))
    if found is None:
        raise _not_found()
    return found


async def _reloaded(request: Request, who: auth.Auth, filter_id: int) -> FilterBundle:
    found = await filter_store.get(ctx_of(request).db, who.account_id, filter_id)
    if found is None:
        raise _not_found()
    return found


async def _check_room(db: Executor, account_id: int) -> None:
    if await filter_store.count(db, account_id) >= MAX_FILTERS:
        raise params.invalid(f"At most {MAX_FILTERS} filters")


async def _apply_keyword_attributes(tx: Executor, bundle: FilterBundle, items: list[Any]) -> None:
    """`keywords_attributes`: items with an `id` update (or, with `_destroy`, delete) that keyword;
    items without one add a keyword."""
    own = {int(k["id"]) for k in bundle.keywords}
    for item in items:
        if not isinstance(item, dict):
            raise params.invalid("keywords_attributes must be a list of {keyword, whole_word}")
        sub = params.Params(item)
        keyword_id = sub.id("id")
        whole_word = sub.bool("whole_word")
        if keyword_id is not None:
            if keyword_id not in own:
                raise _not_found()
            if sub.bool("_destroy"):
                await filter_store.delete_keyword(tx, keyword_id)
                continue
            keyword = _keyword_text(item["keyword"]) if "keyword" in item else None
            await filter_store.update_keyword(tx, keyword_id, keyword=keyword, whole_word=whole_word)
        else:
            if await filter_store.keyword_count(tx, bundle.id) >= MAX_KEYWORDS:
                raise params.invalid(f"At most {MAX_KEYWORDS} keywords in a filter")
            await filter_store.add_keyword(tx, bundle.id, _keyword_text(item.get("keyword")),
                                           True if whole_word is None else whole_word)


# --- v2 -----------------------------------------------------------------------------------------

async def index_v2(request: Request) -> Response:
    who = await auth.require_user(request, READ)
    return json([entities.filter_v2(b) for b in await filter_store.of_account(ctx_of(request).db, who.account_id)])


async def show_v2(request: Request) -> Response:
    who = await auth.require_user(request, READ)
    return json(entities.filter_v2(await _owned(request, who)))


async def create_v2(request: Request) -> Response:
    who = await auth.require_user(request, WRITE)
    ctx = ctx_of(request)
    body = await params.body(request)
    title = _title(body, required=True)
    context = _context(body, required=True)
    action = _action(body, "warn")
    _, expires_at = _expires_at(body)
    keywords = body.list("keywords_attributes")
    assert title is not None and context is not None and action is not None
    async with ctx.db.transaction() as tx:
        await _check_room(tx, who.account_id)
        filter_id = await filter_store.create(
            tx, who.account_id, title=title, context=context, action=action, expires_at=expires_at,
        )
        await _apply_keyword_attributes(tx, FilterBundle({"id": filter_id}), keywords)
    return json(entities.filter_v2(await _reloaded(request, who, filter_id)))


async def update_v2(request: Request) -> Response:
    who = await auth.require_user(request, WRITE)
    ctx = ctx_of(request)
    bundle = await _owned(request, who)
    body = await params.body(request)
    title, context, action = _title(body, required=False), _context(body, required=False), _action(body, None)
    expires_at = _expiry_change(body)
    keywords = body.list("keywords_attributes")
    async with ctx.db.transaction() as tx:
        await filter_store.update(tx, bundle.id, title=title, context=context, action=action, expires_at=expires_at)
        await _apply_keyword_attributes(tx, bundle, keywords)
    return json(entities.filter_v2(await _reloaded(request, who, bundle.id)))


async def delete_v2(request: Request) -> Response:
    who = await auth.require_user(request, WRITE)
    bundle = await _owned(request, who)
    await filter_store.delete(ctx_of(request).db, bundle.id)
    return json({})


async def keywords_index(request: Request) -> Response:
    who = await auth.require_user(request, READ)
    return json([entities.keyword(k) for k in (await _owned(request, who)).keywords])


async def keyword_create(request: Request) -> Response:
    who = await auth.require_user(request, WRITE)
    ctx = ctx_of(request)
    bundle = await _owned(request, who)
    body = await params.body(request)
    keyword = _keyword_text(body.raw("keyword"))
    whole_word = body.bool("whole_word", True)
    async with ctx.db.transaction() as tx:
        if await filter_store.keyword_count(tx, bundle.id) >= MAX_KEYWORDS:
            raise params.invalid(f"At most {MAX_KEYWORDS} keywords in a filter")
        keyword_id = await filter_store.add_keyword(tx, bundle.id, keyword, bool(whole_word))
    row = await filter_store.get_keyword(ctx.db, who.account_id, keyword_id)
    assert row is not None
    return json(entities.keyword(row))


async def _owned_keyword(request: Request, who: auth.Auth) -> Any:
    row = await filter_store.get_keyword(ctx_of(request).db, who.account_id, params.path_id(request))
    if row is None:
        raise _not_found()
    return row


async def keyword_show(request: Request) -> Response:
    who = await auth.require_user(request, READ)
    return json(entities.keyword(await _owned_keyword(request, who)))


async def keyword_update(request: Request) -> Response:
    who = await auth.require_user(request, WRITE)
    ctx = ctx_of(request)
    row = await _owned_keyword(request, who)
    body = await params.body(request)
    keyword = _keyword_text(body.raw("keyword")) if "keyword" in body else None
    await filter_store.update_keyword(ctx.db, int(row["id"]), keyword=keyword, whole_word=body.bool("whole_word"))
    return json(entities.keyword(await _owned_keyword(request, who)))


async def keyword_delete(request: Request) -> Response:
    who = await auth.require_user(request, WRITE)
    row = await _owned_keyword(request, who)
    await filter_store.delete_keyword(ctx_of(request).db, int(row["id"]))
    return json({})


async def statuses_index(request: Request) -> Response:
    who = await auth.require_user(request, READ)
    return json([entities.filter_status(s) for s in (await _owned(request, who)).statuses])


async def status_create(request: Request) -> Response:
    who = await auth.require_user(request, WRITE)
    ctx = ctx_of(request)
    bundle = await _owned(request, who)
    body = await params.body(request)
    status_id = body.id("status_id")
    if status_id is None:
        raise params.invalid("Status can't be blank")
    # Only a post the viewer may see can be filtered (no probing for ids of others' private posts).
    if not await can_see(ctx.db, who.viewer, status_id):
        raise _not_found()
    async with ctx.db.transaction() as tx:
        if await filter_store.status_count(tx, bundle.id) >= MAX_STATUSES:
            raise params.invalid(f"At most {MAX_STATUSES} statuses in a filter")
        entry_id = await filter_store.add_status(tx, bundle.id, status_id)
    row = await filter_store.get_status(ctx.db, who.account_id, entry_id)
    assert row is not None
    return json(entities.filter_status(row))


async def _owned_status(request: Request, who: auth.Auth) -> Any:
    row = await filter_store.get_status(ctx_of(request).db, who.account_id, params.path_id(request))
    if row is None:
        raise _not_found()
    return row


async def status_show(request: Request) -> Response:
    who = await auth.require_user(request, READ)
    return json(entities.filter_status(await _owned_status(request, who)))


async def status_delete(request: Request) -> Response:
    who = await auth.require_user(request, WRITE)
    row = await _owned_status(request, who)
    await filter_store.delete_status(ctx_of(request).db, int(row["id"]))
    return json({})


# --- v1: one filter per keyword ---------------------------------------------------------------

async def _v1_keyword(request: Request, who: auth.Auth) -> tuple[FilterBundle, Any]:
    row = await _owned_keyword(request, who)
    bundle = await filter_store.get(ctx_of(request).db, who.account_id, int(row["filter_id"]))
    if bundle is None:
        raise _not_found()
    return bundle, row


async def index_v1(request: Request) -> Response:
    who = await auth.require_user(request, READ)
    bundles = await filter_store.of_account(ctx_of(request).db, who.account_id)
    return json([entities.filter_v1(b, k) for b in bundles for k in b.keywords])


async def show_v1(request: Request) -> Response:
    who = await auth.require_user(request, READ)
    bundle, row = await _v1_keyword(request, who)
    return json(entities.filter_v1(bundle, row))


async def create_v1(request: Request) -> Response:
    """A v1 filter is a v2 filter titled with its phrase, holding that one keyword."""
    who = await auth.require_user(request, WRITE)
    ctx = ctx_of(request)
    body = await params.body(request)
    phrase = _keyword_text(body.raw("phrase"), "phrase")
    context = _context(body, required=True)
    assert context is not None
    action = "hide" if body.bool("irreversible", False) else "warn"
    _, expires_at = _expires_at(body)
    async with ctx.db.transaction() as tx:
        await _check_room(tx, who.account_id)
        filter_id = await filter_store.create(
            tx, who.account_id, title=phrase[:MAX_TITLE], context=context, action=action, expires_at=expires_at,
        )
        keyword_id = await filter_store.add_keyword(tx, filter_id, phrase, bool(body.bool("whole_word", True)))
    bundle = await _reloaded(request, who, filter_id)
    return json(entities.filter_v1(bundle, next(k for k in bundle.keywords if int(k["id"]) == keyword_id)))


async def update_v1(request: Request) -> Response:
    who = await auth.require_user(request, WRITE)
    ctx = ctx_of(request)
    bundle, row = await _v1_keyword(request, who)
    body = await params.body(request)
    phrase = _keyword_text(body.raw("phrase"), "phrase") if "phrase" in body else None
    irreversible = body.bool("irreversible")
    async with ctx.db.transaction() as tx:
        await filter_store.update(
            tx, bundle.id, context=_context(body, required=False), expires_at=_expiry_change(body),
            action=None if irreversible is None else ("hide" if irreversible else "warn"),
        )
        await filter_store.update_keyword(tx, int(row["id"]), keyword=phrase, whole_word=body.bool("whole_word"))
    bundle, row = await _v1_keyword(request, who)
    return json(entities.filter_v1(bundle, row))


async def delete_v1(request: Request) -> Response:
    """Removes the keyword, and its filter when nothing else is left in it."""
    who = await auth.require_user(request, WRITE)
    ctx = ctx_of(request)
    bundle, row = await _v1_keyword(request, who)
    async with ctx.db.transaction() as tx:
        if len(bundle.keywords) <= 1 and not bundle.statuses:
            await filter_store.delete(tx, bundle.id)
        else:
            await filter_store.delete_keyword(tx, int(row["id"]))
    return json({})


routes = [
    route("/api/v1/filters", {"GET": index_v1, "POST": create_v1}),
    route("/api/v1/filters/{id}", {"GET": show_v1, "PUT": update_v1, "DELETE": delete_v1}),
    route("/api/v2/filters", {"GET": index_v2, "POST": create_v2}),
    route("/api/v2/filters/keywords/{id}", {"GET": keyword_show, "PUT": keyword_update, "DELETE": keyword_delete}),
    route("/api/v2/filters/statuses/{id}", {"GET": status_show, "DELETE": status_delete}),
    route("/api/v2/filters/{id}", {"GET": show_v2, "PUT": update_v2, "DELETE": delete_v2}),
    route("/api/v2/filters/{id}/keywords", {"GET": keywords_index, "POST": keyword_create}),
    route("/api/v2/filters/{id}/statuses", {"GET": statuses_index, "POST": status_create}),
]
