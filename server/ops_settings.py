"""Settings of the operations endpoints, from the environment.

- `ATRIUM_METRICS_TOKEN`: a bearer token that opens `/metrics` from anywhere (16+ characters).
- `ATRIUM_METRICS_ALLOW`: addresses or CIDR ranges allowed to scrape `/metrics` without the token
  (comma-separated; default loopback only: `127.0.0.0/8,::1`).
- `ATRIUM_READY_MAX_QUEUE_LAG`: seconds the oldest due federation job may wait before `/readyz`
  answers 503 (default 600; 0 turns the queue check off).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass

from .config import ConfigError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK: tuple[IPNetwork, ...] = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


@dataclass(frozen=True)
class OpsSettings:
    metrics_token: str | None = None
    metrics_allow: tuple[IPNetwork, ...] = LOOPBACK
    ready_max_queue_lag: int = 600        # seconds; 0: no queue check

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OpsSettings:
        """Read and check the variables; a wrong value raises ConfigError naming it."""
        env = os.environ if environ is None else environ
        token = (env.get("ATRIUM_METRICS_TOKEN") or "").strip() or None
        if token is not None and len(token) < 16:
            raise ConfigError("ATRIUM_METRICS_TOKEN: must be at least 16 characters long")
        allow = LOOPBACK
        raw = env.get("ATRIUM_METRICS_ALLOW")
        if raw is not None:
            try:
                allow = tuple(ipaddress.ip_network(p.strip(), strict=False) for p in raw.split(",") if p.strip())
            except ValueError as exc:
                raise ConfigError(f"ATRIUM_METRICS_ALLOW: expected addresses or CIDR ranges, {exc}") from None
        lag = cls.ready_max_queue_lag
        raw_lag = env.get("ATRIUM_READY_MAX_QUEUE_LAG")
        if raw_lag is not None and raw_lag.strip():
            try:
                lag = int(raw_lag)
            except ValueError:
                raise ConfigError(f"ATRIUM_READY_MAX_QUEUE_LAG: expected seconds, got {raw_lag!r}") from None
            if lag < 0:
                raise ConfigError("ATRIUM_READY_MAX_QUEUE_LAG: must be 0 or more")
        return cls(metrics_token=token, metrics_allow=allow, ready_max_queue_lag=lag)

    def address_allowed(self, host: str | None) -> bool:
        """Whether a scrape from `host` (the connection's address) needs no token."""
        if not host:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.metrics_allow)
