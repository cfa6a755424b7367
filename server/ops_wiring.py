"""The operations subsystem: settings of the ops endpoints, request ids on log lines, and the
metrics file this process shares with its sibling workers.

Started by the app's lifespan like every subsystem (`start(ctx, app)` returns `stop`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette

from . import metrics_share
from .access_log import install_request_id_filter
from .context import Context
from .metrics import registry_of
from .ops_checks import update_process_metrics
from .ops_settings import OpsSettings

log = logging.getLogger("atrium.ops")
SHARE_INTERVAL_S = 5.0


async def start(ctx: Context, app: Starlette) -> Callable[[], Awaitable[None]]:
    """Read the ops settings, tag log lines with request ids, share metrics every few seconds."""
    ctx.extras["ops"] = OpsSettings.from_env()
    install_request_id_filter()
    registry = registry_of(app)
    ctx.extras["metrics"] = registry
    # Declared here so the family exists before federation counts into it.
    registry.counter(
        "atrium_inbox_verifications_total", "Signature verifications of received activities, by result.", ("result",)
    )
    directory = ctx.settings.data_dir / "metrics"

    def share() -> None:
        update_process_metrics(registry)
        try:
            metrics_share.write_snapshot(directory, registry)
        except OSError as exc:
            log.warning("cannot share metrics with sibling workers in %s: %s", directory, exc)

    async def loop() -> None:
        while True:
            await asyncio.sleep(SHARE_INTERVAL_S)
            share()

    share()

    task = asyncio.create_task(loop(), name="atrium-metrics-share")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        metrics_share.remove_own(directory)

    return stop
