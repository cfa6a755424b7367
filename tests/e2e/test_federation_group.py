"""FEP-1b12 against a real `atrium serve`: an employee follows a Lemmy-style community, and what the
community relays (Announce of a member's Create, Update, Delete) reaches her home as a boost by the
community, with the text the member's own server serves, not the relay's.

The community is a small HTTP server in this test (Lemmy cannot run here): it answers WebFinger and
its documents the way Lemmy does (lemmy/group.json, lemmy/announce_create_page.json), accepts
follows, and signs what it sends with its own key.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from activitypub.constants import ACTIVITY_JSON, AS_PUBLIC
from federation.httpsig import generate_rsa_keypair, sign_request
from tests.e2e.federation_rig import employee, eventually
from tests.rig import UserSpec, free_port, start_instance


class Community:
    """A community (`/c/main`) and one member (`/u/alpha`) on one fake Lemmy host."""

    def __init__(self) -> None:
        self.port = free_port()
        self.domain = f"127.0.0.1:{self.port}"
        self.base = f"http://{self.domain}"
        self.group = f"{self.base}/c/main"
        self.member = f"{self.base}/u/alpha"
        self.private_pem, public_pem = generate_rsa_keypair()
        self.documents: dict[str, tuple[int, Any]] = {}
        self.received: list[dict[str, Any]] = []
        for uri, kind, name in ((self.group, "Group", "main"), (self.member, "Person", "alpha")):
            self.documents[urlsplit(uri).path] = (200, {
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": uri, "type": kind, "preferredUsername": name, "name": name.title(),
                "inbox": f"{uri}/inbox", "outbox": f"{uri}/outbox", "followers": f"{uri}/followers",
                "endpoints": {"sharedInbox": f"{self.base}/inbox"},
                "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": public_pem},
            })
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        community = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/.well-known/webfinger":
                    resource = parse_qs(url.query).get("resource", [""])[0]
                    if resource == f"acct:main@{community.domain}":
                        return self._answer(200, {"subject": resource, "links": [
                            {"rel": "self", "type": ACTIVITY_JSON, "href": community.group}]}, "application/jrd+json")
                status, document = community.documents.get(url.path, (404, {"error": "not found"}))
                self._answer(status, document, ACTIVITY_JSON)

            def do_POST(self) -> None:
                length = min(int(self.headers.get("content-length") or 0), 1 << 20)
                community.received.append(json.loads(self.rfile.read(length) or b"{}"))
                self._answer(202, {}, ACTIVITY_JSON)

            def _answer(self, status: int, document: Any, content_type: str) -> None:
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        return Handler

    def __enter__(self) -> Community:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def serve(self, uri: str, document: Any, status: int = 200) -> None:
        self.documents[urlsplit(uri).path] = (status, document)

    def send(self, inbox: str, activity: dict[str, Any]) -> None:
        """POST `activity` to `inbox`, signed by the community, as Lemmy does."""
        body = json.dumps(activity).encode()
        headers = sign_request("POST", inbox, {"Content-Type": ACTIVITY_JSON}, body, f"{self.group}#main-key",
                               self.private_pem)
        response = httpx.post(inbox, content=body, headers=headers, timeout=10)
        assert response.status_code in (200, 202), response.text

    def announce(self, inner: dict[str, Any], n: int) -> dict[str, Any]:
        return {"id": f"{self.base}/activities/announce/{n}", "type": "Announce", "actor": self.group,
                "to": [AS_PUBLIC], "cc": [f"{self.group}/followers"], "object": inner}


@pytest.fixture
def community() -> Iterator[Community]:
    with Community() as server:
        yield server


def test_an_employee_following_a_community_sees_what_it_relays(tmp_path, community):
    # Given paris federates with the community's host, and alice follows the community
    paris = start_instance("paris", tmp_path, users=[UserSpec("alice")], env={
        "ATRIUM_PEERS": community.domain, "ATRIUM_PEER_ADDRESSES": f"{community.domain}={community.domain}",
    })
    try:
        alice = employee(paris, "alice")
        found = alice.get("/api/v2/search", q=f"@main@{community.domain}", resolve="true", type="accounts")["accounts"]
        assert [a["acct"] for a in found] == [f"main@{community.domain}"] and found[0]["group"] is True
        alice.post(f"/api/v1/accounts/{found[0]['id']}/follow")
        follow = eventually(lambda: next((a for a in community.received if a.get("type") == "Follow"), None),
                            what="the community receives alice's follow")
        community.send(paris.url("/inbox"), {"id": f"{community.base}/activities/accept/1", "type": "Accept",
                                             "actor": community.group, "object": follow})
        eventually(lambda: alice.get("/api/v1/accounts/relationships", **{"id[]": found[0]["id"]})[0]["following"],
                   what="the community accepted alice")

        # When a member posts in the community and it relays the Create, with a text of its own
        post_uri = f"{community.base}/post/1"
        page = {"id": post_uri, "type": "Page", "attributedTo": community.member, "name": "Offsite agenda",
                "content": "<p>Day one: strategy</p>", "to": [community.group, AS_PUBLIC],
                "audience": community.group, "published": "2026-11-20T10:00:00Z"}
        community.serve(post_uri, page)
        create = {"id": f"{community.base}/activities/create/1", "type": "Create", "actor": community.member,
                  "to": [AS_PUBLIC], "cc": [community.group], "object": {**page, "content": "<p>forged</p>"}}
        community.send(paris.url("/inbox"), community.announce(create, 1))

        # Then alice's home shows the member's post, as its origin serves it, boosted by the community
        def relayed() -> dict[str, Any] | None:
            return next((s for s in alice.home() if s["reblog"] and s["reblog"]["uri"] == post_uri), None)

        boost = eventually(relayed, what="the relayed post in alice's home")
        assert boost["account"]["acct"] == f"main@{community.domain}"
        assert boost["reblog"]["account"]["acct"] == f"alpha@{community.domain}"
        assert "Day one: strategy" in boost["reblog"]["content"] and "forged" not in boost["reblog"]["content"]

        # When the member edits it, and the community relays the Update
        community.serve(post_uri, {**page, "content": "<p>Day one: strategy, then dinner</p>",
                                   "updated": "2026-11-20T11:00:00Z"})
        update = {"id": f"{community.base}/activities/update/1", "type": "Update", "actor": community.member,
                  "to": [AS_PUBLIC], "object": page}
        community.send(paris.url("/inbox"), community.announce(update, 2))
        # Then alice sees the edit
        eventually(lambda: "then dinner" in (relayed() or {"reblog": {"content": ""}})["reblog"]["content"],
                   what="the relayed edit")

        # When the member deletes it (the origin now answers 410) and the community relays the Delete
        community.serve(post_uri, {"id": post_uri, "type": "Tombstone"}, status=410)
        delete = {"id": f"{community.base}/activities/delete/1", "type": "Delete", "actor": community.member,
                  "to": [AS_PUBLIC], "object": post_uri}
        community.send(paris.url("/inbox"), community.announce(delete, 3))
        # Then it is gone from alice's home
        eventually(lambda: relayed() is None, what="the relayed delete")
    finally:
        paris.stop()
