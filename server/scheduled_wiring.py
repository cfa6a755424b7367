"""Starts the scheduled-post publisher inside a web process that runs workers (`atrium worker`
processes start their own, in server/cli_worker.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette

from .context import Context
from .services.scheduling import Publisher


async def start(ctx: Context, app: Starlette) -> Callable[[], Awaitable[None]] | None:
    if not ctx.settings.run_workers:
        return None
    publisher = Publisher(ctx)
    ctx.extras["scheduled_publisher"] = publisher
    publisher.start()
    return publisher.stop
