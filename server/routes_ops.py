"""Operations routes: `/healthz` (liveness), `/readyz` (readiness), `/metrics` (Prometheus).

- `/healthz` answers 200 while the process can answer at all; it touches nothing else, so a slow
  database never gets a healthy process restarted.
- `/readyz` answers 200 when this process should receive traffic (ops_checks.readiness), 503 with
  the failing check otherwise.
- `/metrics` is served to the addresses of `ATRIUM_METRICS_ALLOW` (loopback by default) when the
  request did not come through a proxy, or to anyone presenting `Authorization: Bearer
  $ATRIUM_METRICS_TOKEN` (docs/OPERATIONS.md, "Monitoring").
"""

from __future__ import annotations

import hmac

import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from . import metrics_share
from .context import Context
from .metrics import registry_of
from .ops_checks import database_metrics, readiness, update_process_metrics
from .ops_settings import OpsSettings

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
_FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
_NO_STORE = {"Cache-Control": "no-store"}


def ops_settings(ctx: Context) -> OpsSettings:
    """The operations settings ops_wiring read at start (read now if it did not run)."""
    found = ctx.extras.get("ops")
    if not isinstance(found, OpsSettings):
        found = ctx.extras["ops"] = OpsSettings.from_env()
    return found


def _json(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=_NO_STORE)


async def healthz(request: Request) -> Response:
    return _json({"status": "ok"})


async def readyz(request: Request) -> Response:
    ctx: Context = request.app.state.ctx
    ready, report = await readiness(ctx, ops_settings(ctx))
    return _json(report, 200 if ready else 503)


def may_scrape(request: Request, ops: OpsSettings) -> bool:
    """A valid bearer token, or an allowed address on a direct (not proxied) connection."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if ops.metrics_token and scheme.lower() == "bearer" and token:
        return hmac.compare_digest(token.strip().encode(), ops.metrics_token.encode())
    # Behind a reverse proxy on the same host every request comes from loopback: a request that
    # went through a proxy is never trusted for its address alone.
    if any(name in request.headers for name in _FORWARDING_HEADERS):
        return False
    return ops.address_allowed(request.client.host if request.client else None)


async def metrics(request: Request) -> Response:
    ctx: Context = request.app.state.ctx
    if not may_scrape(request, ops_settings(ctx)):
        return PlainTextResponse(
            "Metrics are served to allowed addresses, or with the bearer token of ATRIUM_METRICS_TOKEN.\n",
            status_code=403, headers={**_NO_STORE, "WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    registry = registry_of(request.app)
    update_process_metrics(registry)
    siblings = metrics_share.sibling_snapshots(ctx.settings.data_dir / "metrics")
    combined = registry.merged(siblings) if siblings else registry
    body = combined.render(await database_metrics(ctx))
    return Response(body, media_type=PROMETHEUS_TEXT, headers=_NO_STORE)


routes: list[BaseRoute] = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]
