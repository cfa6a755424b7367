"""The Mastodon client API (and OAuth), so employees can use any Mastodon app with Atrium.

Each module is one group of endpoints; handlers parse the request, call one service or storage
function and serialize with server.mastodon. `routes` is picked up by server.app.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from ..oauth import authorize
from . import (
    accounts,
    admin,
    apps,
    c2s,
    collections,
    conversations,
    filters,
    instance,
    lists,
    markers,
    media,
    media_files,
    misc,
    notifications,
    oauth,
    polls,
    push,
    reports,
    scheduled,
    search,
    statuses,
    streaming,
    tags,
    timelines,
)

routes: list[BaseRoute] = [
    *authorize.routes,
    *oauth.routes,
    *apps.routes,
    *instance.routes,
    *accounts.routes,
    *statuses.routes,
    *scheduled.routes,
    *timelines.routes,
    *notifications.routes,
    *media.routes,
    *media_files.routes,
    *search.routes,
    *tags.routes,
    *lists.routes,
    *markers.routes,
    *polls.routes,
    *push.routes,
    *collections.routes,
    *filters.routes,
    *misc.routes,
    *conversations.routes,
    *reports.routes,
    *streaming.routes,
    *c2s.routes,
    *admin.routes,
]
