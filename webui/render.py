"""Turn storage rows (StatusBundle, account rows, notifications) into what templates show.

Everything shown comes through here: remote and local HTML is passed through
`activitypub.html.sanitize_html` and only then marked safe; names and content warnings are
cleaned to one plain line (and escaped by the templates); times carry an ISO stamp for the script
and a relative text in the reader's language for when it does not run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from babel.dates import TIMEDELTA_UNITS, format_datetime, format_timedelta
from markupsafe import Markup, escape

from activitypub.html import sanitize_html, sanitize_plain
from storage.db import Row, row_values
from storage.hydrate import PollBundle, StatusBundle, status_values

from . import i18n, templating

DEFAULT_AVATAR = "/static/avatar.svg"
BOOSTABLE = ("public", "unlisted", "company", "local")


@dataclass(frozen=True)
class RenderContext:
    """What rendering needs to know about the reader and the instance."""

    locale: str
    now_ms: int
    viewer_id: int | None = None
    media_prefix: str = "/media/"
    # Views of the accounts already rendered on this page: a timeline shows the same few authors often.
    accounts: dict[int, AccountView] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class AccountView:
    id: int
    handle: str            # alice (local) or bob@lyon.example (remote)
    acct: str              # @alice or @bob@lyon.example
    name: str
    avatar: str
    path: str              # this instance's page for them
    url: str               # their canonical page (the origin's for remote people)
    local: bool
    locked: bool
    bot: bool
    department: str
    title: str
    location: str
    pronouns: str
    note: Markup
    fields: list[tuple[str, Markup]]
    followers_count: int
    following_count: int
    statuses_count: int


@dataclass
class MediaView:
    url: str
    preview: str
    alt: str
    kind: str
    width: int | None
    height: int | None


@dataclass
class PollOptionView:
    index: int
    title: str
    votes: int
    percent: int
    chosen: bool


@dataclass
class PollView:
    id: int
    options: list[PollOptionView]
    multiple: bool
    expired: bool
    voted: bool
    voters: int
    closes_iso: str
    closes_text: str
    can_vote: bool


@dataclass
class StatusView:
    id: int                      # the id to act on (the original's, for a boost)
    item_id: int                 # the id in the timeline (the boost's own id): the paging cursor
    path: str
    url: str
    author: AccountView
    content: Markup
    spoiler: str
    sensitive: bool
    visibility: str
    created_iso: str
    created_title: str
    ago: str
    edited: bool
    local: bool
    in_reply_to_id: int | None
    in_reply_to: AccountView | None
    media: list[MediaView]
    poll: PollView | None
    replies_count: int
    reblogs_count: int
    favourites_count: int
    favourited: bool
    reblogged: bool
    bookmarked: bool
    mine: bool
    can_boost: bool
    boosted_by: AccountView | None = None
    tags: list[str] = field(default_factory=list)
    # The item's HTML around its relative time, up to its poll (_status.html's status_head and
    # status_body): what reads the same for every viewer, rendered once per version of the item.
    head_html: Markup | None = None
    body_html: Markup | None = None
    locale: str = i18n.DEFAULT
    # Its actions form by reader flags (shared by every page showing this version of the item).
    actions: dict[tuple[bool, ...], str] = field(default_factory=dict, repr=False)

    def actions_html(self, csrf: str, focus: bool = False) -> Markup:
        """The actions form (like, boost, bookmark…) for this reader, with their CSRF token."""
        key = (self.favourited, self.reblogged, self.bookmarked, bool(focus and self.mine))
        html = self.actions.get(key)
        if html is None:
            macros = templating.environment(self.locale).get_template("_status.html").module
            html = self.actions[key] = str(macros.status_actions(self, focus, CSRF_SLOT))
        return Markup(html.replace(CSRF_SLOT, str(escape(csrf))))  # noqa: S704 - escaped template output

    def item_html(self, csrf: str, signed_in: object) -> Markup | None:
        """The item exactly as _status.html's `status` macro renders it outside a thread's focus, from
        its rendered parts and without the macro call (a page has up to 40 items); None when it has a
        poll or no rendered parts, which the macro renders."""
        if self.poll is not None or self.head_html is None or self.body_html is None:
            return None
        actions = self.actions_html(csrf) if signed_in else ""
        return Markup(  # noqa: S704 - every part is escaped template output or escaped here
            f'<article class="status" id="s-{int(self.item_id)}">\n{self.head_html}{escape(self.ago)}{self.body_html}'
            f"{actions}</article>\n")


CSRF_SLOT = "\x00csrf\x00"   # survives escaping, never in a page: replaced by the reader's token


def handle_of(account: Row) -> str:
    return account["username"] if account["domain"] is None else f"{account['username']}@{account['domain']}"


def profile_path(account: Row) -> str:
    return "/@" + quote(handle_of(account), safe="@:.")


def status_path(account: Row, status_id: int) -> str:
    return f"{profile_path(account)}/{status_id}"


def avatar_url(account: Row, rc: RenderContext) -> str:
    if account["avatar_path"]:
        return rc.media_prefix + account["avatar_path"]
    remote = account["avatar_remote_url"]
    if remote and remote.startswith("https://"):
        return remote
    return DEFAULT_AVATAR


def _fields(raw: str | None) -> list[tuple[str, Markup]]:
    try:
        items = json.loads(raw or "[]")
    except ValueError:
        return []
    out = []
    for item in items[:10] if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("name"):
            out.append((sanitize_plain(str(item["name"]), 255), Markup(sanitize_html(str(item.get("value", ""))))))  # noqa: S704
    return out


def account_view(account: Row, rc: RenderContext) -> AccountView:
    cached = rc.accounts.get(int(account["id"]))
    if cached is None:
        cached = rc.accounts[int(account["id"])] = _account_view(account, rc)
    return cached


def _account_view(account: Row, rc: RenderContext) -> AccountView:
    handle = handle_of(account)
    return AccountView(
        id=int(account["id"]), handle=handle, acct="@" + handle,
        name=sanitize_plain(account["display_name"] or "", 100) or account["username"],
        avatar=avatar_url(account, rc), path=profile_path(account), url=account["url"] or account["uri"],
        local=account["domain"] is None, locked=bool(account["locked"]), bot=bool(account["bot"]),
        department=sanitize_plain(account["department"] or "", 100), title=sanitize_plain(account["title"] or "", 100),
        location=sanitize_plain(account["location"] or "", 100), pronouns=sanitize_plain(account["pronouns"] or "", 40),
        # Bios are sanitized here, whatever the origin: stored HTML is never trusted as is.
        note=Markup(sanitize_html(account["note"] or "")),  # noqa: S704
        fields=_fields(account["fields"]),
        followers_count=int(account["followers_count"]), following_count=int(account["following_count"]),
        statuses_count=int(account["statuses_count"]),
    )


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


_RELATIVE: dict[tuple[str, str, int, bool], str] = {}


def relative(ms: int, rc: RenderContext) -> str:
    """'3 minutes ago' / 'il y a 3 minutes' (the script keeps it fresh while the page stays open)."""
    seconds = (ms - rc.now_ms) / 1000
    if abs(seconds) < 45:
        return i18n.gettext(rc.locale, "just now")
    # Babel's text depends only on the unit it picks, the rounded count and the direction (the loop
    # below is format_timedelta's own choice at threshold 1): each text is formatted once.
    for unit, unit_seconds in TIMEDELTA_UNITS:
        if abs(seconds) / unit_seconds >= 1.0 or unit == "second":
            key = (rc.locale, unit, round(abs(seconds) / unit_seconds), seconds >= 0)
            break
    text = _RELATIVE.get(key)
    if text is None:
        if len(_RELATIVE) > 10_000:
            _RELATIVE.clear()
        text = _RELATIVE[key] = format_timedelta(timedelta(milliseconds=ms - rc.now_ms),
                                                 locale=i18n.babel_locale(rc.locale), add_direction=True,
                                                 threshold=1.0)
    return text


def absolute(ms: int, rc: RenderContext) -> str:
    return format_datetime(datetime.fromtimestamp(ms / 1000, UTC), format="medium", locale=i18n.babel_locale(rc.locale))


def _media(row: Row, rc: RenderContext) -> MediaView:
    if row["file_path"]:
        url = rc.media_prefix + row["file_path"]
        preview = rc.media_prefix + row["thumbnail_path"] if row["thumbnail_path"] else url
    else:
        url = preview = row["remote_url"] or ""
    return MediaView(url=url, preview=preview, alt=sanitize_plain(row["description"] or "", 1500), kind=row["type"],
                     width=row["width"], height=row["height"])


def _poll(bundle: PollBundle, rc: RenderContext, author_id: int) -> PollView:
    poll = bundle.poll
    options = json.loads(poll["options"])
    total = sum(bundle.counts) or 0
    expired = poll["expires_at"] is not None and int(poll["expires_at"]) <= rc.now_ms
    views = [
        PollOptionView(index=i, title=sanitize_plain(str(title), 200), votes=bundle.counts[i] if i < len(bundle.counts) else 0,
                       percent=round(100 * bundle.counts[i] / total) if total and i < len(bundle.counts) else 0,
                       chosen=i in bundle.own_votes)
        for i, title in enumerate(options)
    ]
    closes = int(poll["expires_at"]) if poll["expires_at"] is not None else rc.now_ms
    return PollView(
        id=int(poll["id"]), options=views, multiple=bool(poll["multiple"]), expired=expired,
        voted=bool(bundle.own_votes), voters=int(poll["voters_count"] or 0), closes_iso=iso(closes),
        closes_text=relative(closes, rc),
        can_vote=rc.viewer_id is not None and not expired and not bundle.own_votes and rc.viewer_id != author_id,
    )


# Views of timeline items as every reader sees them, keyed by every value of the rows they show
# (a like, an edit or a profile change makes a new entry at once); at most MAX_VIEWS, least recently
# used dropped first. The viewer's flags, the poll and the relative time are set per page. An entry
# holds its item's HTML (~3-5 KB with its actions forms): ~25 MB per worker at most.
MAX_VIEWS = 5_000
_VIEWS: dict[int, tuple[tuple[Any, ...], StatusView]] = {}


def _view_key(bundle: StatusBundle, rc: RenderContext) -> tuple[Any, ...]:
    parts: list[Any] = [rc.locale, rc.media_prefix]
    for item in (bundle, bundle.reblog) if bundle.reblog is not None else (bundle,):
        parts += [status_values(item.status), row_values(item.account), tuple(row_values(m) for m in item.media),
                  row_values(item.in_reply_to_account) if item.in_reply_to_account is not None else None,
                  tuple(item.tags)]
    return tuple(parts)


def _shared_view(bundle: StatusBundle, rc: RenderContext) -> StatusView:
    key = _view_key(bundle, rc)
    found = _VIEWS.get(bundle.id)
    if found is not None and found[0] == key:
        _VIEWS[bundle.id] = _VIEWS.pop(bundle.id)   # most recently used last
        return found[1]
    view = _base_view(bundle, rc)
    if found is None and len(_VIEWS) >= MAX_VIEWS:
        for old in list(_VIEWS)[: MAX_VIEWS // 8]:
            del _VIEWS[old]
    _VIEWS[bundle.id] = (key, view)
    return view


def _base_view(bundle: StatusBundle, rc: RenderContext) -> StatusView:
    """What every reader sees of one timeline item: a post, or a boost shown as the boosted post
    plus who boosted (no viewer flags, poll or relative time)."""
    shown = bundle.reblog or bundle
    status, author = shown.status, shown.account
    created = int(status["created_at"])
    view = StatusView(
        id=int(status["id"]), item_id=bundle.id, path=status_path(author, int(status["id"])),
        url=status["url"] or status["uri"], author=account_view(author, rc),
        content=Markup(sanitize_html(status["content"] or "")),  # noqa: S704 - sanitized just now
        spoiler=sanitize_plain(status["spoiler_text"] or "", 500), sensitive=bool(status["sensitive"]),
        visibility=status["visibility"], created_iso=iso(created), created_title=absolute(created, rc),
        ago="", edited=status["edited_at"] is not None, local=bool(status["local"]),
        in_reply_to_id=status["in_reply_to_id"],
        in_reply_to=account_view(shown.in_reply_to_account, rc) if shown.in_reply_to_account else None,
        media=[_media(m, rc) for m in shown.media], poll=None,
        replies_count=int(status["replies_count"]), reblogs_count=int(status["reblogs_count"]),
        favourites_count=int(status["favourites_count"]),
        favourited=False, reblogged=False, bookmarked=False, mine=False,
        can_boost=status["visibility"] in BOOSTABLE, tags=list(shown.tags),
    )
    if bundle.reblog is not None:
        view.boosted_by = account_view(bundle.account, rc)
    view.locale = rc.locale
    macros = templating.environment(rc.locale).get_template("_status.html").module
    view.head_html = Markup(macros.status_head(view))  # noqa: S704 - rendered by the autoescaping environment
    view.body_html = Markup(macros.status_body(view))  # noqa: S704
    return view


def status_view(bundle: StatusBundle, rc: RenderContext) -> StatusView:
    """The view of one timeline item for this reader: the shared view plus their flags, the poll and
    the time relative to now."""
    base = _shared_view(bundle, rc)
    shown = bundle.reblog or bundle
    view = object.__new__(StatusView)
    view.__dict__.update(base.__dict__)
    view.ago = relative(int(shown.status["created_at"]), rc)
    view.poll = _poll(shown.poll, rc, int(shown.account["id"])) if shown.poll else None
    # The viewer's flags are computed on the ids they asked for; a boost's inner post may carry them.
    view.favourited = shown.favourited or (bundle.reblog is not None and bundle.favourited)
    view.reblogged, view.bookmarked = shown.reblogged, shown.bookmarked
    view.mine = rc.viewer_id is not None and int(shown.account["id"]) == rc.viewer_id
    return view


def status_views(bundles: list[StatusBundle], rc: RenderContext) -> list[StatusView]:
    return [status_view(b, rc) for b in bundles]


def text_excerpt(value: Any, limit: int = 140) -> str:
    text = sanitize_plain(str(value or ""), limit + 1)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
