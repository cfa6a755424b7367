"""Who this instance federates with: the company allowlist (closed mode) or the fediverse minus blocks.

One object answers for every point where federation crosses the network: incoming inbox POSTs
and signed GETs (`allow` the signer's host), outgoing deliveries and fetches (`allow` the host,
then federation.http checks the address it connects to against `peer`).

Hosts are compared as *domains*: the lowercased authority of an actor id, `host[:port]`, with
the scheme's default port dropped (peers in development are `127.0.0.1:8001`).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from storage import peers as peers_store
from storage.db import Executor

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_DEFAULT_PORTS = {"http": 80, "https": 443}


_AUTHORITY = re.compile(r"^(https?)://([^/?#\\]*)", re.IGNORECASE)
_HOST_PORT = re.compile(r"^(\[[0-9a-f:.]+\]|[^:\[\]@]+)(?::(\d{1,5}))?$")


@lru_cache(maxsize=16384)
def domain_of(url: str) -> str:
    """`https://Paris.example:443/users/a` → `paris.example`; `http://127.0.0.1:8001/x` → `127.0.0.1:8001`.

    Returns "" for anything that is not an absolute http(s) URL with a host. (Called several
    times per inbox request, hence a small parser and a cache rather than urlsplit.)
    """
    if not isinstance(url, str):
        return ""
    match = _AUTHORITY.match(url)
    if match is None:
        return ""
    scheme = match.group(1).lower()
    authority = match.group(2).rpartition("@")[2]
    parts = _HOST_PORT.match(authority)
    if parts is None:
        return ""
    host = parts.group(1).lower().rstrip(".")
    port = int(parts.group(2)) if parts.group(2) else None
    if not host or (port is not None and not 0 < port < 65536):
        return ""
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return host
    return f"{host}:{port}"


def split_domain(domain: str) -> tuple[str, int | None]:
    """`paris.example:8443` → (`paris.example`, 8443); `[::1]:80` → (`::1`, 80)."""
    if domain.startswith("["):
        host, _, rest = domain[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    host, sep, port = domain.rpartition(":")
    if sep and port.isdigit():
        return host, int(port)
    return domain, None


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Peer:
    """An allowlisted instance: where to connect, and which private ranges it may live in."""

    domain: str
    address: str | None = None           # ip[:port] to dial instead of resolving the name
    cidrs: tuple[IPNetwork, ...] = ()   # ranges its resolved addresses may fall in
    suspended: bool = False

    @property
    def pinned_address(self) -> str | None:
        """The address to dial: configured, or the domain itself when it is an IP literal."""
        if self.address:
            return self.address
        if is_ip_literal(split_domain(self.domain)[0]):
            return self.domain
        return None


class FederationPolicy:
    """The allowlist and blocklist, as a snapshot cheap to consult on every request.

    Static peers come from the settings (`ATRIUM_PEERS`, `ATRIUM_PEER_ADDRESSES`); the `peers`
    and `domain_blocks` tables add to them and are re-read by `reload` (the workers do so
    periodically, so `atrium peers add` reaches running processes).
    """

    def __init__(
        self,
        *,
        mode: str,
        own_domain: str,
        static_peers: Iterable[str] = (),
        peer_addresses: Mapping[str, str] | None = None,
    ) -> None:
        if mode not in ("closed", "open"):
            raise ValueError(f"federation mode must be closed or open, not {mode!r}")
        self.mode = mode
        self.own_domain = own_domain.lower()
        self._addresses = {k.lower(): v for k, v in (peer_addresses or {}).items()}
        self._static = {d.lower() for d in static_peers}
        self._peers: dict[str, Peer] = {}
        self._blocked: set[str] = set()
        self._silenced: set[str] = set()
        self.replace([], [])

    def replace(self, peer_rows: Iterable[Mapping[str, object]], block_rows: Iterable[Mapping[str, object]]) -> None:
        """Install a new snapshot from `peers` and `domain_blocks` rows."""
        peers = {domain: Peer(domain, self._addresses.get(domain)) for domain in self._static}
        for row in peer_rows:
            domain = str(row["domain"]).lower()
            stored_address = str(row["address"]) if row.get("address") else None
            peers[domain] = Peer(
                domain,
                # An address in the settings is the operator's; it wins over a registry's.
                self._addresses.get(domain) or stored_address,
                _networks(row.get("allowed_cidrs")),
                suspended=row.get("suspended_at") is not None,
            )
        self._peers = peers
        blocks = [(str(r["domain"]).lower(), str(r["severity"])) for r in block_rows]
        self._blocked = {d for d, s in blocks if s == "suspend"}
        self._silenced = {d for d, s in blocks if s == "silence"}

    async def reload(self, db: Executor) -> None:
        """Re-read the peers and domain blocks tables."""
        peer_rows = [dict(r) for r in await peers_store.list_all(db)]
        block_rows = [dict(r) for r in await peers_store.list_domain_blocks(db)]
        self.replace(peer_rows, block_rows)

    def peer(self, domain: str) -> Peer | None:
        """The peer entry of `domain` (suspended peers included), or None."""
        return self._peers.get(domain.lower())

    def is_peer(self, domain: str) -> bool:
        """An allowlisted, not suspended, company instance."""
        found = self._peers.get(domain.lower())
        return found is not None and not found.suspended

    def peer_domains(self) -> list[str]:
        """Every active company peer, sorted."""
        return sorted(d for d, p in self._peers.items() if not p.suspended and d != self.own_domain)

    def allow(self, domain: str) -> bool:
        """Whether we may talk to `domain` at all (receive from it, deliver to it, fetch from it)."""
        domain = domain.lower()
        if not domain or domain == self.own_domain:
            return False
        found = self._peers.get(domain)
        if found is not None:
            return not found.suspended
        if self.mode == "closed":
            return False
        return not self._matches(domain, self._blocked)

    def is_silenced(self, domain: str) -> bool:
        return self._matches(domain.lower(), self._silenced)

    @staticmethod
    def _matches(domain: str, names: set[str]) -> bool:
        host = split_domain(domain)[0]
        labels = host.split(".")
        return domain in names or any(".".join(labels[i:]) in names for i in range(len(labels)))


def _networks(value: object) -> tuple[IPNetwork, ...]:
    try:
        items = json.loads(value) if isinstance(value, str) else (value or [])
    except ValueError:
        return ()
    found = []
    for item in items if isinstance(items, list) else []:
        try:
            found.append(ipaddress.ip_network(str(item), strict=False))
        except ValueError:
            continue
    return tuple(found)
