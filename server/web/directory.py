"""The people directory: everyone at the company, filtered by department or a search, and the
org chart around a person (their manager and direct reports)."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.responses import Response

from storage import accounts as account_store
from storage import listings
from storage.db import Row
from webui.render import AccountView, RenderContext, account_view

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
        rows = await listings.people(web.ctx.db, department=department or None, limit=PAGE + 1,
                                     offset=(number - 1) * PAGE)
        more = len(rows) > PAGE
        rows = rows[:PAGE]
    departments = await listings.departments(web.ctx.db)
    rc = web.rc
    chart = org_chart(rows, rc) if department and not query and number == 1 and not more else []
    return await web.render("directory.html", people=[account_view(r, rc) for r in rows], department=department,
                            query=query, departments=departments, page_number=number, more=more, chart=chart)


@dataclass
class OrgNode:
    person: AccountView
    reports: list[OrgNode] = field(default_factory=list)


def org_chart(rows: list[Row], rc: RenderContext) -> list[OrgNode]:
    """The department as a tree: each person under their manager when the manager is in it too.

    Everyone appears exactly once: people caught in a management loop (bad data: A manages B
    manages A) are shown at the top level without reports, so the tree stays finite."""
    nodes = {int(r["id"]): OrgNode(account_view(r, rc)) for r in rows}
    children: dict[int, list[int]] = {}
    roots = []
    for row in rows:
        manager_id = int(row["manager_id"]) if row["manager_id"] else None
        if manager_id in nodes and manager_id != int(row["id"]):
            children.setdefault(manager_id, []).append(int(row["id"]))
        else:
            roots.append(int(row["id"]))
    placed: set[int] = set()
    stack = list(reversed(roots))
    while stack:
        current = stack.pop()
        placed.add(current)
        for child in children.get(current, []):
            if child not in placed:
                nodes[current].reports.append(nodes[child])
                stack.append(child)
    stray = [i for i in nodes if i not in placed]
    return [nodes[i] for i in roots] + [OrgNode(nodes[i].person) for i in stray]


routes = [directory]
