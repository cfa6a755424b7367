"""Timelines: home (followed people), local (this instance), company (every company instance), hashtags.

Each page shows up to PAGE posts, newest first, and a "Load more" link whose cursor is the id of
the last item shown (`max_id`): the next page starts strictly below it, so nothing is skipped or
shown twice while new posts arrive. `min_id` gives the posts just above an id, for the script's
"new posts" button.
"""

from __future__ import annotations

import unicodedata

from starlette.responses import Response

from storage import adoption, hydrate, timelines
from storage.pagination import Page
from webui.render import status_views

from ..errors import HTTPError
from .base import Web, page
from .people import suggestions
from .statuses import compose_options

PAGE = 20


def _page(web: Web) -> Page:
    limit = web.request.query_params.get("limit", "")
    size = min(int(limit), 40) if limit.isdigit() and int(limit) > 0 else PAGE
    return web.page_args(limit=size)


async def _show(web: Web, ids: list[int], *, kind: str, title: str, page_size: int, **extra: object) -> Response:
    bundles = await hydrate.load_statuses(web.ctx.db, ids, web.me.id if web.me else None)
    views = status_views(bundles, web.rc)
    more = f"?max_id={ids[-1]}" if len(ids) >= page_size else None
    if web.me is not None and web.request.query_params.get("max_id") is None:
        await adoption.record_read(web.ctx.db, web.me.id)   # once a day per process, not per page
    return await web.render("timeline.html", kind=kind, title=title, statuses=views, more=more,
                            stream=extra.pop("stream", None), **extra)


@page("/")
async def home(web: Web) -> Response:
    page_args = _page(web)
    ids = await timelines.home(web.ctx.db, web.user.id, page_args)
    people = []
    if not ids and page_args.max_id is None:
        people = await suggestions(web.ctx, web.user.account, web.rc)
    return await _show(web, ids, kind="home", title=web._("Home"), page_size=page_args.limit,
                       suggestions=people, stream="user", **compose_options())


@page("/local")
async def local(web: Web) -> Response:
    page_args = _page(web)
    ids = await timelines.public(web.ctx.db, web.viewer, page_args, scope="local")
    return await _show(web, ids, kind="local", title=web._("This instance"), page_size=page_args.limit,
                       stream="public:local")


@page("/company")
async def company(web: Web) -> Response:
    page_args = _page(web)
    ids = await timelines.public(web.ctx.db, web.viewer, page_args, scope="company")
    return await _show(web, ids, kind="company", title=web._("Company"), page_size=page_args.limit, stream="public")


def normalise_tag(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold().lstrip("#")


@page("/tags/{name}")
async def tag(web: Web) -> Response:
    name = normalise_tag(web.request.path_params["name"])
    if not name or len(name) > 100:
        raise HTTPError(404, web._("No such hashtag"))
    page_args = _page(web)
    ids = await timelines.tag(web.ctx.db, web.viewer, name, page_args)
    return await _show(web, ids, kind="tag", title="#" + name, page_size=page_args.limit, tag=name,
                       stream=f"hashtag:{name}")


@page("/menu")
async def menu(web: Web) -> Response:
    """Everything the phone's bottom bar has no room for."""
    return await web.render("menu.html")


routes = [home, local, company, tag, menu]
