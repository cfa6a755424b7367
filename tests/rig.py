"""The test rig: real `atrium serve` processes on loopback ports, named like the company's
subsidiaries (`paris`, `lyon`, `montreal`), each with its own data folder and database.

    paris = start_instance("paris", tmp_path, users=[UserSpec("alice")])
    ...
    paris.stop()

Instances are plain processes talking real HTTP: what a test sees is what a user would see.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
ATRIUM = str(Path(sys.executable).parent / "atrium")
DEFAULT_PASSWORD = "correct horse battery staple"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class UserSpec:
    name: str
    password: str = DEFAULT_PASSWORD
    admin: bool = False
    department: str | None = None
    title: str | None = None
    manager: str | None = None
    display_name: str | None = None


@dataclass
class Instance:
    """One running instance."""

    name: str
    data_dir: Path
    host: str
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    users: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    serve_args: tuple[str, ...] = ()
    tls_ca: str | None = None  # the CA a test's own clients trust to reach it over TLS

    @property
    def domain(self) -> str:
        """Its public name: `host:port` unless ATRIUM_DOMAIN names it otherwise."""
        return self.env.get("ATRIUM_DOMAIN") or f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.env.get('ATRIUM_SCHEME', 'http')}://{self.domain}"

    def client(self, **kwargs: Any) -> httpx.Client:
        """An HTTP client for it; one named by a host name is reached on its address, as DNS would."""
        if self.domain == f"{self.host}:{self.port}":
            return httpx.Client(**kwargs)
        verify = ssl.create_default_context(cafile=self.tls_ca) if self.tls_ca else True
        return httpx.Client(transport=_Pinned(self.domain, self.host, self.port, verify=verify), **kwargs)

    def url(self, path: str) -> str:
        return self.base_url + path

    def cli(self, *args: str, input_text: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `atrium ARGS` against this instance's configuration."""
        result = subprocess.run(
            [ATRIUM, *args], env=self.env, cwd=self.data_dir, input=input_text, capture_output=True, text=True,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"atrium {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    def create_user(self, spec: UserSpec) -> None:
        args = ["users", "create", spec.name, "--password-stdin"]
        if spec.admin:
            args.append("--admin")
        for flag, value in (("--department", spec.department), ("--title", spec.title),
                            ("--manager", spec.manager), ("--display-name", spec.display_name)):
            if value:
                args += [flag, value]
        self.cli(*args, input_text=spec.password + "\n")
        self.users[spec.name] = spec.password

    def start(self, timeout: float = 30.0) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        self.log_path = self.data_dir / "serve.log"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [ATRIUM, "serve", "--host", self.host, "--port", str(self.port), *self.serve_args],
            env=self.env, cwd=self.data_dir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited at start:\n{self.log()}")
            try:
                with self.client(timeout=1.0) as client:
                    if client.get(self.url("/nodeinfo/2.0")).status_code == 200:
                        return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} did not start in {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        """Graceful stop (SIGTERM), as an operator would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def kill(self) -> None:
        """kill -9: the crash a durable queue must survive."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:] if self.log_path and self.log_path.exists() else ""

    @property
    def database_path(self) -> Path:
        return self.data_dir / "atrium.db"


class _Pinned(httpx.HTTPTransport):
    """Requests for `name` go to `host:port`, keeping the name for Host and TLS (SNI, verification)."""

    def __init__(self, name: str, host: str, port: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._name, self._host, self._port = name, host, port

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.netloc.decode() == self._name:
            # A copy: the caller's request (and so response.url) keeps the name.
            request = httpx.Request(
                request.method, request.url.copy_with(host=self._host, port=self._port), headers=request.headers,
                stream=request.stream, extensions={**request.extensions, "sni_hostname": request.url.host},
            )
        return super().handle_request(request)


def instance_env(name: str, data_dir: Path, host: str, port: int, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATRIUM_")}
    env.update({
        "ATRIUM_DOMAIN": f"{host}:{port}",
        "ATRIUM_SCHEME": "http",
        "ATRIUM_DATA_DIR": str(data_dir),
        "ATRIUM_INSTANCE_NAME": name.capitalize(),
        "ATRIUM_COMPANY_AUDIENCE": "https://company.atrium.test/ns/members",
        "ATRIUM_LOG_LEVEL": "warning",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra or {})
    return env


def start_instance(
    name: str,
    tmp_path: Path,
    *,
    users: list[UserSpec] | tuple[UserSpec, ...] = (),
    env: Mapping[str, str] | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    start: bool = True,
    serve_args: tuple[str, ...] = (),
    tls_ca: str | None = None,
) -> Instance:
    """Create an instance's data folder and users, then start serving it."""
    data_dir = tmp_path / name
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port(host)
    instance = Instance(name, data_dir, host, port, instance_env(name, data_dir, host, port, env), serve_args=serve_args,
                        tls_ca=tls_ca)
    for spec in users:
        instance.create_user(spec)
    if start:
        instance.start()
    return instance
