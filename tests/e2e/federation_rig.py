"""Helpers for tests across several real instances: a company of named instances that allowlist each
other, API clients per employee (tokens minted with `atrium tokens create`), and waiting for state to
converge with a bounded poll (the instances' own workers deliver; nothing is mocked)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.rig import Instance, UserSpec, free_port, start_instance

T = TypeVar("T")


@dataclass(frozen=True)
class Site:
    """Where an instance runs when it has a name: `domain` served on `host:port` (TLS: see test_federation_tls)."""

    domain: str
    host: str
    port: int


def start_company(tmp_path: Path, layout: dict[str, list[UserSpec]], *, extra_env: dict[str, str] | None = None,
                  per_instance_env: dict[str, dict[str, str]] | None = None, serve_args: tuple[str, ...] = (),
                  sites: dict[str, Site] | None = None, tls_ca: str | None = None) -> dict[str, Instance]:
    """Start one instance per name, each allowlisting all the others (closed mode); by default each on
    127.0.0.1 and a free port, named by them, or as `sites` says."""
    sites = sites or {name: Site(f"127.0.0.1:{port}", "127.0.0.1", port)
                      for name, port in ((name, free_port()) for name in layout)}
    instances = {}
    for name, users in layout.items():
        peers = [site for other, site in sites.items() if other != name]
        env = {
            "ATRIUM_DOMAIN": sites[name].domain,
            "ATRIUM_PEERS": ",".join(p.domain for p in peers),
            # Loopback peers must be named with their address explicitly (SSRF rule).
            "ATRIUM_PEER_ADDRESSES": ",".join(f"{p.domain}={p.host}:{p.port}" for p in peers),
            "ATRIUM_WORKER_CONCURRENCY": "4",
        }
        env.update(extra_env or {})
        env.update((per_instance_env or {}).get(name, {}))
        instances[name] = start_instance(name, tmp_path, users=users, env=env, host=sites[name].host,
                                         port=sites[name].port, serve_args=serve_args, tls_ca=tls_ca)
    return instances


# The three subsidiaries most scenarios use: one colleague each.
THREE_SUBSIDIARIES = {
    "paris": [UserSpec("alice", department="Sales")],
    "lyon": [UserSpec("bob", department="Engineering")],
    "montreal": [UserSpec("carol", department="Support")],
}


@contextlib.contextmanager
def running_company(tmp_path: Path, layout: dict[str, list[UserSpec]], **options: Any) -> Iterator[dict[str, Instance]]:
    """`start_company` for a `with` block (or a fixture): every instance is stopped at the end."""
    instances = start_company(tmp_path, layout, **options)
    try:
        yield instances
    finally:
        for instance in instances.values():
            instance.stop()


@dataclass
class Employee:
    """An employee's API session on their instance."""

    instance: Instance
    username: str
    token: str

    @property
    def handle(self) -> str:
        return f"@{self.username}@{self.instance.domain}"

    def _client(self) -> httpx.Client:
        return self.instance.client(base_url=self.instance.base_url,
                                    headers={"Authorization": f"Bearer {self.token}"}, timeout=30)

    def get(self, path: str, **params: Any) -> Any:
        with self._client() as client:
            response = client.get(path, params=params)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text[:500]}"
        return response.json()

    def post(self, path: str, expect: int = 200, **data: Any) -> Any:
        with self._client() as client:
            response = client.post(path, json=data)
        assert response.status_code == expect, f"POST {path}: {response.status_code} {response.text[:500]}"
        return response.json()

    def put(self, path: str, **data: Any) -> Any:
        with self._client() as client:
            response = client.put(path, json=data)
        assert response.status_code == 200, f"PUT {path}: {response.status_code} {response.text[:500]}"
        return response.json()

    def delete(self, path: str) -> Any:
        with self._client() as client:
            response = client.delete(path)
        assert response.status_code == 200, f"DELETE {path}: {response.status_code} {response.text[:500]}"
        return response.json()

    def resolve(self, other: Employee) -> dict[str, Any]:
        """The Account entity of `other`, as this employee's instance knows it (WebFinger on first use)."""
        found = self.get("/api/v2/search", q=other.handle, resolve="true", type="accounts")["accounts"]
        assert found, f"{self.handle} could not find {other.handle}"
        return found[0]

    def find_status(self, uri: str) -> dict[str, Any] | None:
        found = self.get("/api/v2/search", q=uri, resolve="true", type="statuses")["statuses"]
        return found[0] if found else None

    def home(self) -> list[dict[str, Any]]:
        return self.get("/api/v1/timelines/home", limit=40)

    def notifications(self) -> list[dict[str, Any]]:
        return self.get("/api/v1/notifications")


def employee(instance: Instance, username: str) -> Employee:
    token = instance.cli("tokens", "create", username, "--scopes", "read", "write", "follow").stdout.strip()
    return Employee(instance, username, token)


def eventually(check: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.2, what: str = "") -> T:
    """Poll `check` until it returns a truthy value without raising; bounded in time."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except AssertionError as exc:
            last_error = exc
        time.sleep(interval)
    raise AssertionError(f"not reached in {timeout}s: {what} (last: {last_error})")
