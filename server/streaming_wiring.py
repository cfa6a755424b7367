"""Starts this worker's streaming hub and subscribes the listener that records status events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette

from . import events
from .context import Context
from .streaming import Hub, record_event


async def start(ctx: Context, app: Starlette) -> Callable[[], Awaitable[None]]:
    hub = Hub(ctx)
    ctx.extras["streaming_hub"] = hub
    events.subscribe(ctx, record_event)
    await hub.start()

    async def stop() -> None:
        await hub.stop()
        ctx.extras.pop("streaming_hub", None)

    return stop
