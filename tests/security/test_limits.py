"""SECURITY-CASES 15-18: limits. Oversized, deeply nested, huge-list and trickling input is refused or
bounded, the workers survive it, and nothing is buffered or fetched without bound."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

from activitypub.constants import ACTIVITY_JSON, AS_PUBLIC
from federation.handling import FETCH_BUDGET
from federation.httpsig import sign_request
from tests.federation.receiver import Answer
from tests.security.harness import BASE, PEER, World, activity, create, note
from tests.security.tally import TALLY

MIB = 1024 * 1024


async def test_case_15_an_inbox_body_over_one_mib_is_413_chunked_or_not_and_never_buffered(paris: World) -> None:
    bob = paris.remotes["bob"]
    padding = "x" * (MIB + 1 - len(json.dumps(create(bob, note(bob, 1) | {"content": ""}))))
    big = json.dumps(create(bob, note(bob, 1) | {"content": padding})).encode()
    assert len(big) == MIB + 1
    for path in ("/inbox", "/users/alice/inbox", "/actor/inbox"):
        headers = sign_request("POST", BASE + path, {"Content-Type": ACTIVITY_JSON}, big, bob.key_id, bob.private_key_pem)
        await paris.refused("15", f"1 MiB + 1 byte, signed, to {path}",
                            lambda h=headers, p=path: paris.client.post(p, content=big, headers=h), 413)
    # Chunked, with no Content-Length: the body is counted as it arrives and reading stops
    pulled = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(64):             # 4 MiB on offer
            pulled += 64 * 1024
            yield b"x" * (64 * 1024)

    for path in ("/inbox", "/users/alice/inbox"):
        pulled = 0
        headers = sign_request("POST", BASE + path, {"Content-Type": ACTIVITY_JSON}, b"", bob.key_id, bob.private_key_pem)
        headers.pop("Digest")
        response = await paris.refused("15", f"4 MiB chunked without Content-Length to {path}",
                                       lambda h=headers, p=path: paris.client.post(p, content=chunks(), headers=h), 413)
        assert "content-length" not in {k.lower() for k in response.request.headers}
        assert pulled <= MIB + 2 * 64 * 1024, f"{pulled} bytes were read for a 1 MiB limit"
    # A lying Content-Length is refused before reading
    await paris.refused("15", "a Content-Length of 10 GiB", lambda: paris.client.post(
        "/inbox", content=b"{}", headers={"Content-Length": str(10 << 30), "Content-Type": ACTIVITY_JSON}), (400, 413))


async def test_case_16_json_nested_100000_deep_is_400_never_500_and_the_worker_survives(paris: World) -> None:
    bob = paris.remotes["bob"]
    deep = b'{"id": "http://lyon.test/users/bob/deep/1", "type": "Create", "actor": "http://lyon.test/users/bob",' \
           b' "object": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    headers = sign_request("POST", BASE + "/inbox", {"Content-Type": ACTIVITY_JSON}, deep, bob.key_id, bob.private_key_pem)
    await paris.refused("16", "an inbox POST nested 100,000 deep", lambda: paris.client.post("/inbox", content=deep,
                                                                                          headers=headers), 400)
    deep_object = b'{"a": ' * 100_000 + b"1" + b"}" * 100_000
    for path in ("/api/v1/statuses", "/api/v1/accounts/update_credentials", "/api/v1/lists", "/oauth/token"):
        method = "PATCH" if "update_credentials" in path else "POST"
        await paris.refused("16", f"{path} with a JSON body nested 100,000 deep", lambda p=path, m=method: paris.client.request(
            m, p, content=deep_object, headers={**paris.api("alice"), "Content-Type": "application/json"}), 400)
    # Deep but under the parser's limit (1,000 levels): stored, then processed without harm (the
    # nested garbage is dropped, nothing crashes) and the worker goes on to the next activity
    for n, garbage in enumerate(("[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000), start=20):
        fields = {"attachment": "@G", "tag": "@G", "inReplyTo": "@G", "to": "@G"}
        body = json.dumps(create(bob, note(bob, n) | fields)).replace('"@G"', garbage).encode()
        assert (await paris.inbox(bob, body)).status_code == 202
        await paris.drain()
        state = await paris.db.fetchval("SELECT state FROM inbox_items ORDER BY id DESC LIMIT 1")
        assert state in ("done", "ignored")
    assert await paris.count("SELECT COUNT(*) FROM media_attachments") == 0
    paris.lyon.answers["/users/bob/notes/3"] = Answer(200, b"[" * 100_000 + b"]" * 100_000,
                                                      {"content-type": ACTIVITY_JSON})
    await paris.ignored("16", "a fetched document nested 100,000 deep",
                        lambda: paris.inbox(bob, activity(bob, "Announce", f"{bob.uri}/notes/3", 3, to=[AS_PUBLIC])),
                        fetches=(f"GET {bob.uri}/notes/3",))
    assert (await paris.inbox(bob, create(bob, note(bob, 4)))).status_code == 202
    await paris.drain()
    assert await paris.count("SELECT COUNT(*) FROM statuses WHERE uri = ?", f"{bob.uri}/notes/4") == 1
    assert paris.runtime.inbox_worker.errors == 0


async def test_case_17_huge_polls_tag_mention_and_recipient_lists_are_truncated_and_fetch_little(paris: World) -> None:
    bob = paris.remotes["bob"]
    n = 10_000
    unknown = [f"http://{PEER}/users/u{i}" for i in range(n)]
    question = note(bob, 1) | {
        "type": "Question", "endTime": "2099-01-01T00:00:00Z",
        "oneOf": [{"type": "Note", "name": f"option {i}"} for i in range(n)],
    }
    tagged = note(bob, 2) | {"tag": [{"type": "Hashtag", "name": f"#t{i}", "href": f"http://{PEER}/tags/t{i}"}
                                     for i in range(n)]}
    mentioning = note(bob, 3) | {"tag": [{"type": "Mention", "href": u} for u in unknown]}
    addressed = note(bob, 4) | {"to": [AS_PUBLIC, *unknown[: n // 2]], "cc": unknown[n // 2 :]}
    replying = note(bob, 5) | {"inReplyTo": f"{bob.uri}/notes/404", "attachment": [
        {"type": "Image", "url": f"http://{PEER}/m/{i}.png"} for i in range(n)]}
    accounts_before = await paris.count("SELECT COUNT(*) FROM accounts")
    for obj, what in ((question, "a poll with 10,000 options"), (tagged, "10,000 hashtags"),
                      (mentioning, "10,000 mentions of unknown accounts"), (addressed, "10,000 recipients"),
                      (replying, "a reply to an unknown post with 10,000 attachments")):
        sent = len(paris.outgoing)
        before = await paris.snapshot()
        response = await paris.inbox(bob, create(bob, obj))
        await paris.drain()
        changed = paris.changes(before, await paris.snapshot())
        went = paris.outgoing[sent:]
        bounded = {
            "poll_options": await paris.db.fetchval("SELECT MAX(LENGTH(options)) FROM polls") or 0,
            "tags": await paris.count("SELECT COUNT(*) FROM status_tags"),
            "mentions": await paris.count("SELECT COUNT(*) FROM mentions"),
            "media": await paris.count("SELECT COUNT(*) FROM media_attachments"),
            "accounts": await paris.count("SELECT COUNT(*) FROM accounts"),
        }
        TALLY.attempt("17", what, response.status_code, 0, accepted=False)
        assert response.status_code == 202, f"{what}: {response.status_code} {len(json.dumps(obj))} bytes"
        assert len(went) <= FETCH_BUDGET, f"{what}: {len(went)} fetches"
        assert all(r.startswith(f"GET http://{PEER}/") for r in went)
        assert bounded["accounts"] == accounts_before, f"{what}: accounts created {changed}"
        assert bounded["tags"] <= 30 and bounded["mentions"] <= 50 and bounded["media"] <= 20, bounded
    options = json.loads(await paris.db.fetchval("SELECT options FROM polls"))
    assert 2 <= len(options) <= 20


async def test_case_18_a_trickling_or_oversized_peer_is_cut_off(paris: World) -> None:
    bob = paris.remotes["bob"]
    paris.runtime.http.deadline = 1.5          # the configured total deadline (30 s in production)
    paris.lyon.answers["/users/bob/notes/1"] = Answer(200, json.dumps(note(bob, 1)).encode(),
                                                      {"content-type": ACTIVITY_JSON}, trickle=1.0)
    paris.lyon.answers["/users/bob/notes/2"] = Answer(200, b" " * (2 * MIB) + json.dumps(note(bob, 2)).encode(),
                                                      {"content-type": ACTIVITY_JSON})
    paris.lyon.answers["/users/bob/notes/3"] = Answer(200, b" " * (2 * MIB), {"content-type": ACTIVITY_JSON},
                                                      trickle=0.0)
    for n, what in ((1, "a document trickled one byte a second"), (2, "a 2 MiB document"),
                    (3, "a 2 MiB document streamed without Content-Length")):
        started = time.monotonic()
        await paris.ignored("18", what, lambda n=n: paris.inbox(bob, activity(bob, "Announce", f"{bob.uri}/notes/{n}", n,
                                                                             to=[AS_PUBLIC])),
                            fetches=(f"GET {bob.uri}/notes/{n}",), states=("ignored", "queued"))
        assert time.monotonic() - started < 10, f"{what}: the fetch was not cut off"
    # A delivery to an inbox that trickles its answer is cut off too, and retried later
    paris.lyon.answers["/inbox"] = Answer(202, b"x" * 100, trickle=1.0)
    await paris.post("alice", "company news", "company")
    started = time.monotonic()
    await paris.drain()
    assert time.monotonic() - started < 10
    state = await paris.db.fetchval("SELECT state FROM deliveries")
    TALLY.attempt("18", "an inbox answering one byte a second", None, 0, accepted=state == "done")
    assert state == "queued"
