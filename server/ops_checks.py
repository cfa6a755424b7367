"""What `/readyz` checks and what `/metrics` reads from the database at each scrape.

Readiness: the database answers within a deadline, every shipped migration is applied, and no
federation queue has a due job waiting longer than the configured lag. Each check is reported on
its own, so the answer says what is wrong.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from storage import maintenance
from storage.ids import now_ms
from storage.migrate import available_migrations

from .context import Context
from .metrics import Gauge, Registry
from .ops_settings import OpsSettings

log = logging.getLogger("atrium.ops")
DB_TIMEOUT_S = 2.0
_STARTED = time.time()


async def readiness(ctx: Context, ops: OpsSettings) -> tuple[bool, dict[str, Any]]:
    """(ready, report) for `/readyz`."""
    checks: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        await asyncio.wait_for(maintenance.ping(ctx.db), DB_TIMEOUT_S)
    except Exception as exc:  # any driver error or a timeout means the same: not ready
        log.warning("readiness: database unreachable: %s", exc or type(exc).__name__)
        checks["database"] = {"ok": False, "error": "unreachable"}
        return False, {"status": "unavailable", "checks": checks}
    checks["database"] = {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}
    try:
        applied = await asyncio.wait_for(maintenance.applied_versions(ctx.db), DB_TIMEOUT_S)
        queues = await asyncio.wait_for(maintenance.queue_stats(ctx.db, now_ms()), DB_TIMEOUT_S)
    except Exception as exc:
        log.warning("readiness: database query failed: %s", exc or type(exc).__name__)
        checks["database"] = {"ok": False, "error": "query failed"}
        return False, {"status": "unavailable", "checks": checks}

    shipped = {m.version: m.name for m in available_migrations()}
    pending = [f"{v:04d}_{shipped[v]}" for v in sorted(set(shipped) - applied)]
    # Applied but unknown: a newer release migrated (rolling upgrade); this process still serves.
    checks["migrations"] = {"ok": not pending, "pending": pending, "ahead": sorted(applied - set(shipped))}

    now = now_ms()
    limit = ops.ready_max_queue_lag
    queue_report: dict[str, Any] = {"ok": True, "max_lag_seconds": limit}
    for name, stats in queues.items():
        lag = stats.lag_ms(now) / 1000
        queue_report[name] = {"depth": stats.depth, "due": stats.due, "lag_seconds": round(lag, 3)}
        if limit and lag > limit:
            queue_report["ok"] = False
    checks["queues"] = queue_report
    ready = all(check["ok"] for check in checks.values())
    return ready, {"status": "ok" if ready else "unavailable", "checks": checks}


def _gauge(name: str, help_text: str, labels: tuple[str, ...] = ()) -> Gauge:
    return Gauge(name, help_text, labels)


async def database_metrics(ctx: Context) -> list[Gauge]:
    """Gauges read from the database now: reachability, migrations, queues, deliveries, inbox, pool."""
    up = _gauge("atrium_db_up", "Whether the database answered this scrape's queries (1) or not (0).")
    out = [up]
    pool = _gauge("atrium_db_pool_connections", "Database connections of this process, by state.", ("state",))
    for key, value in maintenance.pool_stats(ctx.db).items():
        pool.set(value, key)
    out.append(pool)
    try:
        started = time.perf_counter()
        await asyncio.wait_for(maintenance.ping(ctx.db), DB_TIMEOUT_S)
        ping = _gauge("atrium_db_ping_seconds", "Time the database took to answer a trivial query.")
        ping.set(time.perf_counter() - started)
        applied = await asyncio.wait_for(maintenance.applied_versions(ctx.db), DB_TIMEOUT_S)
        queues = await asyncio.wait_for(maintenance.queue_stats(ctx.db, now_ms()), DB_TIMEOUT_S)
        per_host = await asyncio.wait_for(maintenance.deliveries_by_host(ctx.db), DB_TIMEOUT_S)
        inbox = await asyncio.wait_for(maintenance.inbox_by_state(ctx.db), DB_TIMEOUT_S)
    except Exception as exc:
        log.warning("metrics: database query failed: %s", exc or type(exc).__name__)
        up.set(0)
        return out
    up.set(1)
    now = now_ms()
    pending = _gauge("atrium_migrations_pending", "Shipped migrations not applied to the database.")
    pending.set(len({m.version for m in available_migrations()} - applied))
    depth = _gauge("atrium_queue_depth", "Jobs waiting in a federation queue.", ("queue",))
    due = _gauge("atrium_queue_due", "Jobs of a federation queue that are due now.", ("queue",))
    age = _gauge("atrium_queue_oldest_due_age_seconds", "How long the oldest due job of a queue has waited.",
                 ("queue",))
    for name, stats in queues.items():
        depth.set(stats.depth, name)
        due.set(stats.due, name)
        age.set(stats.lag_ms(now) / 1000, name)
    deliveries = _gauge(
        "atrium_deliveries", "Deliveries held in the database, by peer and result (queued, done, failed, gone,"
        " cancelled); finished ones are purged after a while.", ("peer", "result"),
    )
    for host, state, count in per_host:
        deliveries.set(count, host, state)
    inbox_items = _gauge("atrium_inbox_items", "Received activities held in the database, by state.", ("state",))
    for state, count in inbox.items():
        inbox_items.set(count, state)
    out += [ping, pending, depth, due, age, deliveries, inbox_items]
    return out


def update_process_metrics(registry: Registry) -> None:
    """This process's memory and start time (one series per process, kept apart when merged)."""
    pid = str(os.getpid())
    registry.gauge("atrium_process_start_time_seconds", "When the process started (Unix time).", ("pid",)).set(
        _STARTED, pid
    )
    rss = _resident_bytes()
    if rss is not None:
        registry.gauge("atrium_process_resident_memory_bytes", "Resident memory of the process.", ("pid",)).set(
            rss, pid
        )


def _resident_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None
