"""uvicorn's HTTP protocol, with idle connections dropped at shut-down instead of closed politely.

On a stop, uvicorn asks every connection to close and waits (up to `timeout_graceful_shutdown`)
until all are gone. Over TLS a polite close sends close_notify and waits for the peer's: a peer
instance's idle pooled connection never answers it, so each `atrium serve` stop over TLS waited the
whole 10 s (tests/e2e/test_federation_tls.py measured it). An idle connection has nothing left to
send, so it is aborted; one with a request in progress still finishes it, as before.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class ClosingHttpToolsProtocol(HttpToolsProtocol):
    def shutdown(self) -> None:
        idle = self.cycle is None or self.cycle.response_complete
        if idle and self.transport.get_write_buffer_size() == 0:
            self.transport.abort()
        else:
            super().shutdown()
