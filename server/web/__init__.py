"""The web UI's routes (matched after the ActivityPub and API routes) and its static files."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from webui.templating import STATIC_DIR

from . import admin, auth, avatar, directory, live, notifications, profiles, search, settings, statuses, timelines

# Order matters where paths overlap: /@{handle}/followers before /@{handle}/{status_id}.
routes: list[BaseRoute] = [
    Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    *avatar.routes,
    *auth.routes,
    *live.routes,
    *timelines.routes,
    *notifications.routes,
    *search.routes,
    *directory.routes,
    *settings.routes,
    *admin.routes,
    *profiles.routes,
    *statuses.routes,
]
