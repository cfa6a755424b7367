"""Reload the signed company peer registry whenever its file changes, without a restart."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.applications import Starlette

from .context import Context
from .services import peers as peer_service
from .services.statuses import ServiceError

log = logging.getLogger("atrium.registry")
CHECK_SECONDS = 15.0


async def load_if_changed(ctx: Context, last_mtime: float | None) -> float | None:
    """Import the registry when its modification time differs from `last_mtime`; returns the new one."""
    settings = ctx.settings
    if not settings.registry_file or not settings.registry_key_file:
        return last_mtime
    try:
        read = await asyncio.to_thread(_read_if_changed, settings.registry_file, settings.registry_key_file, last_mtime)
    except OSError as exc:
        log.warning("cannot read the peer registry: %s", exc)
        return last_mtime
    if read is None:
        return last_mtime
    mtime, raw, key = read
    try:
        sync = await peer_service.import_registry(ctx, raw, key)
    except ServiceError as exc:
        # A bad file is refused whole: the previous peers stay in force.
        log.error("%s", exc.message)
        return mtime
    log.info("peer registry loaded: %d added, %d updated, %d removed", len(sync.added), len(sync.updated),
             len(sync.removed))
    return mtime


def _read_if_changed(registry: str, key_file: str, last_mtime: float | None) -> tuple[float, bytes, str] | None:
    mtime = Path(registry).stat().st_mtime
    if mtime == last_mtime:
        return None
    return mtime, Path(registry).read_bytes(), Path(key_file).read_text()


async def start(ctx: Context, app: Starlette) -> Callable[[], Awaitable[None]] | None:
    if not ctx.settings.registry_file:
        return None
    last = await load_if_changed(ctx, None)

    async def watch() -> None:
        nonlocal last
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            last = await load_if_changed(ctx, last)

    task = asyncio.create_task(watch(), name="peer-registry-watch")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return stop
