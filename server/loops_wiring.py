"""Starts the periodic loops that ride along with the federation workers inside a web process that
runs workers: the scheduled-post publisher and the Web Push sender (`atrium worker` processes start
their own, in server/cli_worker.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette

from .context import Context
from .services.scheduling import Publisher
from .services.web_push import Pusher


async def start(ctx: Context, app: Starlette) -> Callable[[], Awaitable[None]] | None:
    if not ctx.settings.run_workers:
        return None
    loops = [Publisher(ctx), Pusher(ctx)]
    for loop in loops:
        loop.start()

    async def stop() -> None:
        await asyncio.gather(*(loop.stop() for loop in loops))

    return stop
