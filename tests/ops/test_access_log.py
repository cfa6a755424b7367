"""Request logs: one structured line per request, and the request id on every line of a request."""

from __future__ import annotations

import json
import logging

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from server.access_log import install_request_id_filter
from server.logging_setup import JsonFormatter
from server.metrics import MetricsMiddleware
from server.middleware import RequestIdMiddleware


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured():
    logger = logging.getLogger("atrium")
    handler = Capture()
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    install_request_id_filter(logger)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def make_app() -> Starlette:
    async def hello(request):
        logging.getLogger("atrium.test").warning("handling %s", request.path_params["name"])
        return PlainTextResponse("hello")

    async def healthz(request):
        return PlainTextResponse("ok")

    return Starlette(
        routes=[Route("/hello/{name}", hello), Route("/healthz", healthz)],
        middleware=[Middleware(RequestIdMiddleware), Middleware(MetricsMiddleware)],
    )


def test_every_line_of_a_request_carries_its_request_id(captured):
    with TestClient(make_app(), client=("192.0.2.10", 5000)) as client:
        response = client.get("/hello/alice")
    request_id = response.headers["x-request-id"]
    handled = next(r for r in captured.records if r.name == "atrium.test")
    access = next(r for r in captured.records if r.name == "atrium.access")
    assert handled.request_id == request_id
    line = json.loads(captured.format(access))
    assert line["logger"] == "atrium.access"
    assert line["level"] == "info"
    assert line["message"].startswith("GET /hello/alice 200 ")
    assert line["request_id"] == request_id
    assert (line["method"], line["path"], line["status"]) == ("GET", "/hello/alice", 200)
    assert line["duration_ms"] >= 0
    assert (access.route, access.client, access.response_bytes) == ("/hello/{name}", "192.0.2.10", 5)


def test_lines_outside_a_request_have_no_request_id(captured):
    logging.getLogger("atrium.test").warning("starting")
    assert not hasattr(captured.records[-1], "request_id")
    assert "request_id" not in json.loads(captured.format(captured.records[-1]))


def test_successful_probes_are_logged_at_debug_only(captured):
    with TestClient(make_app()) as client:
        client.get("/healthz")
        client.get("/hello/bob")
    levels = {r.path: r.levelno for r in captured.records if r.name == "atrium.access"}
    assert levels == {"/healthz": logging.DEBUG, "/hello/bob": logging.INFO}
