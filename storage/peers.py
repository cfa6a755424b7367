"""The company's peer instances (the closed-federation allowlist) and open-mode domain blocks."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .db import Executor, Row
from .ids import now_ms

SEVERITIES = ("silence", "suspend")


async def list_all(db: Executor) -> list[Row]:
    return await db.fetchall("SELECT * FROM peers ORDER BY domain")


async def get(db: Executor, domain: str) -> Row | None:
    return await db.fetchone("SELECT * FROM peers WHERE domain = ?", (domain.lower(),))


async def add(
    db: Executor,
    domain: str,
    *,
    address: str | None = None,
    allowed_cidrs: Sequence[str] = (),
    instance_key_pem: str | None = None,
    source: str = "manual",
    note: str = "",
) -> bool:
    """Add a peer, or refresh its address, ranges, key and note; True when it was new."""
    existing = await get(db, domain)
    cidrs = json.dumps(list(allowed_cidrs))
    if existing is None:
        await db.execute(
            "INSERT INTO peers (domain, address, allowed_cidrs, instance_key_pem, source, note, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (domain) DO NOTHING",
            (domain.lower(), address, cidrs, instance_key_pem, source, note, now_ms()),
        )
        return True
    await db.execute(
        "UPDATE peers SET address = ?, allowed_cidrs = ?, instance_key_pem = COALESCE(?, instance_key_pem),"
        " source = ?, note = ? WHERE domain = ?",
        (address, cidrs, instance_key_pem, source, note, domain.lower()),
    )
    return False


async def remove(db: Executor, domain: str) -> bool:
    return bool(await db.execute("DELETE FROM peers WHERE domain = ?", (domain.lower(),)))


async def set_suspended(db: Executor, domain: str, suspended: bool) -> bool:
    return bool(
        await db.execute(
            "UPDATE peers SET suspended_at = ? WHERE domain = ?", (now_ms() if suspended else None, domain.lower())
        )
    )


# --- domain blocks (open mode) -----------------------------------------------------------------

async def list_domain_blocks(db: Executor) -> list[Row]:
    return await db.fetchall("SELECT * FROM domain_blocks ORDER BY domain")


async def add_domain_block(db: Executor, domain: str, severity: str, reason: str = "") -> None:
    if severity not in SEVERITIES:
        raise ValueError(severity)
    await db.execute(
        "INSERT INTO domain_blocks (domain, severity, reason, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (domain) DO UPDATE SET severity = excluded.severity, reason = excluded.reason",
        (domain.lower(), severity, reason, now_ms()),
    )


async def remove_domain_block(db: Executor, domain: str) -> bool:
    return bool(await db.execute("DELETE FROM domain_blocks WHERE domain = ?", (domain.lower(),)))
