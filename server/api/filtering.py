"""Filters applied to what the API answers, after serialization.

A surface (home, notifications, public, thread, account) asks `for_viewer` once per request, then
runs its serialized statuses (or notifications) through the result: a status matched by a `warn`
filter of that context carries `filtered: [FilterResult]`, one matched by a `hide` filter is dropped.
Matching reads the serialized Status (spoiler text, content as text, poll options, media
descriptions, as Mastodon's `searchable_text`), so entity rendering needs no hook.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from storage import filters as filter_store
from storage.filters import FilterBundle
from storage.ids import now_ms

from ..context import Context
from ..mastodon import filters as filter_entities

_WORD = re.compile(r"\w")
_TAG = re.compile(r"<[^>]*>")


def keyword_pattern(keyword: str, whole_word: bool) -> str:
    """Mastodon's rule: a whole-word keyword gets `\\b` only on a side that starts or ends with a word
    character (so `#tag` or `c++` still match)."""
    escaped = re.escape(keyword)
    if not whole_word:
        return escaped
    start = r"\b" if _WORD.match(keyword[:1]) else ""
    end = r"\b" if _WORD.match(keyword[-1:]) else ""
    return f"{start}{escaped}{end}"


@dataclass
class _Compiled:
    bundle: FilterBundle
    keywords: list[tuple[str, str, re.Pattern[str]]]   # (as written, casefolded, its pattern)
    status_ids: set[str]
    hide: bool


def searchable_text(status: dict[str, Any]) -> str:
    """What keywords are matched against, casefolded (keywords are too): matching is case-insensitive
    without re.IGNORECASE, which would make every search a slow scan. Our content is sanitized HTML,
    so dropping its tags (each as a space, so that paragraphs do not run together) is enough."""
    content = html.unescape(_TAG.sub(" ", status.get("content") or ""))
    parts = [status.get("spoiler_text") or "", content]
    poll = status.get("poll")
    if poll:
        parts += [str(o.get("title") or "") for o in poll.get("options") or []]
    parts += [str(m.get("description") or "") for m in status.get("media_attachments") or []]
    return "\n\n".join(p for p in parts if p).casefold()


class Filtering:
    """The viewer's active filters of one context, compiled."""

    def __init__(self, bundles: list[FilterBundle], viewer_id: int | None = None) -> None:
        # One's own posts are never filtered from oneself, as in Mastodon.
        self._viewer = str(viewer_id) if viewer_id is not None else None
        self._filters = [
            _Compiled(
                bundle=b,
                keywords=[(str(k["keyword"]), str(k["keyword"]).casefold(),
                           re.compile(keyword_pattern(str(k["keyword"]).casefold(), bool(k["whole_word"]))))
                          for k in b.keywords if k["keyword"]],
                status_ids={str(s["status_id"]) for s in b.statuses},
                hide=b.filter["filter_action"] == "hide",
            )
            for b in bundles
        ]

    def __bool__(self) -> bool:
        return bool(self._filters)

    def match(self, status: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
        """(FilterResults of the warn filters that match, whether a hide filter matches)."""
        proper = status.get("reblog") or status
        if self._viewer is not None and (proper.get("account") or {}).get("id") == self._viewer:
            return [], False
        ids = {str(status.get("id")), str(proper.get("id"))}
        text: str | None = None
        results: list[dict[str, Any]] = []
        for compiled in self._filters:
            keyword_matches: list[str] = []
            if compiled.keywords:
                if text is None:
                    text = searchable_text(proper)
                # A substring test first: most posts contain no keyword, and `in` is far cheaper than
                # a search that starts with \b (which the regex engine cannot skip ahead for).
                keyword_matches = [word for word, folded, pattern in compiled.keywords
                                   if folded in text and pattern.search(text)]
            status_matches = sorted(ids & compiled.status_ids)
            if not keyword_matches and not status_matches:
                continue
            if compiled.hide:
                return [], True
            results.append(filter_entities.filter_result(
                compiled.bundle, keyword_matches or None, status_matches or None))
        return results, False

    def statuses(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Serialized statuses with `filtered` set, without those a hide filter matches."""
        if not self._filters:
            return items
        out = []
        for status in items:
            results, hide = self.match(status)
            if hide:
                continue
            if results:
                status = {**status, "filtered": results}
                if status.get("reblog"):
                    status["reblog"] = {**status["reblog"], "filtered": results}
            out.append(status)
        return out

    def notifications(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Notifications whose post a hide filter matches are dropped; a warned post carries `filtered`."""
        if not self._filters:
            return items
        out = []
        for item in items:
            status = item.get("status")
            if status:
                kept = self.statuses([status])
                if not kept:
                    continue
                item = {**item, "status": kept[0]}
            out.append(item)
        return out


NO_FILTERS = Filtering([])


async def for_viewer(ctx: Context, viewer_id: int | None, context: str, *, none_saved: bool = False) -> Filtering:
    """The viewer's filters that apply now in `context` (none for anonymous readers, nor when the
    caller knows the viewer has no saved filter: `none_saved`, from server/api/auth.py's Auth)."""
    if viewer_id is None or none_saved:
        return NO_FILTERS
    bundles = await filter_store.active_of_account(ctx.db, viewer_id, now_ms())
    return Filtering([b for b in bundles if context in b.context], viewer_id)


class ViewerFilters:
    """Many viewers' active filters, loaded in one go, compiled per (viewer, context) on demand.

    Streaming renders a post once for a group of alike viewers, then asks this for each listener,
    so a post reaches a listener filtered exactly as their timeline would show it.
    """

    def __init__(self, bundles: dict[int, list[FilterBundle]]) -> None:
        self._bundles = bundles
        self._compiled: dict[tuple[int, str], Filtering] = {}

    @classmethod
    async def load(cls, ctx: Context, viewer_ids: list[int]) -> ViewerFilters:
        return cls(await filter_store.active_of_accounts(ctx.db, viewer_ids, now_ms()) if viewer_ids else {})

    def of(self, viewer_id: int, context: str | None) -> Filtering:
        bundles = self._bundles.get(viewer_id)
        if not bundles or context is None:
            return NO_FILTERS
        key = (viewer_id, context)
        if key not in self._compiled:
            self._compiled[key] = Filtering([b for b in bundles if context in b.context], viewer_id)
        return self._compiled[key]
