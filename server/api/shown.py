"""Lists of statuses as their reader sees them: through the reader's filters, serialized.

Shared by the timelines and an account's posts, the lists clients read most.
"""

from __future__ import annotations

from typing import Any

from ..context import Context
from . import auth, filtering
from .present import Presenter


async def statuses_shown(ctx: Context, who: auth.Auth | None, context: str, ids: list[int]) -> list[dict[str, Any]] | bytes:
    """The Status entities of `ids` as `who` may see them through their filters of `context`.

    Without active filters (most readers) they come serialized from pieces kept across requests
    (server/mastodon/status_json.py); filters read and change entities, so they take the dicts."""
    viewer_id = auth.viewer_id_of(who)
    filters = await filtering.for_viewer(ctx, viewer_id, context, none_saved=auth.no_saved_filters(who))
    presenter = Presenter(ctx, viewer_id)
    if not filters:
        return await presenter.statuses_json(ids)
    return filters.statuses(await presenter.statuses(ids))
