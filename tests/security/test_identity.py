"""SECURITY-CASES 1-8: identity and origin. Who says they did something must be who signed it, and what
they talk about must live where they live."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image

from federation.http import HttpClient
from tests.federation.receiver import Answer
from tests.security.harness import AP, BASE, OUTSIDER, PEER, World, activity, create, note
from tests.security.tally import TALLY


async def test_case_01_a_create_of_an_object_on_another_host_than_the_signer_is_refused(paris: World) -> None:
    bob = paris.remotes["bob"]
    # Given bob@lyon signs a Create of a note that claims to live on evil.test (or on a second peer)
    forged = create(bob, note(bob, 1) | {"id": f"http://{OUTSIDER}/notes/1"}, activity_id=f"{bob.uri}/create/1")
    await paris.refused("01", "Create of an object on another host", lambda: paris.inbox(bob, forged), 403)
    # The same with the activity id on the other host, and both
    moved = create(bob, note(bob, 2), activity_id=f"http://{OUTSIDER}/create/2")
    await paris.refused("01", "activity id on another host", lambda: paris.inbox(bob, moved), 403)
    both = create(bob, note(bob, 3) | {"id": f"http://{OUTSIDER}/notes/3"}, activity_id=f"http://{OUTSIDER}/c/3")
    await paris.refused("01", "object and activity on another host", lambda: paris.inbox(bob, both), 403)
    # And the Update and Delete forms
    update = activity(bob, "Update", note(bob, 4) | {"id": f"http://{OUTSIDER}/notes/4"}, 4)
    await paris.refused("01", "Update of an object on another host", lambda: paris.inbox(bob, update), 403)
    delete = activity(bob, "Delete", f"http://{OUTSIDER}/notes/5", 5)
    await paris.refused("01", "Delete of an object on another host", lambda: paris.inbox(bob, delete), 403)


async def test_case_02_an_actor_other_than_the_key_owner_is_refused_before_any_side_effect(paris: World) -> None:
    bob, carl = paris.remotes["bob"], paris.remotes["carl"]
    alice_status = await paris.post("alice", "hello")
    alice_note = f"{BASE}/users/alice/statuses/{alice_status}"
    # carl@lyon signs activities that say bob@lyon did them
    for kind, obj in (("Create", note(bob, 10)), ("Like", alice_note), ("Follow", f"{BASE}/users/alice"),
                      ("Announce", alice_note), ("Delete", f"{bob.uri}/notes/10"), ("Undo", f"{bob.uri}/follows/alice"),
                      ("Update", bob.document())):
        forged = activity(bob, kind, obj, "by-carl")
        await paris.refused("02", f"{kind} by bob signed with carl's key",
                            lambda forged=forged: paris.inbox(carl, forged), 401)
    # Also when carl names bob's key id but signs with his own private key: the signature fails, so
    # Paris refetches bob's key once from lyon (SECURITY-CASES 13; `hosts` counts the refetch)
    forged = create(bob, note(bob, 11))
    await paris.refused("02", "bob's key id, carl's private key",
                        lambda: paris.inbox(carl, forged, key_id=bob.key_id, pem=carl.private_key_pem), 401,
                        fetches=(f"GET {bob.uri}",), ignore=frozenset({"hosts"}))


async def test_case_03_only_the_stored_owner_may_update_delete_or_undo(paris: World) -> None:
    bob, dave = paris.remotes["bob"], paris.remotes["dave"]
    # Given bob@lyon has a post here, likes alice's post, and follows alice
    assert (await paris.inbox(bob, create(bob, note(bob, 1)))).status_code == 202
    alice_note = f"{BASE}/users/alice/statuses/{await paris.post('alice', 'like me')}"
    assert (await paris.inbox(bob, activity(bob, "Like", alice_note, 1))).status_code == 202
    await paris.drain()
    bob_note = f"{bob.uri}/notes/1"
    # When dave@lyon (same host, valid signature) acts on bob's things, nothing changes
    hijacks = {
        "Update of bob's note as bob's": activity(dave, "Update", note(bob, 1) | {"content": "<p>pwned</p>"}, "u1"),
        "Update of bob's note as his own": activity(dave, "Update", note(bob, 1) | {"attributedTo": dave.uri,
                                                                                 "content": "<p>pwned</p>"}, "u2"),
        "Delete of bob's note": activity(dave, "Delete", bob_note, "d1"),
        "Delete of bob's note (Tombstone)": activity(dave, "Delete", {"id": bob_note, "type": "Tombstone"}, "d2"),
        "Undo of bob's follow by id": activity(dave, "Undo", f"{bob.uri}/follows/alice", "x1"),
        "Undo of bob's follow embedded": activity(dave, "Undo", {"id": f"{bob.uri}/follows/alice", "type": "Follow",
                                                                 "actor": bob.uri, "object": f"{BASE}/users/alice"}, "x2"),
        "Undo of bob's like": activity(dave, "Undo", f"{bob.uri}/likes/1", "x3"),
        "Update of bob's profile and key": activity(dave, "Update", bob.document(name="Pwned",
                                                    publicKey={"id": bob.key_id, "owner": bob.uri,
                                                               "publicKeyPem": dave.public_key_pem}), "p1"),
        "Delete of bob's actor": activity(dave, "Delete", bob.uri, "p2"),
        "Move of bob": activity(dave, "Move", bob.uri, "m1", target=dave.uri),
    }
    for what, forged in hijacks.items():
        await paris.ignored("03", what, lambda forged=forged: paris.inbox(dave, forged))
    row = await paris.db.fetchone("SELECT content FROM statuses WHERE uri = ?", (bob_note,))
    assert row is not None and "note 1" in row["content"]
    assert await paris.count("SELECT COUNT(*) FROM follows WHERE account_id = ? AND state = 'accepted'",
                             paris.id_of("bob")) == 1


async def test_case_04_a_fetched_object_with_another_id_is_discarded_and_redirects_are_checked(paris: World) -> None:
    bob = paris.remotes["bob"]
    lyon = paris.lyon
    # Given bob boosts posts Paris does not have, so Paris fetches them from lyon
    lyon.answers["/users/bob/notes/40"] = Answer.document(note(bob, 40) | {"id": f"http://{OUTSIDER}/notes/40"})
    lyon.answers["/users/bob/notes/41"] = Answer.document(note(bob, 41) | {"id": f"{bob.uri}/notes/41b"})
    lyon.answers["/users/bob/notes/41b"] = Answer.document(note(bob, 41) | {"id": f"{bob.uri}/notes/41c"})
    lyon.answers["/users/bob/notes/42"] = Answer(302, headers={"location": paris.canary.url("/latest/meta-data")})
    lyon.answers["/users/bob/notes/43"] = Answer(301, headers={"location": f"http://{OUTSIDER}/notes/43"})
    lyon.answers["/users/bob/notes/44"] = Answer(302, headers={"location": "/users/bob/notes/40"})
    url = f"http://{PEER}/users/bob/notes"
    cases = {
        40: ("an answer with an id on another host", (f"GET {url}/40",)),
        41: ("an answer naming another id, twice", (f"GET {url}/41", f"GET {url}/41b")),
        42: ("a redirect to a loopback address", (f"GET {url}/42",)),
        43: ("a redirect to a host outside the allowlist", (f"GET {url}/43",)),
        44: ("a redirect to a document whose id is not the URL asked", (f"GET {url}/44", f"GET {url}/40")),
    }
    for n, (what, fetches) in cases.items():
        boost = activity(bob, "Announce", f"{bob.uri}/notes/{n}", n, to=["https://www.w3.org/ns/activitystreams#Public"])
        await paris.ignored("04", what, lambda boost=boost: paris.inbox(bob, boost), fetches=fetches)
    assert await paris.count("SELECT COUNT(*) FROM statuses WHERE account_id = ?", paris.id_of("bob")) == 0


async def test_case_05_a_fetch_answered_with_another_content_type_is_discarded(paris: World) -> None:
    bob = paris.remotes["bob"]
    types = ["text/html", "application/json", "text/plain", "application/activity+json-x", "image/svg+xml",
             'application/ld+json; profile="https://evil.test/ns"', "application/ld+json"]
    for n, content_type in enumerate(types, start=50):
        paris.lyon.answers[f"/users/bob/notes/{n}"] = Answer.document(note(bob, n), content_type=content_type)
        boost = activity(bob, "Announce", f"{bob.uri}/notes/{n}", n, to=["https://www.w3.org/ns/activitystreams#Public"])
        await paris.ignored("05", f"a fetch answered {content_type}", lambda boost=boost: paris.inbox(bob, boost),
                            fetches=(f"GET http://{PEER}/users/bob/notes/{n}",))
    # (The two ActivityStreams types are accepted: the same document served properly is stored.)
    paris.lyon.answers["/users/bob/notes/60"] = Answer.document(note(bob, 60))
    boost = activity(bob, "Announce", f"{bob.uri}/notes/60", 60, to=["https://www.w3.org/ns/activitystreams#Public"])
    assert (await paris.inbox(bob, boost)).status_code == 202
    await paris.drain()
    assert await paris.count("SELECT COUNT(*) FROM statuses WHERE uri = ?", f"{bob.uri}/notes/60") == 1


def _files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


async def test_case_06_uploaded_media_is_never_served_as_activitystreams_nor_from_an_actor_path(paris: World) -> None:
    media_root = paris.ctx.settings.media_dir
    alice = paris.api("alice")
    actor_document = json.dumps({"@context": "https://www.w3.org/ns/activitystreams", "id": f"{BASE}/users/evil",
                                 "type": "Person", "inbox": f"http://{OUTSIDER}/inbox"}).encode()
    # Given uploads that are ActivityStreams documents under every disguise
    disguises = [
        ("actor.json", actor_document, "application/activity+json"),
        ("actor.png", actor_document, "image/png"),
        ("../../users/alice", actor_document, 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'),
        ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/svg+xml"),
        ("x.html", b"<html><script>alert(1)</script></html>", "text/html"),
    ]
    for name, data, content_type in disguises:
        files_before = _files_under(media_root)
        await paris.refused("06", f"upload of {name} as {content_type}",
                            lambda n=name, d=data, t=content_type: paris.client.post(
                                "/api/v2/media", headers=alice, files={"file": (n, d, t)}), 422)
        assert _files_under(media_root) == files_before
    # When a real image carries an ActivityStreams document after its end (a polyglot)
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 200, 30)).save(buffer, format="PNG")
    polyglot = buffer.getvalue() + actor_document
    uploaded = await paris.client.post("/api/v2/media", headers=alice,
                                       files={"file": ("actor.json", polyglot, "application/activity+json")})
    assert uploaded.status_code == 200, uploaded.text
    url = uploaded.json()["url"]
    path = url.removeprefix(BASE)
    # Then it is stored re-encoded under /media/attachments/, never at an actor-like path
    assert path.startswith("/media/attachments/") and path.endswith(".webp") and "/users/" not in path
    for accept in (AP["Accept"], "application/ld+json", "*/*"):
        served = await paris.client.get(path, headers={"Accept": accept})
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/webp"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in served.headers["content-security-policy"]
        assert actor_document not in served.content and served.content[:4] == b"RIFF"
    # And paths that look like actors or escape the folder are not served
    for probe in ("/media/users/alice", "/media/users/alice.json", "/media/%2e%2e/secret_key",
                  "/media/attachments/..%2f..%2fsecret_key", "/media/avatars/%2e%2e/%2e%2e/atrium.db"):
        response = await paris.client.get(probe, headers=AP)
        TALLY.attempt("06", f"GET {probe}", response.status_code, 0)
        assert response.status_code == 404, probe
        assert not response.headers.get("content-type", "").startswith(("application/activity+json", "application/ld+json"))


async def test_case_07_remote_activities_and_objects_claiming_our_host_are_refused(paris: World) -> None:
    bob = paris.remotes["bob"]
    ours = f"{BASE}/users/alice/statuses/1"
    attempts = {
        "a Create whose activity id is ours": create(bob, note(bob, 1), activity_id=f"{BASE}/activities/1"),
        "a Create of an object with our id": create(bob, note(bob, 2) | {"id": ours}, activity_id=f"{bob.uri}/c/2"),
        "an Update of an object with our id": activity(bob, "Update", note(bob, 3) | {"id": ours}, 3),
        "a Delete of our object": activity(bob, "Delete", ours, 4),
        "an Announce whose id is ours": activity(bob, "Announce", ours, 5) | {"id": f"{BASE}/users/bob/boost/5"},
    }
    for what, forged in attempts.items():
        await paris.refused("07", what, lambda forged=forged: paris.inbox(bob, forged), 403)
    # An actor on our host, signed with bob's key: not bob's actor (401); with a key id of ours: 401
    as_alice = create(bob, note(bob, 6)) | {"actor": f"{BASE}/users/alice"}
    await paris.refused("07", "an activity by one of our actors, signed by bob", lambda: paris.inbox(bob, as_alice), 401)
    await paris.refused("07", "a key id on our host", lambda: paris.inbox(bob, create(bob, note(bob, 7)),
                                                                         key_id=f"{BASE}/users/alice#main-key"), 401)


async def test_case_08_a_webfinger_answer_that_does_not_match_is_ignored(paris: World) -> None:
    lyon = paris.lyon
    bob = paris.remotes["bob"]
    answers = {
        "zed": ({"subject": "acct:bob@lyon.test", "links": [{"rel": "self", "type": AP["Accept"], "href": bob.uri}]},
                "a subject that is not the handle asked"),
        "yan": ({"subject": "acct:yan@lyon.test", "links": [{"rel": "self", "type": "text/html", "href": bob.uri}]},
                "a self link that is not ActivityPub"),
        "xia": ({"subject": "acct:xia@lyon.test", "links": [{"rel": "self", "type": AP["Accept"],
                                                             "href": f"{BASE}/users/alice"}]},
                "a self link to an actor of another host (ours)"),
        "wes": ({"subject": "acct:wes@lyon.test", "links": [{"rel": "http://webfinger.net/rel/profile-page",
                                                             "href": bob.uri}]},
                "no self link at all"),
    }
    accounts_before = await paris.count("SELECT COUNT(*) FROM accounts")
    for name, (jrd, what) in answers.items():
        lyon.answers["/.well-known/webfinger"] = Answer.document(jrd, content_type="application/jrd+json")
        response = await paris.refused(
            "08", what, lambda name=name: paris.client.get("/api/v2/search", headers=paris.api("alice"),
                                                         params={"q": f"@{name}@{PEER}", "resolve": "true"}),
            200, fetches=(f"GET http://{PEER}/.well-known/webfinger?resource=acct:{name}@{PEER}",),
            accepted=lambda r: bool(r.json()["accounts"]))
        assert response.json()["accounts"] == [], what
    assert await paris.count("SELECT COUNT(*) FROM accounts") == accounts_before
    assert isinstance(paris.runtime.http, HttpClient)
