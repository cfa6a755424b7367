"""Request logs: one line per answered request, and the request id on every log line of a request.

With `ATRIUM_LOG_JSON=true` each line is one JSON object (server/logging_setup.py), e.g.

    {"time": "…", "level": "info", "logger": "atrium.access", "message": "GET /users/alice 200 3.1ms",
     "request_id": "9f3c…", "method": "GET", "path": "/users/alice", "status": 200, "duration_ms": 3.1}

The request id is the one `RequestIdMiddleware` returns as `X-Request-Id`, so a user's report of a
failed page leads to its log lines. Probes and scrapes that succeed are logged at DEBUG only.
"""

from __future__ import annotations

import contextvars
import logging
from dataclasses import dataclass

log = logging.getLogger("atrium.access")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("atrium_request_id", default=None)
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


@dataclass
class RequestRecord:
    """What the metrics middleware measured about one request."""

    method: str
    path: str
    route: str
    status: int
    duration: float
    request_id: str | None
    client: str | None
    response_bytes: int


def bind_request_id(request_id: str | None) -> contextvars.Token[str | None]:
    """Make `request_id` the current request's id (for every log line until unbound)."""
    return _request_id.set(request_id)


def unbind_request_id(token: contextvars.Token[str | None]) -> None:
    _request_id.reset(token)


def current_request_id() -> str | None:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to records logged while a request is being answered."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            request_id = _request_id.get()
            if request_id is not None:
                record.request_id = request_id
        return True


def install_request_id_filter(logger: logging.Logger | None = None) -> RequestIdFilter:
    """Attach the filter to every handler of `logger` (the root logger by default), once."""
    target = logger or logging.getLogger()
    found = next((f for h in target.handlers for f in h.filters if isinstance(f, RequestIdFilter)), None)
    the_filter = found or RequestIdFilter()
    for handler in target.handlers:
        if the_filter not in handler.filters:
            handler.addFilter(the_filter)
    return the_filter


def log_request(record: RequestRecord) -> None:
    """One access-log line for an answered request."""
    level = logging.DEBUG if record.path in QUIET_PATHS and record.status < 400 else logging.INFO
    if not log.isEnabledFor(level):
        return
    duration_ms = round(record.duration * 1000, 1)
    log.log(
        level,
        "%s %s %d %.1fms",
        record.method, record.path, record.status, duration_ms,
        extra={
            "request_id": record.request_id,
            "method": record.method,
            "path": record.path,
            "route": record.route,
            "status": record.status,
            "duration_ms": duration_ms,
            "client": record.client,
            "response_bytes": record.response_bytes,
        },
    )
