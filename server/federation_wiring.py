"""Starts federation inside a web process: the runtime (HTTP client, fetcher, workers), and the hooks
the rest of the server uses (remote account lookup, signed-GET verification, waking the outbox)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette

from federation.fetch import FetchError
from federation.http import HttpError
from federation.runner import FederationRuntime
from federation.webfinger import WebFingerError, resolve
from storage import accounts
from storage.db import Row

from . import events
from .context import Context

log = logging.getLogger("atrium.federation")


def runtime_of(ctx: Context) -> FederationRuntime | None:
    runtime = ctx.extras.get("federation")
    return runtime if isinstance(runtime, FederationRuntime) else None


async def resolve_remote_account(ctx: Context, username: str, domain: str) -> Row | None:
    """`@username@domain` → the account row (known, or found by WebFinger and fetched); None if not
    found or not allowed by the federation policy (closed mode: company instances only)."""
    runtime = runtime_of(ctx)
    if runtime is None or not ctx.instance.policy.allow(domain):
        return None
    known = await accounts.get_by_handle(ctx.db, username, domain)
    if known is not None:
        return known
    try:
        # `resolve`, not `lookup` + fetch: a WebFinger answer naming an actor of another host (ours
        # included) must be confirmed by that host's own WebFinger (SECURITY-CASES 8).
        return await resolve(runtime.fetcher, f"{username}@{domain}")
    except (WebFingerError, FetchError, HttpError) as exc:
        log.info("could not resolve @%s@%s: %s", username, domain, exc)
        return None


async def fetch_remote_actor(ctx: Context, uri: str) -> Row | None:
    runtime = runtime_of(ctx)
    if runtime is None:
        return None
    try:
        return await runtime.fetcher.get_actor(uri)
    except (FetchError, HttpError) as exc:
        log.info("could not fetch %s: %s", uri[:200], exc)
        return None


async def _wake_outbox(ctx: Context, event: str, data: dict[str, Any]) -> None:
    runtime = runtime_of(ctx)
    if runtime is not None:
        runtime.wake_outbox()


async def start(ctx: Context, app: Starlette) -> Callable[[], Awaitable[None]] | None:
    from .cli_worker import runtime_options

    runtime = FederationRuntime(ctx.db, ctx.instance, concurrency=ctx.settings.worker_concurrency,
                                **runtime_options(ctx.settings))
    await runtime.start(run_workers=ctx.settings.run_workers)
    ctx.extras["federation"] = runtime
    ctx.extras["federation_instance"] = ctx.instance
    ctx.extras["resolve_remote_account"] = resolve_remote_account
    ctx.extras["fetch_remote_actor"] = fetch_remote_actor
    events.subscribe(ctx, _wake_outbox)

    async def stop() -> None:
        await runtime.stop()

    return stop
