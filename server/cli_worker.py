"""`atrium worker`: federation workers (inbox processing, fan-out, delivery), the scheduled-post
publisher and the web push sender without a web server, for larger setups where web and delivery processes scale separately
on one PostgreSQL database."""

from __future__ import annotations

import argparse
import asyncio
import inspect
import logging
import signal
from typing import Any

from federation.runner import run_worker_process
from storage.db import connect
from storage.migrate import pending_migrations

from .config import Settings
from .context import make_context, make_instance
from .logging_setup import configure_logging
from .services.scheduling import Publisher
from .services.web_push import Pusher

log = logging.getLogger("atrium.worker")


def runtime_options(settings: Settings) -> dict[str, Any]:
    """The FederationRuntime options a web process and a worker process both derive from settings."""
    from federation.retry import RetryPolicy
    from federation.runner import FederationRuntime

    options: dict[str, Any] = {
        "lock_ms": settings.claim_lock_seconds * 1000,
        "retry_policy": RetryPolicy(base=float(settings.retry_base_seconds)),
    }
    accepted = inspect.signature(FederationRuntime.__init__).parameters
    return {name: value for name, value in options.items() if name in accepted}


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from . import cli

    configure_logging(settings)

    async def run() -> int:
        db = await connect(settings.database_url)
        try:
            if await pending_migrations(db):
                return cli._fail("the database has pending migrations: run `atrium migrate` first")
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            log.info("federation worker started (concurrency %d)", args.concurrency)
            # Scheduled posts and web pushes are sent by every worker process too (claimed: never twice).
            ctx = make_context(settings, db)
            publisher, pusher = Publisher(ctx), Pusher(ctx)
            publisher.start()
            pusher.start()
            try:
                await run_worker_process(db, make_instance(settings), stop, concurrency=args.concurrency,
                                         **runtime_options(settings))
            finally:
                await pusher.stop()
                await publisher.stop()
            log.info("federation worker stopped")
            return cli.EXIT_OK
        finally:
            await db.close()

    return asyncio.run(run())


def register(sub: Any) -> None:
    worker = sub.add_parser("worker", help="run federation workers (no web server)")
    worker.add_argument("--concurrency", type=int, default=8, help="concurrent jobs per kind of work")
    worker.set_defaults(func=cmd_worker)
