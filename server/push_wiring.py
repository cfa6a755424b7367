"""Starts the Web Push sender inside a web process that runs workers (`atrium worker` processes
start their own, in server/cli_worker.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette

from .context import Context
from .services.web_push import Pusher


async def start(ctx: Context, app: Starlette) -> Callable[[], Awaitable[None]] | None:
    if not ctx.settings.run_workers:
        return None
    pusher = Pusher(ctx)
    ctx.extras["web_push_pusher"] = pusher
    pusher.start()
    return pusher.stop
