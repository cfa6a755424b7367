"""ActivityPub actors, objects, collections and discovery through the ASGI app."""

from __future__ import annotations

import asyncio

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.services import statuses as status_service
from server.services.accounts import create_account
from server.services.statuses import PostInput
from storage import accounts
from tests.conftest import make_settings

AP = {"Accept": "application/activity+json"}


@pytest.fixture
def client(tmp_path):
    # Open mode: unsigned fetches are anonymous (closed mode refuses them; see the test below).
    app = create_app(make_settings(tmp_path, ATRIUM_FEDERATION_MODE="open"), run_subsystems=False)
    with TestClient(app, base_url="http://paris.test") as test_client:
        yield test_client


def run(client, coro_factory):
    """Run service code against the app's own context (same database)."""
    ctx = client.app.state.ctx
    return client.portal.call(coro_factory, ctx)


def make_alice(client):
    async def make(ctx):
        created = await create_account(ctx, "alice", password="a long password", department="Sales", title="Manager")
        return await accounts.get(ctx.db, created.account_id)

    return run(client, make)


def test_actor_documents_for_machines_and_a_redirect_for_browsers(client):
    make_alice(client)
    machine = client.get("/users/alice", headers=AP)
    assert machine.status_code == 200
    assert machine.headers["content-type"].startswith("application/activity+json")
    actor = machine.json()
    assert actor["type"] == "Person"
    assert actor["id"] == "http://paris.test/users/alice"
    assert actor["inbox"] == "http://paris.test/users/alice/inbox"
    assert actor["endpoints"]["sharedInbox"] == "http://paris.test/inbox"
    assert actor["publicKey"]["id"] == "http://paris.test/users/alice#main-key"
    assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert {"name": "Department", "type": "PropertyValue", "value": "Sales"} in actor["attachment"]
    ld = client.get("/users/alice", headers={"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'})
    assert ld.json()["id"] == actor["id"]
    browser = client.get("/users/alice", headers={"Accept": "text/html"}, follow_redirects=False)
    assert browser.status_code == 302
    assert browser.headers["location"] == "http://paris.test/@alice"


def test_webfinger_finds_accounts_by_acct_and_by_url(client):
    make_alice(client)
    by_acct = client.get("/.well-known/webfinger", params={"resource": "acct:alice@paris.test"})
    assert by_acct.status_code == 200
    assert by_acct.headers["access-control-allow-origin"] == "*"
    jrd = by_acct.json()
    assert jrd["subject"] == "acct:alice@paris.test"
    assert {"rel": "self", "type": "application/activity+json", "href": "http://paris.test/users/alice"} in jrd["links"]
    by_url = client.get("/.well-known/webfinger", params={"resource": "http://paris.test/users/alice"})
    assert by_url.json()["subject"] == "acct:alice@paris.test"
    assert client.get("/.well-known/webfinger", params={"resource": "acct:nobody@paris.test"}).status_code == 404
    assert client.get("/.well-known/webfinger", params={"resource": "acct:alice@elsewhere.test"}).status_code == 404
    missing = client.get("/.well-known/webfinger")
    assert missing.status_code == 400
    assert "resource" in missing.json()["error"]


def test_nodeinfo_reports_real_usage(client):
    alice = make_alice(client)
    run(client, lambda ctx: status_service.create_status(ctx, alice, PostInput(text="first")))
    links = client.get("/.well-known/nodeinfo").json()["links"]
    assert [link["href"] for link in links] == ["http://paris.test/nodeinfo/2.0", "http://paris.test/nodeinfo/2.1"]
    info = client.get("/nodeinfo/2.1").json()
    assert info["software"]["name"] == "atrium"
    assert info["usage"]["users"]["total"] == 1
    assert info["usage"]["users"]["activeMonth"] == 1
    assert info["usage"]["localPosts"] == 1
    assert "host-meta" not in client.get("/.well-known/host-meta").text
    assert "/.well-known/webfinger?resource={uri}" in client.get("/.well-known/host-meta").text


def test_public_posts_are_served_and_limited_ones_are_not(client):
    alice = make_alice(client)
    public = run(client, lambda ctx: status_service.create_status(ctx, alice, PostInput(text="hello #world")))
    limited = {
        v: run(client, lambda ctx, v=v: status_service.create_status(ctx, alice, PostInput(text=v, visibility=v)))
        for v in ("followers", "direct", "company", "local")
    }
    note = client.get(f"/users/alice/statuses/{public}", headers=AP)
    assert note.status_code == 200
    assert note.json()["type"] == "Note"
    assert note.json()["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert note.json()["tag"][0]["name"] == "#world"
    for visibility, status_id in limited.items():
        assert client.get(f"/users/alice/statuses/{status_id}", headers=AP).status_code == 404, visibility


def test_outbox_and_followers_are_paged_collections(client):
    alice = make_alice(client)
    for n in range(25):
        run(client, lambda ctx, n=n: status_service.create_status(ctx, alice, PostInput(text=f"post {n}")))
    run(client, lambda ctx: status_service.create_status(ctx, alice, PostInput(text="secret", visibility="followers")))
    outbox = client.get("/users/alice/outbox", headers=AP).json()
    assert outbox["type"] == "OrderedCollection"
    assert outbox["totalItems"] == 26
    first = client.get(outbox["first"].replace("http://paris.test", ""), headers=AP).json()
    assert first["type"] == "OrderedCollectionPage"
    assert len(first["orderedItems"]) == 20
    assert all(item["type"] == "Create" for item in first["orderedItems"])
    second = client.get(first["next"].replace("http://paris.test", ""), headers=AP).json()
    contents = [i["object"]["content"] for i in first["orderedItems"] + second["orderedItems"]]
    assert len(contents) == 25 and "<p>secret</p>" not in contents
    followers = client.get("/users/alice/followers", headers=AP).json()
    assert followers["type"] == "OrderedCollection" and followers["totalItems"] == 0


def test_errors_are_clear_statuses_never_tracebacks(client):
    assert client.get("/users/nobody", headers=AP).status_code == 404
    assert client.get("/users/nobody", headers=AP).json() == {"error": "No such account"}
    assert client.get("/users/alice/statuses/notanumber", headers=AP).status_code == 404
    assert client.delete("/.well-known/nodeinfo").status_code == 405
    too_big = client.post("/inbox", content=b"x" * (1024 * 1024 + 1), headers={"Content-Type": "application/activity+json"})
    assert too_big.status_code == 413
    page = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Traceback" not in page.text


def test_security_headers_are_on_every_response(client):
    response = client.get("/nodeinfo/2.0")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"]


def test_the_chunked_body_limit_holds_without_content_length(tmp_path):
    from server.middleware import BodyLimitMiddleware

    received = []

    async def app(scope, receive, send):
        while True:
            message = await receive()
            received.append(len(message.get("body", b"")))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    limited = BodyLimitMiddleware(app, make_settings(tmp_path))
    chunks = [{"type": "http.request", "body": b"x" * 65536, "more_body": True} for _ in range(20)]
    sent = []

    async def receive():
        return chunks.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": "/inbox", "method": "POST", "headers": []}
    asyncio.run(limited(scope, receive, send))
    assert sent[0]["status"] == 413
    assert sum(received) <= 1024 * 1024  # never buffered past the limit


def test_closed_mode_serves_documents_only_to_signed_requests(tmp_path):
    app = create_app(make_settings(tmp_path), run_subsystems=False)
    with TestClient(app, base_url="http://paris.test") as closed:
        make_alice(closed)
        for path in ("/users/alice", "/users/alice/outbox", "/users/alice/followers", "/users/alice/following"):
            response = closed.get(path, headers=AP)
            assert response.status_code == 401, path
            assert "signed requests" in response.json()["error"]
        # The instance actor stays readable: peers need its key to verify our signed fetches.
        assert closed.get("/actor", headers=AP).status_code == 200
        # Browsers are sent to the HTML page, which has its own sign-in.
        assert closed.get("/users/alice", headers={"Accept": "text/html"}, follow_redirects=False).status_code == 302
