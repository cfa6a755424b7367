"""In-process hooks for what happened, so subsystems (streaming, metrics) react without the services
knowing them. Listeners are registered at start-up; `emit` never lets a listener's failure break the
action that already committed."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .context import Context

log = logging.getLogger("atrium.events")

Listener = Callable[[Context, str, dict[str, Any]], Awaitable[None]]

# Event names: status.created, status.updated, status.deleted, notification.created
EVENTS = ("status.created", "status.updated", "status.deleted", "notification.created")


def subscribe(ctx: Context, listener: Listener) -> None:
    ctx.extras.setdefault("listeners", []).append(listener)


async def emit(ctx: Context, event: str, **data: Any) -> None:
    for listener in ctx.extras.get("listeners", []):
        try:
            await listener(ctx, event, data)
        except Exception:
            log.exception("event listener failed for %s", event)
