"""The ASGI application: routes, middleware, error handlers, and start-up/shut-down of subsystems.

`create_app(settings)` is all a server (uvicorn) or a test needs. At start-up the database is
opened and migrated, the instance actor exists, and the optional subsystems registered in
`SUBSYSTEMS` (federation workers, streaming…) are started; at shut-down they stop in reverse order.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from storage.db import connect
from storage.migrate import migrate

from . import errors, middleware, routes_ap
from .config import Settings
from .context import Context, make_context
from .inbox_fast import InboxFastPath
from .metrics import MetricsMiddleware
from .services.accounts import ensure_instance_actor

log = logging.getLogger("atrium")

# A subsystem: async start(ctx, app) returning an async stop() (or None).
Subsystem = Callable[[Context, Starlette], Awaitable[Callable[[], Awaitable[None]] | None]]


def _route_modules() -> list[list[BaseRoute]]:
    """Every route table, in matching order. Imported lazily so optional parts can be absent."""
    tables: list[list[BaseRoute]] = [routes_ap.routes]
    for name in ("server.routes_ops", "server.routes_federation", "server.api", "server.web"):
        try:
            module = __import__(name, fromlist=["routes"])
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise
        tables.append(getattr(module, "routes", []))
    return tables


def _subsystems() -> list[Subsystem]:
    found: list[Subsystem] = []
    for name in ("server.ops_wiring", "server.registry_wiring", "server.federation_wiring", "server.streaming_wiring",
                 "server.loops_wiring"):
        try:
            module = __import__(name, fromlist=["start"])
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise
        found.append(module.start)
    return found


def create_app(settings: Settings, *, run_subsystems: bool = True, extras: dict[str, Any] | None = None) -> Starlette:
    routes: list[BaseRoute] = [route for table in _route_modules() for route in table]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = await connect(settings.database_url)
        stops: list[Callable[[], Awaitable[None]]] = []
        try:
            await migrate(db)
            ctx = make_context(settings, db)
            ctx.extras.update(extras or {})
            app.state.ctx = ctx
            await ensure_instance_actor(ctx)
            if run_subsystems:
                for start in _subsystems():
                    stop = await start(ctx, app)
                    if stop is not None:
                        stops.append(stop)
            yield
        finally:
            for stop in reversed(stops):
                try:
                    await stop()
                except Exception:
                    log.exception("a subsystem failed to stop cleanly")
            await db.close()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            # Inbox POSTs are served here, ahead of the chain below (server/inbox_fast.py).
            Middleware(InboxFastPath, settings=settings),
            Middleware(middleware.FreezeAfterStartupMiddleware),   # lifespan only: gc.freeze() once started
            Middleware(middleware.RequestIdMiddleware),
            Middleware(MetricsMiddleware),
            Middleware(middleware.SecurityHeadersMiddleware, settings=settings),
            Middleware(middleware.BodyLimitMiddleware, settings=settings),
        ],
        exception_handlers={
            errors.HTTPError: errors.handle_http_error,
            StarletteHTTPException: errors.handle_starlette_error,
            Exception: errors.handle_unexpected,
        },
    )
    app.state.settings = settings
    return app
