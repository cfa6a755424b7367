"""A real Mastodon client library (Mastodon.py) drives a real `atrium serve` on loopback: register an
app, authorize with PKCE through the browser page, post with a content warning, a poll and an image,
read timelines, favourite, boost, bookmark, search, stream over WebSocket and SSE, revoke."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from mastodon import CallbackStreamListener, Mastodon, MastodonUnauthorizedError
from PIL import Image
from websockets.sync.client import connect as websocket_connect

from tests.rig import DEFAULT_PASSWORD, Instance, UserSpec, start_instance

REDIRECT = "https://app.example/callback"
SCOPES = ["read", "write", "follow"]
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


@pytest.fixture
def paris(tmp_path: Path) -> Iterator[Instance]:
    instance = start_instance("paris", tmp_path, users=[
        UserSpec("alice", display_name="Alice Martin", department="Engineering"),
        UserSpec("carol", display_name="Carol Manager", department="Engineering"),
    ])
    try:
        yield instance
    finally:
        instance.stop()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def sign_in_on_the_page(browser: httpx.Client, url: str, username: str) -> str:
    """What a person does in the browser the app opened: sign in, approve; returns the code."""
    page = browser.get(url)
    assert page.status_code == 200, page.text
    csrf = CSRF.search(page.text)
    assert csrf is not None
    fields = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    answer = browser.post("/oauth/authorize", data={**fields, "csrf_token": csrf.group(1), "username": username,
                                                    "password": DEFAULT_PASSWORD, "decision": "approve"})
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT)
    assert parse_qs(urlsplit(location).query)["state"] == [fields["state"]]
    return parse_qs(urlsplit(location).query)["code"][0]


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (30, 144, 255)).save(out, format="PNG")
    return out.getvalue()


def wait_for(predicate: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def test_a_mastodon_app_session_from_login_to_revocation(paris: Instance) -> None:
    base = paris.base_url
    # Register an app, as Mastodon.py does
    client_id, client_secret = Mastodon.create_app("E2E Test App", scopes=SCOPES, redirect_uris=REDIRECT,
                                                   website="https://app.example", api_base_url=base)
    app = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
    # Authorize with PKCE: Mastodon.py builds the URL, we add the challenge and play the browser
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(8)
    url = app.auth_request_url(redirect_uris=REDIRECT, scopes=SCOPES, state=state, allow_http=True)
    url += "&" + urlencode({"code_challenge": challenge, "code_challenge_method": "S256"})
    with httpx.Client(base_url=base, follow_redirects=False) as browser:
        code = sign_in_on_the_page(browser, url, "alice")
    token = httpx.post(f"{base}/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": client_id,
        "client_secret": client_secret, "code_verifier": verifier, "scope": " ".join(SCOPES)}).json()["access_token"]
    alice = Mastodon(access_token=token, client_id=client_id, client_secret=client_secret, api_base_url=base,
                     version_check_mode="created")
    assert alice.verify_minimum_version("4.4.0")
    # Verify credentials
    me = alice.account_verify_credentials()
    assert me.username == "alice" and me.display_name == "Alice Martin" and me.source.privacy == "public"
    # Mastodon.py's own code flow (no PKCE) works too, for carol
    with httpx.Client(base_url=base, follow_redirects=False) as browser:
        carol_code = sign_in_on_the_page(
            browser, app.auth_request_url(redirect_uris=REDIRECT, scopes=SCOPES, state="c", allow_http=True), "carol")
    carol = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
    carol.log_in(code=carol_code, redirect_uri=REDIRECT, scopes=SCOPES, allow_http=True)
    assert carol.me().username == "carol"
    carol.account_follow(me.id)

    # Stream over WebSocket (multiplexed) and over SSE (Mastodon.py's stream_user)
    closing = contextlib.ExitStack()
    streaming_url = alice.instance_v2().configuration.urls.streaming
    socket = closing.enter_context(websocket_connect(f"{streaming_url}/api/v1/streaming",
                                                     additional_headers={"Authorization": f"Bearer {token}"}))
    socket.send(json.dumps({"type": "subscribe", "stream": "user"}))
    socket.send(json.dumps({"type": "subscribe", "stream": "public:local"}))
    sse_events: list[tuple[str, Any]] = []
    sse = alice.stream_user(CallbackStreamListener(
        update_handler=lambda status: sse_events.append(("update", status)),
        notification_handler=lambda notification: sse_events.append(("notification", notification)),
    ), run_async=True, timeout=30)
    wait_for(lambda: sse.is_receiving())
    time.sleep(0.5)   # let both streams subscribe before anything happens
    received: list[dict[str, Any]] = []

    def read_socket() -> None:
        try:
            while True:
                received.append(json.loads(socket.recv(timeout=30)))
        except Exception:   # closed at the end of the test, or timed out
            return

    reader = threading.Thread(target=read_socket, daemon=True)
    reader.start()

    # Post with a content warning and a poll (sent as JSON), and with an image (multipart upload)
    poll = alice.make_poll(["Canteen", "Park"], expires_in=3600)
    with_poll = alice.status_post("Where shall we have lunch?", spoiler_text="Food talk", poll=poll)
    assert with_poll.spoiler_text == "Food talk" and with_poll.sensitive is True
    assert [o.title for o in with_poll.poll.options] == ["Canteen", "Park"]
    media = alice.media_post(png_bytes(), mime_type="image/png", description="A blue rectangle")
    assert media.type == "image" and media.description == "A blue rectangle"
    with_image = alice.status_post("Our new office #paris", media_ids=[media], idempotency_key="e2e-1")
    again = alice.status_post("Our new office #paris", media_ids=[media], idempotency_key="e2e-1")
    assert again.id == with_image.id
    assert with_image.media_attachments[0].url.startswith(base + "/media/")
    assert httpx.get(with_image.media_attachments[0].url).headers["content-type"] == "image/webp"

    # Read home and local timelines
    home_ids = [s.id for s in alice.timeline_home()]
    assert with_image.id in home_ids and with_poll.id in home_ids
    assert [s.id for s in alice.timeline_local()][:2] == [with_image.id, with_poll.id]
    page = alice.timeline_home(limit=1)
    older = alice.fetch_next(page)
    assert older is not None and older[0].id == with_poll.id

    # Favourite, boost, bookmark (carol on alice's post), and alice is notified
    assert carol.status_favourite(with_image.id).favourited is True
    assert carol.status_reblog(with_image.id).reblog.id == with_image.id
    assert carol.status_bookmark(with_image.id).bookmarked is True
    assert [s.id for s in carol.bookmarks()] == [with_image.id]
    carol.poll_vote(with_poll.poll.id, [1])
    reply = carol.status_post("@alice the park! #lunch", in_reply_to_id=with_poll.id)
    types = [n.type for n in alice.notifications()]
    assert {"favourite", "reblog", "mention", "follow"} <= set(types)
    assert alice.poll(with_poll.poll.id).votes_count == 1
    assert [s.id for s in alice.status_context(with_poll.id).descendants] == [reply.id]

    # Search the colleague
    found = alice.search_v2("carol", result_type="accounts")
    assert [a.acct for a in found.accounts] == ["carol"]
    assert alice.account_lookup("carol").id == found.accounts[0].id

    # The streams delivered what happened
    wait_for(lambda: any(m.get("event") == "notification" for m in received)
             and any(m.get("event") == "update" and m["stream"] == ["public:local"] for m in received))
    assert any(json.loads(m["payload"])["id"] == with_image.id for m in received if m.get("event") == "update")
    wait_for(lambda: {kind for kind, _ in sse_events} >= {"update", "notification"})
    assert any(kind == "update" and item.id == with_image.id for kind, item in sse_events)
    closing.close()
    sse.close()
    reader.join(timeout=5)

    # Revoke the token: the API answers 401
    alice.revoke_access_token(allow_http=True)
    with pytest.raises(MastodonUnauthorizedError):
        Mastodon(access_token=token, api_base_url=base).account_verify_credentials()
    assert httpx.get(f"{base}/api/v1/timelines/home", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_token_minted_from_the_cli_works_for_a_bot(paris: Instance) -> None:
    token = paris.cli("tokens", "create", "alice", "--scopes", "read", "write:statuses").stdout.strip()
    bot = Mastodon(access_token=token, api_base_url=paris.base_url)
    posted = bot.status_post("Nightly build is green", visibility="unlisted")
    assert posted.visibility == "unlisted"
    with pytest.raises(Exception) as refused:
        bot.account_follow(posted.account.id)
    assert "outside the authorized scopes" in str(refused.value)


def test_following_and_hearing_from_a_colleague_on_another_instance(tmp_path: Path) -> None:
    from tests.e2e.federation_rig import eventually, start_company

    company = start_company(tmp_path, {"paris": [UserSpec("alice")], "lyon": [UserSpec("dan", display_name="Dan")]})
    try:
        paris, lyon = company["paris"], company["lyon"]

        def app_for(instance: Instance, username: str) -> Mastodon:
            token = instance.cli("tokens", "create", username, "--scopes", "read", "write", "follow").stdout.strip()
            return Mastodon(access_token=token, api_base_url=instance.base_url)

        alice, dan = app_for(paris, "alice"), app_for(lyon, "dan")
        # alice finds dan on the other instance (WebFinger through the API's search) and follows him
        dan_at_paris = alice.search_v2(f"@dan@{lyon.domain}", resolve=True, result_type="accounts").accounts[0]
        assert dan_at_paris.acct == f"dan@{lyon.domain}" and dan_at_paris.display_name == "Dan"
        alice.account_follow(dan_at_paris.id)
        eventually(lambda: alice.account_relationships(dan_at_paris.id)[0].following, what="follow accepted")
        # dan's posts reach her home timeline
        hello = dan.status_post("Hello from Lyon #intro")
        eventually(lambda: any(s.uri == hello.uri for s in alice.timeline_home()), what="dan's post at paris")
        # she answers his post; his reply to her answer notifies her, also on her stream
        hello_at_paris = next(s for s in alice.timeline_home() if s.uri == hello.uri)
        with websocket_connect(f"{alice.instance_v2().configuration.urls.streaming}/api/v1/streaming?stream=user",
                               additional_headers={"Authorization": f"Bearer {alice.access_token}"}) as socket:
            answer = alice.status_post("Welcome aboard!", in_reply_to_id=hello_at_paris.id)
            answer_at_lyon = eventually(
                lambda: next((n.status for n in dan.notifications() if n.type == "mention"), None),
                what="alice's answer at lyon")
            assert answer_at_lyon.uri == answer.uri and answer_at_lyon.in_reply_to_id == hello.id
            reply = dan.status_post("Thanks!", in_reply_to_id=answer_at_lyon.id)
            mention = eventually(lambda: next((n for n in alice.notifications() if n.type == "mention"), None),
                                 what="dan's reply notified at paris")
            assert mention.status.uri == reply.uri and mention.status.in_reply_to_id == answer.id
            assert mention.account.acct == f"dan@{lyon.domain}"
            streamed = json.loads(socket.recv(timeout=15))
            while streamed.get("event") != "notification":
                streamed = json.loads(socket.recv(timeout=15))
            assert json.loads(streamed["payload"])["status"]["uri"] == reply.uri
        # and she finds him by name
        assert f"dan@{lyon.domain}" in [a.acct for a in alice.search_v2("dan", result_type="accounts").accounts]
    finally:
        for instance in company.values():
            instance.stop()
