"""The people directory: everyone at the company, filtered by department or a search, and the
org chart around a person (their manager and direct reports)."""

from __future__ import annotations

from starlette.responses import Response

from storage import accounts as account_store
from storage import listings
from webui.render import account_view

from .base import Web, page

PAGE = 48


@page("/directory")
async def directory(web: Web) -> Response:
    department = web.field("department", limit=100).strip()
    query = web.field("q", limit=100).strip()
    raw_page = web.field("page", "1", limit=6)
    number = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 10_000 else 1
    if query:
        rows = await account_store.search(web.ctx.db, query, limit=PAGE)
        rows = [r for r in rows if not department or (r["department"] or "").lower() == department.lower()]
        more = False
    else:
        rows = await account_store.directory(web.ctx.db, local_only=False, limit=PAGE + 1, offset=(number - 1) * PAGE,
                                             order="new", department=department or None)
        more = len(rows) > PAGE
        rows = rows[:PAGE]
    departments = await listings.departments(web.ctx.db)
    rc = web.rc
    return await web.render("directory.html", people=[account_view(r, rc) for r in rows], department=department,
                            query=query, departments=departments, page_number=number, more=more)


routes = [directory]
