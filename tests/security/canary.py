"""The SSRF canary: a listener on loopback that no test may ever reach.

It accepts on 127.0.0.1 (and ::1 when the host has IPv6) on a random port, in a thread of its own
so it does not depend on any test's event loop, and records every connection it gets. The SSRF
cases aim at it (an allowlisted name resolving to it, redirects to it, literal addresses); the
session fixture asserts at the end that it was never touched.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field


@dataclass
class Canary:
    port: int
    hits: list[str] = field(default_factory=list)
    _sockets: list[socket.socket] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @classmethod
    def start(cls) -> Canary:
        v4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        v4.bind(("127.0.0.1", 0))
        canary = cls(port=v4.getsockname()[1])
        canary._sockets.append(v4)
        with contextlib.suppress(OSError):
            v6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            v6.bind(("::1", canary.port))
            canary._sockets.append(v6)
        for sock in canary._sockets:
            sock.listen(16)
            sock.settimeout(0.2)
            thread = threading.Thread(target=canary._accept, args=(sock,), daemon=True, name="ssrf-canary")
            thread.start()
            canary._threads.append(thread)
        return canary

    def _accept(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.hits.append(f"{peer[0]}:{peer[1]}")
            with contextlib.suppress(OSError):
                conn.settimeout(0.5)
                first = conn.recv(200)
                if first:
                    self.hits[-1] += " " + first.split(b"\r\n", 1)[0].decode("latin-1")
                conn.close()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        for sock in self._sockets:
            sock.close()
