"""/api/v1/accounts: credentials, profiles, their posts and follows, and following, blocking, muting."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from storage import account_notes, follows, interactions, lists, preferences, social_graph, timelines
from storage import accounts as account_store
from storage.db import Row
from storage.ids import now_ms

from ..errors import HTTPError
from ..mastodon import misc
from ..mastodon.common import VISIBILITY_IN
from ..services import followers as follower_service
from ..services import follows as follow_service
from ..services import media as media_service
from ..services import profile as profile_service
from . import auth, params
from .lookup import find_account
from .present import Presenter
from .responses import ctx_of, json, paginated
from .routing import route
from .shown import statuses_shown

MAX_MUTE_SECONDS = 365 * 86400


async def _target(request: Request) -> Row:
    return await follow_service.get_account_or_404(ctx_of(request), params.path_id(request))


async def verify_credentials(request: Request) -> Response:
    who = await auth.require_user(request, "read:accounts", "profile")
    assert who.account is not None
    return json(await Presenter(ctx_of(request), who.account_id).credential_account(who.account, who.role))


def _fields(body: params.Params) -> list[tuple[str, str]] | None:
    raw = body.raw("fields_attributes")
    if raw is None:
        return None
    items = body.list("fields_attributes")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise params.invalid("fields_attributes must be a list of {name, value}")
        name, value = item.get("name", ""), item.get("value", "")
        if not isinstance(name, str) or not isinstance(value, str):
            raise params.invalid("fields_attributes must be a list of {name, value}")
        out.append((name, value))
    return out


async def update_credentials(request: Request) -> Response:
    who = await auth.require_user(request, "write:accounts")
    ctx = ctx_of(request)
    assert who.account is not None
    body = await params.body(request)
    changes = profile_service.ProfileChanges(
        display_name=body.str("display_name", max_length=1000), note=body.str("note", max_length=5000),
        locked=body.bool("locked"), bot=body.bool("bot"), discoverable=body.bool("discoverable"),
        fields=_fields(body),
    )
    for name, kind in (("avatar", "avatars"), ("header", "headers")):
        upload = body.file(name)
        if upload is not None:
            data = await upload.read()
            await upload.close()
            path = await media_service.store_profile_image(ctx, who.account_id, data, kind)
            setattr(changes, f"{kind[:-1]}_path", path)
    account = await profile_service.update_profile(ctx, who.account, changes)
    source = body.sub("source")
    prefs: dict[str, object] = {}
    privacy = source.str("privacy", max_length=20)
    if privacy is not None:
        if privacy not in VISIBILITY_IN:
            raise params.invalid("source[privacy] must be public, unlisted, private, direct, company or local")
        prefs["posting:default:visibility"] = VISIBILITY_IN[privacy]
    sensitive = source.bool("sensitive")
    if sensitive is not None:
        prefs["posting:default:sensitive"] = sensitive
    if "language" in source:
        prefs["posting:default:language"] = (source.str("language", max_length=10) or None)
    if prefs:
        await preferences.set_many(ctx.db, who.account_id, prefs)
    return json(await Presenter(ctx, who.account_id).credential_account(account, who.role))


async def lookup(request: Request) -> Response:
    who = await auth.optional_user(request, "read:accounts")
    query = params.query(request)
    account = await find_account(ctx_of(request), query.str("acct", "", max_length=400) or "", resolve=who is not None)
    if account is None:
        raise HTTPError(404, "Record not found")
    return json(Presenter(ctx_of(request), auth.viewer_id_of(who)).account(account))


async def show(request: Request) -> Response:
    who = await auth.optional_user(request, "read:accounts")
    account = await _target(request)
    return json((await Presenter(ctx_of(request), auth.viewer_id_of(who)).account_rows([account]))[0])


async def show_many(request: Request) -> Response:
    who = await auth.optional_user(request, "read:accounts")
    ids = params.query(request).ids("id")[:40]
    return json(await Presenter(ctx_of(request), auth.viewer_id_of(who)).accounts(ids))


async def statuses(request: Request) -> Response:
    who = await auth.optional_user(request, "read:statuses")
    ctx = ctx_of(request)
    account = await _target(request)
    query = params.query(request)
    page = params.page(query)
    viewer = auth.viewer_of(who)
    if query.bool("pinned"):
        pinned = await interactions.pinned_ids(ctx.db, int(account["id"]))
        ids = (await timelines.filter_visible(ctx.db, viewer, pinned))[: page.limit] if page.max_id is None else []
        return json(await statuses_shown(ctx, who, "account", ids))
    ids = await timelines.account_statuses(
        ctx.db, viewer, int(account["id"]), page, exclude_replies=bool(query.bool("exclude_replies")),
        exclude_reblogs=bool(query.bool("exclude_reblogs")), only_media=bool(query.bool("only_media")),
        tagged=(query.str("tagged", max_length=200) or "").lstrip("#").lower() or None,
    )
    return paginated(request, await statuses_shown(ctx, who, "account", ids), ids)


async def _follow_list(request: Request, kind: str) -> Response:
    who = await auth.optional_user(request, "read:accounts")
    ctx = ctx_of(request)
    account = await _target(request)
    page = params.page(params.query(request), max_limit=80, default=40)
    fetch = follows.followers if kind == "followers" else follows.following
    rows = await fetch(ctx.db, int(account["id"]), page)
    accounts = await Presenter(ctx, auth.viewer_id_of(who)).accounts([int(r["account_id"]) for r in rows])
    return paginated(request, accounts, [int(r["follow_id"]) for r in rows], full=len(rows) == page.limit)


async def followers(request: Request) -> Response:
    return await _follow_list(request, "followers")


async def following(request: Request) -> Response:
    return await _follow_list(request, "following")


async def relationships(request: Request) -> Response:
    who = await auth.require_user(request, "read:follows")
    ids = params.query(request).ids("id")[:100]
    return json(await Presenter(ctx_of(request), who.account_id).relationships(ids))


async def familiar_followers(request: Request) -> Response:
    who = await auth.require_user(request, "read:follows")
    ctx = ctx_of(request)
    ids = list(dict.fromkeys(params.query(request).ids("id")[:40]))
    known = await social_graph.familiar_followers(ctx.db, who.account_id, ids)
    presenter = Presenter(ctx, who.account_id)
    return json([misc.familiar_followers(t, await presenter.accounts(known[t])) for t in ids])


async def search(request: Request) -> Response:
    who = await auth.require_user(request, "read:accounts")
    ctx = ctx_of(request)
    query = params.query(request)
    text = (query.str("q", "", max_length=500) or "").strip()
    limit = query.int("limit", 40, low=1, high=80) or 40
    offset = query.int("offset", 0, low=0) or 0
    if not text or offset > 0:
        return json([])
    rows: list[Row] = []
    exact = await find_account(ctx, text, resolve=bool(query.bool("resolve")))
    if exact is not None:
        rows.append(exact)
    rows += [r for r in await account_store.search(ctx.db, text.lstrip("@"), limit=limit)
             if r["actor_type"] != "Application" and (exact is None or r["id"] != exact["id"])]
    if query.bool("following"):
        flags = await follows.relationships(ctx.db, who.account_id, [int(r["id"]) for r in rows])
        rows = [r for r in rows if flags[int(r["id"])]["following"]]
    return json(await Presenter(ctx, who.account_id).account_rows(rows[:limit]))


async def account_lists(request: Request) -> Response:
    who = await auth.require_user(request, "read:lists")
    account = await _target(request)
    rows = await lists.containing(ctx_of(request).db, who.account_id, int(account["id"]))
    return json([misc.user_list(r) for r in rows])


async def featured_tags(request: Request) -> Response:
    await auth.optional_user(request, "read:accounts")
    await _target(request)
    return json([])


async def follow(request: Request) -> Response:
    who = await auth.require_user(request, "write:follows")
    ctx = ctx_of(request)
    target = await _target(request)
    body = await params.body(request)
    assert who.account is not None
    await follow_service.follow(ctx, who.account, target, reblogs=body.bool("reblogs"), notify=body.bool("notify"))
    return json(await Presenter(ctx, who.account_id).relationship(int(target["id"])))


async def unfollow(request: Request) -> Response:
    who = await auth.require_user(request, "write:follows")
    ctx = ctx_of(request)
    target = await _target(request)
    assert who.account is not None
    await follow_service.unfollow(ctx, who.account, target)
    return json(await Presenter(ctx, who.account_id).relationship(int(target["id"])))


async def block(request: Request) -> Response:
    who = await auth.require_user(request, "write:blocks")
    ctx = ctx_of(request)
    target = await _target(request)
    assert who.account is not None
    if int(target["id"]) == who.account_id:
        raise params.invalid("You cannot block yourself")
    await follow_service.block(ctx, who.account, target)
    return json(await Presenter(ctx, who.account_id).relationship(int(target["id"])))


async def unblock(request: Request) -> Response:
    who = await auth.require_user(request, "write:blocks")
    ctx = ctx_of(request)
    target = await _target(request)
    assert who.account is not None
    await follow_service.unblock(ctx, who.account, target)
    return json(await Presenter(ctx, who.account_id).relationship(int(target["id"])))


async def mute(request: Request) -> Response:
    who = await auth.require_user(request, "write:mutes")
    ctx = ctx_of(request)
    target = await _target(request)
    if int(target["id"]) == who.account_id:
        raise params.invalid("You cannot mute yourself")
    body = await params.body(request)
    duration = body.int("duration", 0, low=0, high=MAX_MUTE_SECONDS) or 0
    async with ctx.db.transaction() as tx:
        await follows.mute(tx, who.account_id, int(target["id"]), notifications_too=body.bool("notifications", True) is True,
                           expires_at=now_ms() + duration * 1000 if duration else None)
    return json(await Presenter(ctx, who.account_id).relationship(int(target["id"])))


async def unmute(request: Request) -> Response:
    who = await auth.require_user(request, "write:mutes")
    ctx = ctx_of(request)
    target = await _target(request)
    async with ctx.db.transaction() as tx:
        await follows.unmute(tx, who.account_id, int(target["id"]))
    return json(await Presenter(ctx, who.account_id).relationship(int(target["id"])))


async def note(request: Request) -> Response:
    """A private note about an account, shown back in the Relationship (`comment` empty clears it)."""
    who = await auth.require_user(request, "write:accounts")
    ctx = ctx_of(request)
    target = await _target(request)
    body = await params.body(request)
    comment = (body.str("comment", "", max_length=account_notes.MAX_COMMENT) or "").strip()
    await account_notes.set_note(ctx.db, who.account_id, int(target["id"]), comment)
    return json(await Presenter(ctx, who.account_id).relationship(int(target["id"])))


async def remove_from_followers(request: Request) -> Response:
    who = await auth.require_user(request, "write:follows")
    ctx = ctx_of(request)
    target = await _target(request)
    assert who.account is not None
    await follower_service.remove_follower(ctx, who.account, target)
    return json(await Presenter(ctx, who.account_id).relationship(int(target["id"])))


routes = [
    route("/api/v1/accounts/verify_credentials", verify_credentials, "GET"),
    route("/api/v1/accounts/update_credentials", update_credentials, "PATCH", "PUT"),
    route("/api/v1/accounts/lookup", lookup, "GET"),
    route("/api/v1/accounts/search", search, "GET"),
    route("/api/v1/accounts/relationships", relationships, "GET"),
    route("/api/v1/accounts/familiar_followers", familiar_followers, "GET"),
    route("/api/v1/accounts", show_many, "GET"),
    route("/api/v1/accounts/{id}", show, "GET"),
    route("/api/v1/accounts/{id}/statuses", statuses, "GET"),
    route("/api/v1/accounts/{id}/followers", followers, "GET"),
    route("/api/v1/accounts/{id}/following", following, "GET"),
    route("/api/v1/accounts/{id}/lists", account_lists, "GET"),
    route("/api/v1/accounts/{id}/featured_tags", featured_tags, "GET"),
    route("/api/v1/accounts/{id}/follow", follow, "POST"),
    route("/api/v1/accounts/{id}/unfollow", unfollow, "POST"),
    route("/api/v1/accounts/{id}/block", block, "POST"),
    route("/api/v1/accounts/{id}/unblock", unblock, "POST"),
    route("/api/v1/accounts/{id}/mute", mute, "POST"),
    route("/api/v1/accounts/{id}/unmute", unmute, "POST"),
    route("/api/v1/accounts/{id}/note", note, "POST"),
    route("/api/v1/accounts/{id}/remove_from_followers", remove_from_followers, "POST"),
]
