"""Prometheus metrics: a small registry (counters, gauges, histograms) and the ASGI middleware that
counts requests by route and status and times them.

Prometheus text exposition format 0.0.4
(https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).

`atrium serve --workers N` runs N processes behind one port, and a scrape reaches any one of them.
So each process also writes its figures to `<data dir>/metrics/<host>-<pid>.json` every few seconds
(`ops_wiring`), and the process answering a scrape adds the live files of its siblings to its own:
the counters a scrape sees are the instance's, not one worker's.

Other subsystems count things through the registry in `ctx.extras["metrics"]`:

    ctx.extras["metrics"].counter("atrium_inbox_verifications_total", "…", ("result",)).inc("ok")
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import access_log
from .access_log import RequestRecord

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"

Labels = tuple[str, ...]


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _labels(names: Sequence[str], values: Sequence[str], extra: Iterable[tuple[str, str]] = ()) -> str:
    pairs = [*zip(names, values, strict=True), *extra]
    if not pairs:
        return ""
    return "{" + ",".join(f'{n}="{_escape_label(str(v))}"' for n, v in pairs) + "}"


@dataclass
class _Metric:
    name: str
    help: str
    labelnames: Labels = ()

    kind = "untyped"

    def _key(self, values: Sequence[Any]) -> Labels:
        if len(values) != len(self.labelnames):
            raise ValueError(f"{self.name} takes labels {self.labelnames}, got {tuple(values)}")
        return tuple(str(v) for v in values)

    def lines(self) -> list[str]:
        return []

    def header(self) -> list[str]:
        help_text = self.help.replace("\\", "\\\\").replace("\n", "\\n")
        return [f"# HELP {self.name} {help_text}", f"# TYPE {self.name} {self.kind}"]


@dataclass
class Counter(_Metric):
    """A value that only goes up (per label values)."""

    values: dict[Labels, float] = field(default_factory=dict)
    kind = "counter"

    def inc(self, *labels: Any, amount: float = 1.0) -> None:
        if amount < 0:
            raise ValueError("a counter cannot go down")
        key = self._key(labels)
        self.values[key] = self.values.get(key, 0.0) + amount

    def lines(self) -> list[str]:
        return [f"{self.name}{_labels(self.labelnames, k)} {_number(v)}" for k, v in sorted(self.values.items())]


@dataclass
class Gauge(_Metric):
    """A value that goes up and down (per label values)."""

    values: dict[Labels, float] = field(default_factory=dict)
    kind = "gauge"

    def set(self, value: float, *labels: Any) -> None:
        self.values[self._key(labels)] = float(value)

    def inc(self, *labels: Any, amount: float = 1.0) -> None:
        key = self._key(labels)
        self.values[key] = self.values.get(key, 0.0) + amount

    def dec(self, *labels: Any, amount: float = 1.0) -> None:
        self.inc(*labels, amount=-amount)

    def lines(self) -> list[str]:
        return [f"{self.name}{_labels(self.labelnames, k)} {_number(v)}" for k, v in sorted(self.values.items())]


@dataclass
class _Series:
    buckets: list[int]
    total: float = 0.0
    count: int = 0


@dataclass
class Histogram(_Metric):
    """Observations counted into buckets (cumulative on output), with their sum and count."""

    buckets: tuple[float, ...] = LATENCY_BUCKETS
    series: dict[Labels, _Series] = field(default_factory=dict)
    kind = "histogram"

    def observe(self, value: float, *labels: Any) -> None:
        key = self._key(labels)
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = _Series([0] * len(self.buckets))
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                series.buckets[i] += 1
                break
        series.total += value
        series.count += 1

    def lines(self) -> list[str]:
        out = []
        for key, series in sorted(self.series.items()):
            running = 0
            for bound, n in zip(self.buckets, series.buckets, strict=True):
                running += n
                out.append(f"{self.name}_bucket{_labels(self.labelnames, key, [('le', _number(bound))])} {running}")
            out.append(f"{self.name}_bucket{_labels(self.labelnames, key, [('le', '+Inf')])} {series.count}")
            out.append(f"{self.name}_sum{_labels(self.labelnames, key)} {_number(series.total)}")
            out.append(f"{self.name}_count{_labels(self.labelnames, key)} {series.count}")
        return out


class Registry:
    """The metrics of one process; `render` writes them in the text format."""

    def __init__(self) -> None:
        self._metrics: dict[str, _Metric] = {}

    def _get(self, cls: type[_Metric], name: str, help_text: str, labelnames: Sequence[str], **extra: Any) -> Any:
        found = self._metrics.get(name)
        if found is not None:
            if not isinstance(found, cls) or found.labelnames != tuple(labelnames):
                raise ValueError(f"metric {name} already exists with another type or labels")
            return found
        metric = cls(name, help_text, tuple(labelnames), **extra)
        self._metrics[name] = metric
        return metric

    def counter(self, name: str, help_text: str, labelnames: Sequence[str] = ()) -> Counter:
        return self._get(Counter, name, help_text, labelnames)

    def gauge(self, name: str, help_text: str, labelnames: Sequence[str] = ()) -> Gauge:
        return self._get(Gauge, name, help_text, labelnames)

    def histogram(self, name: str, help_text: str, labelnames: Sequence[str] = (),
                  buckets: Sequence[float] = LATENCY_BUCKETS) -> Histogram:
        return self._get(Histogram, name, help_text, labelnames, buckets=tuple(buckets))

    def metrics(self) -> list[_Metric]:
        return list(self._metrics.values())

    # Several processes: a JSON-able snapshot, and merging siblings' snapshots into a copy.
    def snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for metric in self._metrics.values():
            entry: dict[str, Any] = {"kind": metric.kind, "help": metric.help, "labels": list(metric.labelnames)}
            if isinstance(metric, Histogram):
                entry["buckets"] = list(metric.buckets)
                entry["series"] = [[list(k), s.buckets, s.total, s.count] for k, s in metric.series.items()]
            elif isinstance(metric, Counter | Gauge):
                entry["values"] = [[list(k), v] for k, v in metric.values.items()]
            out[metric.name] = entry
        return out

    def merged(self, snapshots: Iterable[dict[str, Any]]) -> Registry:
        """A new registry: this one plus the snapshots of other processes (values summed)."""
        result = Registry()
        for snap in [self.snapshot(), *snapshots]:
            for name, entry in snap.items():
                try:
                    _merge_entry(result, name, entry)
                except (ValueError, KeyError, TypeError, IndexError):
                    continue  # a sibling running another version: skip what does not fit
        return result

    def render(self, extra: Iterable[_Metric] = ()) -> str:
        lines: list[str] = []
        for metric in [*self._metrics.values(), *extra]:
            lines.extend(metric.header())
            lines.extend(metric.lines())
        return "\n".join(lines) + "\n"


def _merge_entry(result: Registry, name: str, entry: dict[str, Any]) -> None:
    labels = tuple(entry["labels"])
    if entry["kind"] == "histogram":
        hist = result.histogram(name, entry["help"], labels, entry["buckets"])
        if list(hist.buckets) != list(entry["buckets"]):
            raise ValueError("different buckets")
        for key, buckets, total, count in entry["series"]:
            series = hist.series.setdefault(tuple(key), _Series([0] * len(hist.buckets)))
            series.buckets = [a + int(b) for a, b in zip(series.buckets, buckets, strict=True)]
            series.total += float(total)
            series.count += int(count)
        return
    metric = result.counter(name, entry["help"], labels) if entry["kind"] == "counter" else result.gauge(
        name, entry["help"], labels
    )
    for key, value in entry["values"]:
        metric.values[tuple(key)] = metric.values.get(tuple(key), 0.0) + float(value)


# --- the request middleware ---------------------------------------------------------------------

def registry_of(app: Any) -> Registry:
    """The registry of the Starlette app (one per app, made on first use)."""
    state = app.state
    registry = getattr(state, "metrics", None)
    if registry is None:
        registry = Registry()
        state.metrics = registry
        define_request_metrics(registry)
    return registry


@dataclass(frozen=True)
class RequestMetrics:
    requests: Counter
    latency: Histogram
    in_flight: Gauge


def define_request_metrics(registry: Registry) -> RequestMetrics:
    return RequestMetrics(
        requests=registry.counter(
            "atrium_http_requests_total", "HTTP requests answered, by method, route and status.",
            ("method", "route", "status"),
        ),
        latency=registry.histogram(
            "atrium_http_request_duration_seconds", "Time to answer an HTTP request, by method and route.",
            ("method", "route"),
        ),
        in_flight=registry.gauge("atrium_http_requests_in_flight", "HTTP requests being answered now."),
    )


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/users/{username}`), never the raw path: one series per
    route whatever the URLs clients send."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED
    # Inside a Mount, root_path grew by the mount's prefix; app_root_path is where it started.
    root = scope.get("root_path", "")
    prefix = root[len(scope.get("app_root_path", root)):]
    if isinstance(route, Mount):
        # Nothing inside the mount matched: its prefix (already in root_path) is the template.
        return prefix or path or "/"
    return (prefix + path) or "/"


class MetricsMiddleware:
    """Counts and times every HTTP request by route template and status; hands each finished request
    to the access log. Place it right after RequestIdMiddleware so the request id is known."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        metrics = define_request_metrics(registry_of(scope["app"]))
        started = time.perf_counter()
        status = 500
        sent = 0
        token = access_log.bind_request_id(scope.get("state", {}).get("request_id"))

        async def observing_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        metrics.in_flight.inc()
        try:
            await self.app(scope, receive, observing_send)
        finally:
            metrics.in_flight.dec()
            elapsed = time.perf_counter() - started
            method = scope.get("method", "GET")
            method = method if method in _METHODS else "OTHER"
            route = route_template(scope)
            metrics.requests.inc(method, route, str(status))
            metrics.latency.observe(elapsed, method, route)
            client = scope.get("client")
            access_log.log_request(RequestRecord(
                method=method, path=scope.get("path", ""), route=route, status=status, duration=elapsed,
                request_id=scope.get("state", {}).get("request_id"), client=client[0] if client else None,
                response_bytes=sent,
            ))
            access_log.unbind_request_id(token)
