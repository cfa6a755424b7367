"""server/inbox_fast.py: inbox POSTs served ahead of the router keep the app's duties (request id,
security headers, metrics by route template, body limits, JSON errors and never a traceback)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from server import inbox_fast, routes_federation
from server.app import create_app
from server.metrics import registry_of
from tests.conftest import make_settings


@pytest.fixture
def client(tmp_path):
    # No subsystems: federation is not running, so a well-formed inbox POST is answered 503.
    app = create_app(make_settings(tmp_path), run_subsystems=False)
    with TestClient(app, base_url="http://paris.test", raise_server_exceptions=False) as test_client:
        yield test_client


def test_inbox_posts_get_the_apps_headers_json_errors_and_metrics(client):
    shared = client.post("/inbox", content=b"{}", headers={"Content-Type": "application/activity+json"})
    assert shared.status_code == 503
    assert shared.json() == {"error": "Federation is not running on this process"}
    assert shared.headers["content-type"] == "application/json"
    assert len(shared.headers["x-request-id"]) == 16
    assert "frame-ancestors 'none'" in shared.headers["content-security-policy"]
    assert shared.headers["x-content-type-options"] == "nosniff"
    nobody = client.post("/users/nobody/inbox", content=b"{}")
    assert nobody.status_code == 404 and nobody.json() == {"error": "No such account"}
    rendered = registry_of(client.app).render()
    assert 'atrium_http_requests_total{method="POST",route="/inbox",status="503"} 1' in rendered
    assert 'route="/users/{username}/inbox",status="404"} 1' in rendered
    assert "/users/nobody" not in rendered   # one series per route, never per URL


def test_body_limits_hold_on_the_lean_path(client, monkeypatch):
    huge = client.post("/inbox", content=b"{}", headers={"Content-Length": str(10 << 30)})
    assert huge.status_code == 413 and huge.json() == {"error": "Request body too large"}
    bad = client.post("/inbox", content=b"{}", headers={"Content-Length": "lots"})
    assert bad.status_code == 400 and bad.json() == {"error": "Invalid Content-Length"}
    # Chunked, no Content-Length, federation running: counted as it arrives, refused past the limit
    # (tests/security/test_limits.py checks that reading stops there, through an async client).
    monkeypatch.setattr(routes_federation, "runtime_of", lambda ctx: object())
    big = b"x" * (client.app.state.settings.max_body_bytes + 1)
    chunked = client.post("/inbox", content=iter([big[:65536], big[65536:]]), headers={"Host": "paris.test"})
    assert "content-length" not in chunked.request.headers
    assert chunked.status_code == 413 and chunked.json() == {"error": "Request body too large"}


def test_other_methods_and_paths_still_go_through_the_router(client):
    assert client.get("/inbox", headers={"Accept": "application/json"}).status_code == 405
    assert client.post("/inbox/extra", content=b"{}").status_code in (404, 405)


def test_an_unexpected_failure_is_a_json_500_with_the_request_id_never_a_traceback(client, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(inbox_fast, "answer_inbox", broken)
    response = client.post("/inbox", content=b"{}")
    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    assert response.json() == {"error": f"Something went wrong on our side (request {request_id})"}
    assert "secret" not in response.text and "Traceback" not in response.text


def test_the_starlette_routes_give_the_same_answers_as_the_lean_path(client):
    # Without the lean path in front (an app built from the route tables alone), the same handler
    # core answers: same statuses and bodies.
    from starlette.applications import Starlette

    from server import errors

    bare = Starlette(routes=routes_federation.routes, exception_handlers={errors.HTTPError: errors.handle_http_error})
    bare.state.ctx = client.app.state.ctx
    with TestClient(bare, base_url="http://paris.test") as direct:
        for path, status in (("/inbox", 503), ("/users/nobody/inbox", 404), ("/actor/inbox", 503)):
            lean, routed = client.post(path, content=b"{}"), direct.post(path, content=b"{}")
            assert (lean.status_code, lean.json()) == (routed.status_code, routed.json())
            assert lean.status_code == status
