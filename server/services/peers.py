"""Managing the company federation: the peer allowlist, by hand or from the signed registry.

Every change is written to the audit log and applied to this process's federation policy at once;
other processes pick it up on their next policy reload.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from federation.policy import domain_of
from federation.registry import Member, RegistryError, verify_registry
from storage import audit
from storage import peers as peer_store
from storage.db import Row

from ..config import ConfigError, validate_domain
from ..context import Context
from .statuses import ServiceError


@dataclass(frozen=True)
class RegistrySync:
    added: list[str]
    updated: list[str]
    removed: list[str]


async def list_peers(ctx: Context) -> list[Row]:
    return await peer_store.list_all(ctx.db)


def normalize_domain(value: str) -> str:
    """`Paris.Example.com`, `https://paris.example.com/` → `paris.example.com`; ServiceError if not a host."""
    candidate = domain_of(value) if "://" in value else value
    try:
        return validate_domain("domain", candidate)
    except ConfigError as exc:
        raise ServiceError(422, str(exc).replace("domain: ", "")) from None


_domain = normalize_domain


async def add_peer(
    ctx: Context, domain: str, *, address: str | None = None, cidrs: Sequence[str] = (), note: str = "",
    actor_id: int | None = None,
) -> bool:
    domain = _domain(domain)
    if domain == ctx.domain:
        raise ServiceError(422, "An instance cannot be its own peer")
    async with ctx.db.transaction() as tx:
        created = await peer_store.add(tx, domain, address=address, allowed_cidrs=cidrs, note=note)
        await audit.record(tx, actor_id=actor_id, action="peer.add" if created else "peer.update",
                           target_type="peer", target_id=domain, data={"address": address, "cidrs": list(cidrs)})
    await ctx.instance.policy.reload(ctx.db)
    return created


async def remove_peer(ctx: Context, domain: str, *, actor_id: int | None = None) -> bool:
    domain = _domain(domain)
    async with ctx.db.transaction() as tx:
        removed = await peer_store.remove(tx, domain)
        if removed:
            await audit.record(tx, actor_id=actor_id, action="peer.remove", target_type="peer", target_id=domain)
    await ctx.instance.policy.reload(ctx.db)
    return removed


async def suspend_peer(ctx: Context, domain: str, suspended: bool, *, actor_id: int | None = None) -> bool:
    domain = _domain(domain)
    async with ctx.db.transaction() as tx:
        if suspended and await peer_store.get(tx, domain) is None and ctx.instance.policy.peer(domain) is not None:
            # A peer from the settings (ATRIUM_PEERS) has no row yet: give it one, so it can be suspended.
            await peer_store.add(tx, domain, note="from the settings")
        changed = await peer_store.set_suspended(tx, domain, suspended)
        if changed:
            await audit.record(tx, actor_id=actor_id, action="peer.suspend" if suspended else "peer.unsuspend",
                               target_type="peer", target_id=domain)
    await ctx.instance.policy.reload(ctx.db)
    return changed


async def import_registry(ctx: Context, raw: bytes, public_key_pem: str, *, actor_id: int | None = None) -> RegistrySync:
    """Make the registry-sourced peers exactly the registry's members (manual peers are kept)."""
    try:
        members = verify_registry(raw, public_key_pem)
    except RegistryError as exc:
        raise ServiceError(422, f"Peer registry refused: {exc}") from None
    wanted: dict[str, Member] = {m.domain: m for m in members if m.domain != ctx.domain}
    added: list[str] = []
    updated: list[str] = []
    removed: list[str] = []
    async with ctx.db.transaction() as tx:
        existing = {r["domain"]: r for r in await peer_store.list_all(tx)}
        for domain, member in wanted.items():
            if existing.get(domain) is not None and existing[domain]["source"] != "registry":
                continue  # an operator's own entry wins
            created = await peer_store.add(tx, domain, address=member.address, allowed_cidrs=member.cidrs,
                                           instance_key_pem=member.instance_key_pem, source="registry")
            (added if created else updated).append(domain)
        for domain, row in existing.items():
            if row["source"] == "registry" and domain not in wanted:
                await peer_store.remove(tx, domain)
                removed.append(domain)
        await audit.record(tx, actor_id=actor_id, action="peer.registry_import", target_type="registry",
                           target_id=str(len(wanted)), data={"added": added, "updated": updated, "removed": removed})
    await ctx.instance.policy.reload(ctx.db)
    return RegistrySync(added, updated, removed)
