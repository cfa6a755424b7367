"""SECURITY-CASES 9-14: signatures and replay. Every inbox POST and signed GET goes through the real
routes; the hostile headers are built by hand so each one breaks exactly one rule."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from activitypub.constants import ACTIVITY_JSON
from federation.httpsig import load_private_key, sign_request
from tests.federation.receiver import Answer
from tests.federation.rig import RemoteActor, keypair
from tests.security.harness import AP, BASE, DOMAIN, World, activity, create, note
from tests.security.tally import TALLY


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def cavage(actor: RemoteActor, method: str, path: str, body: bytes | None, *, signed: list[str],
           algorithm: str | None = "rsa-sha256", key_id: str | None = None, date: str | None = None,
           digest: str | None = None, host: str = DOMAIN, target: str | None = None,
           extra: dict[str, str] | None = None) -> dict[str, str]:
    """Headers of a draft-cavage signature over exactly `signed`, made by hand."""
    headers = {"Host": host, "Date": date if date is not None else http_date(datetime.now(UTC)), "Content-Type": ACTIVITY_JSON,
               "Accept": ACTIVITY_JSON, **(extra or {})}
    if body is not None:
        headers["Digest"] = digest or "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    lines = []
    for name in signed:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target or path}")
        else:
            lines.append(f"{name}: {headers[name.title() if name != 'content-type' else 'Content-Type']}")
    key = load_private_key(actor.private_key_pem)
    signature = base64.b64encode(key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    params = [f'keyId="{key_id if key_id is not None else actor.key_id}"']
    if algorithm is not None:
        params.append(f'algorithm="{algorithm}"')
    params += [f'headers="{" ".join(signed)}"', f'signature="{signature}"']
    headers["Signature"] = ",".join(params)
    return headers


FULL = ["(request-target)", "host", "date", "digest", "content-type"]


async def test_case_09_malformed_or_weak_signatures_are_401(paris: World) -> None:
    bob = paris.remotes["bob"]
    body = json.dumps(create(bob, note(bob, 1))).encode()
    good = cavage(bob, "POST", "/inbox", body, signed=FULL)

    def post(headers: dict[str, str], content: bytes = body):
        return lambda: paris.client.post("/inbox", content=content, headers=headers)

    without_key_id = dict(good, Signature=",".join(p for p in good["Signature"].split(",") if not p.startswith("keyId")))
    attempts = {
        "a Digest that does not match the body": post(good, body.replace(b"note 1", b"note 2")),
        "a Digest of another body": post(cavage(bob, "POST", "/inbox", body, signed=FULL,
                                                digest="SHA-256=" + base64.b64encode(hashlib.sha256(b"x").digest()).decode())),
        "a Digest present but not signed": post(cavage(bob, "POST", "/inbox", body,
                                                       signed=["(request-target)", "host", "date"])),
        "only date signed": post(cavage(bob, "POST", "/inbox", body, signed=["date"])),
        "no (request-target)": post(cavage(bob, "POST", "/inbox", body, signed=["host", "date", "digest"])),
        "no host": post(cavage(bob, "POST", "/inbox", body, signed=["(request-target)", "date", "digest"])),
        "an unknown algorithm": post(cavage(bob, "POST", "/inbox", body, signed=FULL, algorithm="rsa-md5")),
        "algorithm hmac-sha256": post(cavage(bob, "POST", "/inbox", body, signed=FULL, algorithm="hmac-sha256")),
        "keyId missing": post(without_key_id),
        "an empty keyId": post(cavage(bob, "POST", "/inbox", body, signed=FULL, key_id="")),
        "a keyId that is not a URL": post(cavage(bob, "POST", "/inbox", body, signed=FULL, key_id="bob")),
        "a malformed header": post(dict(good, Signature='keyId="x",,signature=')),
        "a repeated parameter": post(dict(good, Signature=good["Signature"] + f',keyId="{bob.key_id}"')),
        "a signature that is not base64": post(dict(good, Signature=good["Signature"].rsplit("signature=", 1)[0]
                                                    + 'signature="!!!"')),
        "a signature of someone else's bytes": post(dict(good, Signature=good["Signature"].rsplit("signature=", 1)[0]
                                                         + 'signature="' + base64.b64encode(b"\0" * 256).decode() + '"')),
        "no signature at all": post({"Content-Type": ACTIVITY_JSON, "Date": good["Date"], "Host": DOMAIN}),
        "a Digest with an unknown algorithm only": post(cavage(bob, "POST", "/inbox", body, signed=FULL,
                                                               digest="MD5=" + base64.b64encode(b"0" * 16).decode())),
    }
    for what, send in attempts.items():
        await paris.refused("09", what, send, 401, may_fetch=(f"GET {bob.uri}",), ignore=frozenset({"hosts"}))


async def test_case_10_a_signature_for_another_method_path_query_or_host_is_401(paris: World) -> None:
    bob = paris.remotes["bob"]
    body = json.dumps(create(bob, note(bob, 1))).encode()
    inbox_cases = {
        "signed for another path": cavage(bob, "POST", "/inbox", body, signed=FULL, target="/users/alice/inbox"),
        "signed for another method": cavage(bob, "PUT", "/inbox", body, signed=FULL),
        "signed for another query": cavage(bob, "POST", "/inbox", body, signed=FULL, target="/inbox?a=1"),
        "signed for another host": cavage(bob, "POST", "/inbox", body, signed=FULL, host="montreal.test"),
        "signed for our host on another port": cavage(bob, "POST", "/inbox", body, signed=FULL, host=f"{DOMAIN}:8443"),
    }
    for what, headers in inbox_cases.items():
        await paris.refused("10", f"inbox POST {what}", lambda h=headers: paris.client.post("/inbox", content=body, headers=h),
                            401, may_fetch=(f"GET {bob.uri}",), ignore=frozenset({"hosts"}))
    # The same for signed GETs of a company post (authorized fetch)
    status_id = await paris.post("alice", "company news", "company")
    path = f"/users/alice/statuses/{status_id}"
    get_cases = {
        "signed for another path": cavage(bob, "GET", path, None, signed=["(request-target)", "host", "date"],
                                          target="/users/alice"),
        "signed as a POST": cavage(bob, "POST", path, None, signed=["(request-target)", "host", "date"]),
        "signed for another query": cavage(bob, "GET", path, None, signed=["(request-target)", "host", "date"],
                                           target=f"{path}?page=1"),
        "signed for another host": cavage(bob, "GET", path, None, signed=["(request-target)", "host", "date"],
                                          host="montreal.test"),
    }
    for what, headers in get_cases.items():
        await paris.refused("10", f"signed GET {what}", lambda h=headers: paris.client.get(path, headers=h), 401,
                            may_fetch=(f"GET {bob.uri}",), ignore=frozenset({"hosts"}))
    # (A correct signature of the same GET is served: the refusals above are about the signature.)
    assert (await paris.signed_get(bob, path)).status_code == 200


async def test_case_11_stale_future_or_unparsable_dates_are_401_and_a_replay_has_no_second_effect(paris: World) -> None:
    bob = paris.remotes["bob"]
    body = json.dumps(create(bob, note(bob, 1))).encode()
    now = datetime.now(UTC)
    dates = {
        "a Date 2 hours in the future": http_date(now + timedelta(hours=2)),
        "a Date 61 minutes old": http_date(now - timedelta(minutes=61)),
        "a Date a year old": http_date(now - timedelta(days=365)),
        "an unparsable Date": "yesterday at noon",
        "an empty Date": "",
        "a Date with an absurd year": "Mon, 01 Jan 99999 00:00:00 GMT",
    }
    for what, date in dates.items():
        headers = cavage(bob, "POST", "/inbox", body, signed=FULL, date=date)
        await paris.refused("11", what, lambda h=headers: paris.client.post("/inbox", content=body, headers=h), 401)
    # A valid request replayed inside the window: stored once, applied once
    headers = sign_request("POST", BASE + "/inbox", {"Content-Type": ACTIVITY_JSON}, body, bob.key_id, bob.private_key_pem)
    first = await paris.client.post("/inbox", content=body, headers=headers)
    assert first.status_code == 202 and first.json()["duplicate"] is False
    await paris.drain()
    for n in range(3):
        await paris.refused("11", f"replay {n + 1} of a valid request", lambda: paris.client.post("/inbox", content=body,
                                                                                                 headers=headers),
                            202, accepted=lambda r: r.json().get("duplicate") is not True)
    assert await paris.count("SELECT COUNT(*) FROM statuses WHERE uri = ?", f"{bob.uri}/notes/1") == 1


async def test_case_12_a_key_on_a_host_outside_the_allowlist_is_403_and_never_fetched(paris: World) -> None:
    mallory, bob = paris.remotes["mallory"], paris.remotes["bob"]
    status_id = await paris.post("alice", "hello")
    attempts = {
        "an inbox POST signed by an outsider": lambda: paris.inbox(mallory, create(mallory, note(mallory, 1))),
        "an actor inbox POST signed by an outsider": lambda: paris.inbox(
            mallory, activity(mallory, "Follow", f"{BASE}/users/alice"), path="/users/alice/inbox"),
        "an outsider claiming a peer's actor": lambda: paris.inbox(mallory, create(bob, note(bob, 2))),
        "a signed GET of an actor by an outsider": lambda: paris.signed_get(mallory, "/users/alice"),
        "a signed GET of a post by an outsider": lambda: paris.signed_get(mallory, f"/users/alice/statuses/{status_id}"),
        "a signed GET of an outbox by an outsider": lambda: paris.signed_get(mallory, "/users/alice/outbox?page=true"),
        "a key id on an unknown host": lambda: paris.inbox(mallory, create(mallory, note(mallory, 3)),
                                                           key_id="http://unknown.test/actor#main-key"),
        "a key id on a loopback address": lambda: paris.inbox(mallory, create(mallory, note(mallory, 4)),
                                                              key_id=paris.canary.url("/actor#main-key")),
    }
    for what, send in attempts.items():
        await paris.refused("12", what, send, 403)


async def test_case_13_after_a_key_rotation_one_refetch_then_new_key_only_and_refetches_are_rate_limited(paris: World) -> None:
    bob, carl = paris.remotes["bob"], paris.remotes["carl"]
    # Given lyon now publishes a rotated key for bob
    new_private, new_public = keypair(0)
    rotated = RemoteActor(bob.uri, bob.username, new_private, new_public, bob.shared_inbox)
    paris.lyon.answers["/users/bob"] = Answer.document(rotated.document())
    # When bob signs with the new key: exactly one refetch of his actor, then accepted
    sent = len(paris.outgoing)
    assert (await paris.inbox(rotated, create(bob, note(bob, 1)))).status_code == 202
    assert paris.outgoing[sent:] == [f"GET {bob.uri}"]
    # Then the old key fails, and does not cause another fetch
    await paris.refused("13", "the old key after a rotation", lambda: paris.inbox(bob, create(bob, note(bob, 2))), 401)
    # And signature failures of another actor of the same host within the interval fetch nothing:
    # bob's rotation used lyon's refetch allowance for a while (storage.hosts.claim_key_refetch)
    impostor = RemoteActor(carl.uri, carl.username, keypair(1)[0], keypair(1)[1], carl.shared_inbox)
    for n in range(5):
        await paris.refused("13", f"a wrong key for carl, attempt {n + 1}",
                            lambda n=n: paris.inbox(impostor, create(carl, note(carl, 10 + n))), 401)
    stored = await paris.db.fetchone("SELECT public_key_pem FROM accounts WHERE uri = ?", (bob.uri,))
    assert stored is not None and stored["public_key_pem"] == new_public


async def test_case_14_a_pushed_actor_update_cannot_change_a_key(paris: World) -> None:
    bob = paris.remotes["bob"]
    attacker_private, attacker_public = keypair(0)
    pushed = bob.document(name="Bob Updated", publicKey={"id": bob.key_id, "owner": bob.uri,
                                                         "publicKeyPem": attacker_public})
    before = await paris.db.fetchone("SELECT public_key_id, public_key_pem FROM accounts WHERE uri = ?", (bob.uri,))
    # When bob's Update carries a new key while his origin still publishes the old one
    paris.lyon.answers["/users/bob"] = Answer.document(bob.document(name="Bob Origin"))
    for n, origin in enumerate((Answer.document(bob.document(name="Bob Origin")), Answer(503))):
        paris.lyon.answers["/users/bob"] = origin
        await paris.drain()
        response = await paris.inbox(bob, activity(bob, "Update", pushed, f"key-{n}"))
        await paris.drain()
        after = await paris.db.fetchone("SELECT public_key_id, public_key_pem FROM accounts WHERE uri = ?", (bob.uri,))
        changed = dict(after) != dict(before)
        TALLY.attempt("14", f"a pushed key change (origin {'answers' if n == 0 else 'is down'})", response.status_code,
                      int(changed), accepted=changed)
        assert response.status_code == 202 and not changed
    # Then a request signed with the pushed key is refused
    impostor = RemoteActor(bob.uri, bob.username, attacker_private, attacker_public, bob.shared_inbox)
    await paris.refused("14", "a request signed with the pushed key", lambda: paris.inbox(impostor, create(bob, note(bob, 3))),
                        401, fetches=(f"GET {bob.uri}",), ignore=frozenset({"hosts"}))
    name = await paris.db.fetchval("SELECT display_name FROM accounts WHERE uri = ?", (bob.uri,))
    assert name in ("Bob Origin", "Bob Updated")   # the profile itself may change, never the key
    assert AP
