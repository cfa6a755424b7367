"""A post and its thread; writing (compose, reply, content warning, audience, poll); and the
actions on a post (like, boost, bookmark, delete, vote), each a plain form POST answered with a
redirect, or JSON when the script sends it."""

from __future__ import annotations

from starlette.responses import Response

from storage import adoption, hydrate, interactions, timelines
from storage import statuses as status_store
from webui.render import StatusView, status_path, status_views

from ..errors import HTTPError
from ..services import statuses as status_service
from ..services.statuses import PollInput, PostInput, ServiceError
from . import media_form
from .base import Web, page
from .profiles import find_account

VISIBILITIES = ("public", "unlisted", "company", "local", "followers", "direct")
POLL_DURATIONS = (300, 1800, 3600, 21600, 86400, 259200, 604800)
POLL_OPTIONS = 4


def _status_id(web: Web) -> int:
    raw = str(web.request.path_params["status_id"])
    if not raw.isdigit() or len(raw) > 19:
        raise HTTPError(404, web._("This post does not exist or you cannot see it."))
    return int(raw)


@page("/@{handle}/{status_id}", auth="open-mode")
async def show(web: Web) -> Response:
    status_id = _status_id(web)
    author = await find_account(web, web.request.path_params["handle"], resolve=False)
    row = await status_store.get(web.ctx.db, status_id)
    missing = web._("This post does not exist or you cannot see it.")
    if author is None or row is None or row["account_id"] != author["id"]:
        raise HTTPError(404, missing)
    if not await timelines.can_see(web.ctx.db, web.viewer, status_id):
        if web.me is None:
            return web.redirect(f"/auth/sign_in?next={web.request.url.path}")
        raise HTTPError(404, missing)
    if row["reblog_of_id"] is not None:
        original = await hydrate.load_status(web.ctx.db, int(row["reblog_of_id"]))
        if original is None:
            raise HTTPError(404, missing)
        return web.redirect(status_path(original.account, original.id))
    ancestors, descendants = await timelines.context(web.ctx.db, web.viewer, row)
    viewer_id = web.me.id if web.me else None
    bundles = await hydrate.load_statuses(web.ctx.db, [*ancestors, status_id, *descendants], viewer_id)
    views = status_views(bundles, web.rc)
    focus = next(v for v in views if v.id == status_id)
    before = [v for v in views if v.id in set(ancestors)]
    after = [v for v in views if v.id in set(descendants)]
    if web.me is not None:
        await adoption.record_read(web.ctx.db, web.me.id)   # once a day per process, not per page
    return await web.render("status.html", focus=focus, ancestors=before, descendants=after,
                            reply=_reply_defaults(focus, web), **compose_options())


def _reply_defaults(focus: StatusView, web: Web) -> dict[str, object]:
    """A reply starts with the author's handle and keeps the post's audience and content warning."""
    if web.me is None:
        return {}
    text = "" if focus.author.id == web.me.id else focus.author.acct + " "
    return {"in_reply_to_id": focus.id, "text": text, "spoiler_text": focus.spoiler, "visibility": focus.visibility}


def compose_options() -> dict[str, object]:
    return {"visibilities": VISIBILITIES, "poll_durations": POLL_DURATIONS, "poll_slots": range(POLL_OPTIONS),
            "media_enabled": media_form.available()}


@page("/compose")
async def compose_page(web: Web) -> Response:
    values: dict[str, object] = {"visibility": "public", "text": "", "spoiler_text": ""}
    reply_to = web.request.query_params.get("in_reply_to", "")
    if reply_to.isdigit() and len(reply_to) <= 19:
        bundles = await hydrate.load_statuses(web.ctx.db, await timelines.filter_visible(
            web.ctx.db, web.viewer, [int(reply_to)]), web.user.id)
        if bundles:
            focus = status_views(bundles, web.rc)[0]
            values = _reply_defaults(focus, web)
            values["reply_to"] = focus
    return await web.render("compose.html", values=values, error=None, **compose_options())


def _poll_from_form(web: Web) -> PollInput | None:
    assert web.form is not None
    options = [o.strip()[:200] for o in web.form.getlist("poll_option") if isinstance(o, str) and o.strip()]
    if not options:
        return None
    duration = web.field("poll_expires_in", "86400")
    return PollInput(options=options, expires_in=int(duration) if duration.isdigit() else 86400,
                     multiple=web.field("poll_multiple") == "on")


@page("/statuses", methods=("POST",))
async def create(web: Web) -> Response:
    reply_raw = web.field("in_reply_to_id")
    visibility = web.field("visibility", "public")
    values = {"text": web.field("text", limit=20_000), "spoiler_text": web.field("spoiler_text", limit=1000),
              "visibility": visibility if visibility in VISIBILITIES else "public",
              "in_reply_to_id": int(reply_raw) if reply_raw.isdigit() and len(reply_raw) <= 19 else None}
    try:
        media_ids = await media_form.save_uploads(web)
        post = PostInput(
            text=str(values["text"]), visibility=str(values["visibility"]), spoiler_text=str(values["spoiler_text"]),
            in_reply_to_id=values["in_reply_to_id"], poll=_poll_from_form(web), media_ids=media_ids,  # type: ignore[arg-type]
            language=web.locale, idempotency_key=web.field("idempotency_key", limit=100) or None,
        )
        status_id = await status_service.create_status(web.ctx, web.user.account, post)
    except ServiceError as exc:
        if web.wants_json:
            return web.json({"error": web._(exc.message)}, status=exc.status)
        return await web.render("compose.html", status=exc.status if exc.status in (404, 409, 422) else 422,
                                values=values, error=web._(exc.message), **compose_options())
    path = status_path(web.user.account, status_id)
    return web.done({"id": str(status_id), "path": path}, fallback=path if values["in_reply_to_id"] else "/",
                    message=web._("Your post is published."))


async def _counts(web: Web, status_id: int) -> dict[str, object]:
    bundle = await hydrate.load_status(web.ctx.db, status_id, web.user.id)
    if bundle is None:
        return {}
    return {"favourited": bundle.favourited, "reblogged": bundle.reblogged, "bookmarked": bundle.bookmarked,
            "favourites_count": int(bundle.status["favourites_count"]),
            "reblogs_count": int(bundle.status["reblogs_count"])}


@page("/statuses/{status_id}/{action}", methods=("POST",))
async def act(web: Web) -> Response:
    status_id = _status_id(web)
    action = web.request.path_params["action"]
    me = web.user.account
    ctx = web.ctx
    if action == "favourite":
        await status_service.favourite(ctx, me, status_id)
    elif action == "unfavourite":
        await status_service.unfavourite(ctx, me, status_id)
    elif action == "reblog":
        await status_service.reblog(ctx, me, status_id)
    elif action == "unreblog":
        await status_service.unreblog(ctx, me, status_id)
    elif action in ("bookmark", "unbookmark"):
        await status_service.get_visible(ctx, web.viewer, status_id)
        await (interactions.bookmark if action == "bookmark" else interactions.unbookmark)(ctx.db, web.user.id, status_id)
    elif action == "delete":
        await status_service.delete_status(ctx, me, status_id)
        if web.wants_json:
            return web.json({"ok": True, "deleted": True})
        web.flash(web._("Your post was deleted."))
        return web.redirect("/")
    else:
        raise HTTPError(404, web._("This action does not exist."))
    return web.done(await _counts(web, status_id), anchor=f"#s-{status_id}")


@page("/polls/{poll_id}/votes", methods=("POST",))
async def vote(web: Web) -> Response:
    raw = str(web.request.path_params["poll_id"])
    if not raw.isdigit() or len(raw) > 19:
        raise HTTPError(404, web._("This post does not exist or you cannot see it."))
    assert web.form is not None
    choices = [int(c) for c in web.form.getlist("choice") if isinstance(c, str) and c.isdigit() and len(c) < 4]
    await status_service.vote(web.ctx, web.user.account, int(raw), choices)
    return web.done({"voted": True}, message=web._("Your vote was counted."))


@page("/@{handle}/{status_id}/edit")
async def edit_page(web: Web) -> Response:
    status_id = _status_id(web)
    row = await status_store.get(web.ctx.db, status_id)
    if row is None or row["account_id"] != web.user.id or row["reblog_of_id"] is not None:
        raise HTTPError(404, web._("This post does not exist or you cannot see it."))
    values = {"text": row["source_text"] or "", "spoiler_text": row["spoiler_text"] or "", "edit_id": status_id}
    return await web.render("compose.html", values=values, error=None, editing=True, **compose_options())


@page("/statuses/{status_id}/edit", methods=("POST",))
async def edit(web: Web) -> Response:
    status_id = _status_id(web)
    values = {"text": web.field("text", limit=20_000), "spoiler_text": web.field("spoiler_text", limit=1000),
              "edit_id": status_id}
    try:
        await status_service.edit_status(web.ctx, web.user.account, status_id,
                                         PostInput(text=str(values["text"]), spoiler_text=str(values["spoiler_text"])))
    except ServiceError as exc:
        if web.wants_json or exc.status == 404:
            raise
        return await web.render("compose.html", status=422, values=values, error=web._(exc.message), editing=True,
                                **compose_options())
    path = status_path(web.user.account, status_id)
    return web.done({"id": str(status_id), "path": path}, fallback=path, message=web._("Your post was updated."))


routes = [compose_page, create, edit_page, edit, act, vote, show]
