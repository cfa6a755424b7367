"""Who may see a status, home-feed fan-out on write, and the timeline queries.

The visibility rule lives here once, as SQL, and every surface (client API, HTML, ActivityPub
collections, streaming) asks it:

- `public`, `unlisted`: anyone.
- `company`: local employees (and, over federation, signed requests from company instances).
- `local`: local employees only; never federated.
- `followers`: the author, accepted followers, and mentioned accounts.
- `direct`: the author and mentioned accounts.

Home feeds are materialised (fan-out on write): reading one is a range scan of the primary key of
`home_feed`; bench/README.md has the measurements behind that choice. Followers' rows are written
after the post's commit, in batches (storage.fanout); the addressees' rows with the post.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .db import Executor, Row
from .pagination import Page

HOME_FEED_BACKFILL = 200   # statuses of a newly followed account copied into the follower's feed


@dataclass(frozen=True)
class Viewer:
    """Who is looking: an account id (or None for anonymous) and whether it is one of ours."""

    account_id: int | None = None
    local: bool = False
    company_peer: bool = False   # a signed request from an allowlisted company instance

    @classmethod
    def anonymous(cls) -> Viewer:
        return cls()


def visible_sql(viewer: Viewer, alias: str = "s") -> tuple[str, list[Any]]:
    """An SQL condition on `alias` (a statuses row) true when `viewer` may see it."""
    s = alias
    if viewer.account_id is None:
        audiences = ["'public'", "'unlisted'"]
        if viewer.company_peer:
            audiences.append("'company'")
        return f"{s}.visibility IN ({', '.join(audiences)})", []
    conditions = [f"{s}.visibility IN ('public', 'unlisted')", f"{s}.account_id = ?"]
    params: list[Any] = [viewer.account_id]
    if viewer.local:
        conditions.append(f"{s}.visibility IN ('company', 'local')")
    elif viewer.company_peer:
        conditions.append(f"{s}.visibility = 'company'")
    conditions.append(
        f"({s}.visibility = 'followers' AND EXISTS (SELECT 1 FROM follows f WHERE f.account_id = ?"
        f" AND f.target_account_id = {s}.account_id AND f.state = 'accepted'))"
    )
    params.append(viewer.account_id)
    conditions.append(
        f"({s}.visibility IN ('followers', 'direct') AND EXISTS (SELECT 1 FROM mentions m"
        f" WHERE m.status_id = {s}.id AND m.account_id = ?))"
    )
    params.append(viewer.account_id)
    return "(" + " OR ".join(conditions) + ")", params


async def can_see(db: Executor, viewer: Viewer, status_id: int) -> bool:
    condition, params = visible_sql(viewer)
    row = await db.fetchone(f"SELECT 1 FROM statuses s WHERE s.id = ? AND {condition}", (status_id, *params))
    return row is not None


async def fan_out_to_addressees(
    tx: Executor, *, status_id: int, author_id: int, visibility: str, mention_ids: list[int]
) -> None:
    """In the post's transaction: the status enters its local author's feed and, when limited
    (followers-only or direct), the feeds of the local accounts it mentions.

    Followers get it after the commit, in batches (storage.fanout); a direct post goes to no one else.
    One statement: these are at most a few dozen rows.
    """
    select, params = addressees_select(status_id=status_id, author_id=author_id, visibility=visibility,
                                       mention_ids=mention_ids)
    await tx.execute(f"INSERT INTO home_feed (account_id, status_id, author_id) {select} ON CONFLICT DO NOTHING", params)


def addressees_select(
    *, status_id: int, author_id: int, visibility: str, mention_ids: list[int]
) -> tuple[str, tuple[Any, ...]]:
    """The SELECT of `fan_out_to_addressees`'s rows (account_id, status_id, author_id), for callers
    that insert it together with other feed rows in one statement (storage.statuses.create)."""
    addressees = [author_id]
    if visibility in ("followers", "direct"):
        addressees += [m for m in dict.fromkeys(mention_ids) if m != author_id]
    marks = ",".join("?" * len(addressees))
    return (
        f"SELECT id, CAST(? AS BIGINT), CAST(? AS BIGINT) FROM accounts WHERE id IN ({marks}) AND domain IS NULL",
        (status_id, author_id, *addressees),
    )


async def backfill_home(tx: Executor, reader_id: int, author_id: int) -> None:
    """After a follow is accepted: the author's recent posts the reader may see enter their feed."""
    condition, params = visible_sql(Viewer(reader_id, local=True))
    await tx.execute(
        "INSERT INTO home_feed (account_id, status_id, author_id)"
        f" SELECT ?, s.id, s.account_id FROM statuses s WHERE s.account_id = ? AND {condition}"
        " AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id)"
        " ORDER BY s.id DESC LIMIT ? ON CONFLICT DO NOTHING",
        (reader_id, author_id, *params, HOME_FEED_BACKFILL),
    )


async def remove_author_from_home(tx: Executor, reader_id: int, author_id: int) -> None:
    """After an unfollow, block or mute: the author's posts leave the reader's feed."""
    await tx.execute("DELETE FROM home_feed WHERE account_id = ? AND author_id = ?", (reader_id, author_id))


def _paged(base_where: str, page: Page, column: str) -> tuple[str, list[Any], str]:
    cursor, params, direction = page.clause(column)
    where = base_where + (f" AND {cursor}" if cursor else "")
    return where, params, direction


async def home(db: Executor, account_id: int, page: Page) -> list[int]:
    """Status ids of an account's home timeline, newest first."""
    where, params, direction = _paged("account_id = ?", page, "status_id")
    rows = await db.fetchall(
        f"SELECT status_id FROM home_feed WHERE {where} ORDER BY status_id {direction} LIMIT ?",
        (account_id, *params, page.limit),
    )
    return [int(r["status_id"]) for r in page.finish(rows)]


async def public(
    db: Executor, viewer: Viewer, page: Page, *, scope: str = "all", only_media: bool = False
) -> list[int]:
    """The public timelines: scope `local` (this instance), `remote`, `all`; or `company`
    (every company instance: public and company-audience posts)."""
    if scope == "company":
        base = "s.visibility IN ('public', 'company') AND s.reblog_of_id IS NULL"
    else:
        base = "s.visibility = 'public' AND s.reblog_of_id IS NULL"
    if scope == "local":
        base += " AND s.local = 1"
    elif scope == "remote":
        base += " AND s.local = 0"
    condition, vparams = visible_sql(viewer)
    if only_media:
        base += " AND EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id)"
    where, params, direction = _paged(f"{base} AND {condition}", page, "s.id")
    rows = await db.fetchall(
        f"SELECT s.id FROM statuses s JOIN accounts a ON a.id = s.account_id WHERE {where}"
        f" AND a.suspended_at IS NULL ORDER BY s.id {direction} LIMIT ?",
        (*vparams, *params, page.limit),
    )
    return [int(r["id"]) for r in page.finish(rows)]


async def tag(db: Executor, viewer: Viewer, name: str, page: Page, *, local_only: bool = False) -> list[int]:
    condition, vparams = visible_sql(viewer)
    base = (
        "st.tag_id = (SELECT id FROM tags WHERE name = ?) AND s.visibility IN ('public', 'company', 'local')"
        f" AND {condition}"
    )
    if local_only:
        base += " AND s.local = 1"
    where, params, direction = _paged(base, page, "st.status_id")
    rows = await db.fetchall(
        f"SELECT st.status_id AS id FROM status_tags st JOIN statuses s ON s.id = st.status_id WHERE {where}"
        f" ORDER BY st.status_id {direction} LIMIT ?",
        (name, *vparams, *params, page.limit),
    )
    return [int(r["id"]) for r in page.finish(rows)]


async def account_statuses(
    db: Executor,
    viewer: Viewer,
    account_id: int,
    page: Page,
    *,
    exclude_replies: bool = False,
    exclude_reblogs: bool = False,
    only_media: bool = False,
    tagged: str | None = None,
) -> list[int]:
    condition, vparams = visible_sql(viewer)
    base = f"s.account_id = ? AND {condition}"
    extra: list[Any] = []
    if exclude_replies:
        base += " AND (s.in_reply_to_id IS NULL AND s.in_reply_to_uri IS NULL OR s.in_reply_to_account_id = s.account_id)"
    if exclude_reblogs:
        base += " AND s.reblog_of_id IS NULL"
    if only_media:
        base += " AND EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id)"
    if tagged:
        base += (
            " AND EXISTS (SELECT 1 FROM status_tags st JOIN tags t ON t.id = st.tag_id"
            " WHERE st.status_id = s.id AND t.name = ?)"
        )
        extra.append(tagged)
    where, params, direction = _paged(base, page, "s.id")
    rows = await db.fetchall(
        f"SELECT s.id FROM statuses s WHERE {where} ORDER BY s.id {direction} LIMIT ?",
        (account_id, *vparams, *extra, *params, page.limit),
    )
    return [int(r["id"]) for r in page.finish(rows)]


async def context(db: Executor, viewer: Viewer, status: Row) -> tuple[list[int], list[int]]:
    """(ancestors oldest first, descendants in thread order) of a status, visible to the viewer."""
    ancestors: list[int] = []
    parent_id = status["in_reply_to_id"]
    seen = {int(status["id"])}
    while parent_id is not None and parent_id not in seen and len(ancestors) < 100:
        seen.add(parent_id)
        row = await db.fetchone("SELECT id, in_reply_to_id FROM statuses WHERE id = ?", (parent_id,))
        if row is None:
            break
        ancestors.append(int(row["id"]))
        parent_id = row["in_reply_to_id"]
    ancestors.reverse()
    root = status["thread_root_id"] or status["id"]
    condition, vparams = visible_sql(viewer)
    rows = await db.fetchall(
        f"SELECT s.id, s.in_reply_to_id FROM statuses s WHERE s.thread_root_id = ? AND {condition}"
        " ORDER BY s.id LIMIT 1000",
        (root, *vparams),
    )
    children: dict[int, list[int]] = {}
    for row in rows:
        children.setdefault(int(row["in_reply_to_id"] or 0), []).append(int(row["id"]))
    descendants: list[int] = []
    stack = list(reversed(children.get(int(status["id"]), [])))
    while stack:
        current = stack.pop()
        descendants.append(current)
        stack.extend(reversed(children.get(current, [])))
    allowed = set(ancestors)
    if ancestors:
        marks = ",".join("?" * len(ancestors))
        visible = await db.fetchall(
            f"SELECT s.id FROM statuses s WHERE s.id IN ({marks}) AND {condition}", (*ancestors, *vparams)
        )
        allowed = {int(r["id"]) for r in visible}
    return [a for a in ancestors if a in allowed], descendants


async def filter_visible(db: Executor, viewer: Viewer, status_ids: list[int]) -> list[int]:
    if not status_ids:
        return []
    condition, vparams = visible_sql(viewer)
    marks = ",".join("?" * len(status_ids))
    rows = await db.fetchall(
        f"SELECT s.id FROM statuses s WHERE s.id IN ({marks}) AND {condition}", (*status_ids, *vparams)
    )
    visible = {int(r["id"]) for r in rows}
    return [i for i in status_ids if i in visible]
