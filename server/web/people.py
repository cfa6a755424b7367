"""People to show a newcomer: their manager, their team and their direct reports, not yet followed."""

from __future__ import annotations

from dataclasses import dataclass

from storage import accounts as account_store
from storage import follows
from storage.db import Row
from webui.render import AccountView, RenderContext, account_view

from ..context import Context


@dataclass
class Suggestion:
    account: AccountView
    reason: str          # manager, team, report
    requested: bool = False


async def suggestions(ctx: Context, me: Row, rc: RenderContext, limit: int = 12) -> list[Suggestion]:
    """Colleagues `me` does not follow yet, closest first: manager, direct reports, same department."""
    found: list[tuple[Row, str]] = []
    if me["manager_id"]:
        manager = await account_store.get(ctx.db, int(me["manager_id"]))
        if manager is not None and manager["suspended_at"] is None:
            found.append((manager, "manager"))
    found += [(r, "report") for r in await account_store.reports_to(ctx.db, int(me["id"]))]
    if me["department"]:
        team = await account_store.directory(ctx.db, local_only=False, limit=limit * 2, offset=0,
                                             department=me["department"])
        found += [(r, "team") for r in team]
    if len(found) < limit:
        found += [(r, "colleague") for r in await account_store.directory(ctx.db, local_only=True, limit=limit * 2,
                                                                          offset=0, order="active")]
    seen: set[int] = {int(me["id"])}
    unique = []
    for row, reason in found:
        if int(row["id"]) in seen or row["actor_type"] == "Application":
            continue
        seen.add(int(row["id"]))
        unique.append((row, reason))
    relations = await follows.relationships(ctx.db, int(me["id"]), [int(r["id"]) for r, _ in unique])
    result = []
    for row, reason in unique:
        rel = relations.get(int(row["id"]), {})
        if rel.get("following") or rel.get("blocking") or rel.get("blocked_by"):
            continue
        result.append(Suggestion(account_view(row, rc), reason, bool(rel.get("requested"))))
    return result[:limit]
