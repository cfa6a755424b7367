"""Per-host federation health: the circuit breaker's counters and the key-refetch rate limit.

Every update is one conditional statement, so several worker processes sharing the database see
one consistent breaker per host (the policy itself is federation.breaker's).
"""

from __future__ import annotations

from .db import Executor, Row


async def _ensure(db: Executor, domain: str) -> None:
    await db.execute("INSERT INTO hosts (domain) VALUES (?) ON CONFLICT (domain) DO NOTHING", (domain,))


async def get(db: Executor, domain: str) -> Row | None:
    return await db.fetchone("SELECT * FROM hosts WHERE domain = ?", (domain,))


async def try_probe(db: Executor, domain: str, *, now: int, threshold: int, probe_until: int) -> str | None:
    """Whether a request to `domain` may go out now: "closed", "probe", or None (wait).

    Closed circuit (fewer than `threshold` consecutive failures): "closed". Open circuit: None
    until `circuit_open_until`; after that exactly one caller wins the "probe", which re-opens
    the circuit until `probe_until` so that no one else tries while the probe is in flight.
    """
    row = await get(db, domain)
    if row is None or int(row["consecutive_failures"]) < threshold:
        return "closed"
    changed = await db.execute(
        "UPDATE hosts SET circuit_open_until = ? WHERE domain = ? AND consecutive_failures >= ?"
        " AND (circuit_open_until IS NULL OR circuit_open_until <= ?)",
        (probe_until, domain, threshold, now),
    )
    return "probe" if changed == 1 else None


async def record_success(db: Executor, domain: str, *, now: int) -> None:
    """The host answered: close its circuit (one statement: this runs after every delivery)."""
    await db.execute(
        "INSERT INTO hosts (domain, last_success_at) VALUES (?, ?) ON CONFLICT (domain) DO UPDATE SET"
        " consecutive_failures = 0, circuit_open_until = NULL, last_success_at = excluded.last_success_at"
        # Writing last_success_at at most once a second keeps a busy host's row from being a hot spot.
        " WHERE hosts.consecutive_failures <> 0 OR hosts.circuit_open_until IS NOT NULL"
        " OR hosts.last_success_at IS NULL OR hosts.last_success_at < ?",
        (domain, now, now - 1000),
    )


async def record_failure(db: Executor, domain: str, *, now: int, probe: bool = False) -> int | None:
    """The host failed (no answer, 5xx); returns its consecutive failures, or None if not counted.

    While the circuit is open, failures of requests that were already in flight say nothing new
    and are not counted; a failed probe is (the outage goes on: the next wait is longer).
    """
    row = await _write_returning(
        db,
        "INSERT INTO hosts (domain, consecutive_failures, last_failure_at) VALUES (?, 1, ?)"
        " ON CONFLICT (domain) DO UPDATE SET consecutive_failures = hosts.consecutive_failures + 1,"
        " last_failure_at = excluded.last_failure_at"
        " WHERE ? = 1 OR hosts.circuit_open_until IS NULL OR hosts.circuit_open_until <= ?"
        " RETURNING consecutive_failures",
        (domain, now, int(probe), now),
    )
    return None if row is None else int(row["consecutive_failures"])


async def _write_returning(db: Executor, sql: str, params: tuple[object, ...]) -> Row | None:
    """Run a write that returns a row on the writer (SQLite's `fetchone` would use a reader)."""
    transaction = getattr(db, "transaction", None)
    if transaction is None:  # already a transaction
        return await db.fetchone(sql, params)
    async with transaction() as tx:
        return await tx.fetchone(sql, params)


async def open_circuit(db: Executor, domain: str, *, until: int) -> None:
    await db.execute("UPDATE hosts SET circuit_open_until = ? WHERE domain = ?", (until, domain))


async def claim_key_refetch(db: Executor, domain: str, *, now: int, interval_ms: int) -> bool:
    """Whether a key refetch from `domain` may happen now (at most one per `interval_ms`)."""
    await _ensure(db, domain)
    changed = await db.execute(
        "UPDATE hosts SET last_key_refetch_at = ? WHERE domain = ?"
        " AND (last_key_refetch_at IS NULL OR last_key_refetch_at <= ?)",
        (now, domain, now - interval_ms),
    )
    return changed == 1


async def set_software(db: Executor, domain: str, software: str | None) -> None:
    await _ensure(db, domain)
    await db.execute("UPDATE hosts SET software = ? WHERE domain = ?", (software, domain))


async def set_gone(db: Executor, domain: str, gone: bool) -> None:
    await _ensure(db, domain)
    await db.execute("UPDATE hosts SET gone = ? WHERE domain = ?", (int(gone), domain))


async def list_unhealthy(db: Executor, *, limit: int = 100) -> list[Row]:
    """Hosts with failures, worst first (for the admin page)."""
    return await db.fetchall(
        "SELECT * FROM hosts WHERE consecutive_failures > 0 ORDER BY consecutive_failures DESC, domain LIMIT ?",
        (limit,),
    )
