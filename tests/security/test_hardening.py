"""Hardening beyond the numbered cases (issue 6, "what must exist" 1, 5, 6): the instance endpoints in
closed mode, bounded API bodies that never answer 500, a rate limit per peer instance on the inbox,
and moderation whose every action is in the audit log."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from server.api.ratelimit import Budget
from server.inbox_throttle import InboxThrottle
from storage import audit
from tests.federation.rig import keypair
from tests.security.harness import BASE, World, activity, create, note
from tests.security.tally import TALLY

ROOT = Path(__file__).resolve().parents[2]


async def test_the_instance_endpoints_answer_apps_in_closed_mode_and_say_so(paris: World) -> None:
    for path in ("/api/v1/instance", "/api/v2/instance"):
        response = await paris.client.get(path)
        assert response.status_code == 200, path
        assert response.json()["configuration"]["limited_federation"] is True
    # while everything else of the client API needs a token
    for path in ("/api/v1/timelines/public", "/api/v1/accounts/lookup?acct=alice", "/api/v2/search?q=alice"):
        response = await paris.client.get(path)
        TALLY.attempt("hardening", f"anonymous GET {path} in closed mode", response.status_code, 0)
        assert response.status_code == 401, path


async def test_api_bodies_are_bounded_and_never_answer_500(paris: World) -> None:
    alice = paris.api("alice")
    json_headers = {**alice, "Content-Type": "application/json"}
    attempts = {
        "a JSON body nested 1,000 deep": ("POST", "/api/v1/statuses", b'{"a":' * 1000 + b"1" + b"}" * 1000, (400,)),
        "a list of 100,000 media ids": ("POST", "/api/v1/statuses", json.dumps(
            {"status": "x", "media_ids": [str(i) for i in range(100_000)]}).encode(), (400, 413, 422)),
        "100,000 keys": ("POST", "/api/v1/statuses", json.dumps({f"k{i}": 1 for i in range(100_000)}).encode(),
                         (400, 413)),
        "a 900 KB status": ("POST", "/api/v1/statuses", json.dumps({"status": "x" * 900_000}).encode(), (413, 422)),
        "a 2 MB body": ("POST", "/api/v1/statuses", b'{"status": "' + b"x" * 2_000_000 + b'"}', (413,)),
        "a poll of 10,000 options": ("POST", "/api/v1/statuses", json.dumps(
            {"status": "x", "poll": {"options": [str(i) for i in range(10_000)], "expires_in": 3600}}).encode(),
            (400, 413, 422)),
        "a 1 MB display name": ("PATCH", "/api/v1/accounts/update_credentials", json.dumps(
            {"display_name": "x" * 1_000_000}).encode(), (413, 422)),
        "100 profile fields": ("PATCH", "/api/v1/accounts/update_credentials", json.dumps(
            {"fields_attributes": {str(i): {"name": "n", "value": "v"} for i in range(100)}}).encode(), (200, 400, 422)),
        "a JSON array body": ("POST", "/api/v1/statuses", b"[" * 50 + b"]" * 50, (400,)),
        "invalid UTF-8": ("POST", "/api/v1/statuses", b'{"status": "\xff\xfe"}', (400,)),
        "a number too big": ("POST", "/api/v1/statuses", b'{"status": "x", "in_reply_to_id": 1e400}', (400, 404, 422)),
        "a huge id": ("GET", "/api/v1/statuses/" + "9" * 100, b"", (404, 422)),
        "a negative limit": ("GET", "/api/v1/timelines/home?limit=-5", b"", (200, 422)),
        "a huge max_id": ("GET", "/api/v1/timelines/home?max_id=" + "9" * 40, b"", (200, 422)),
        "form keys nested 50 deep": ("POST", "/api/v1/statuses", ("status=x&" + "a" + "[b]" * 50 + "=1").encode(),
                                     (200, 400, 422)),
    }
    for what, (method, path, body, allowed) in attempts.items():
        headers = json_headers if not what.startswith("form") else {**alice, "Content-Type":
                                                                    "application/x-www-form-urlencoded"}
        response = await paris.client.request(method, path, content=body or None, headers=headers)
        TALLY.attempt("hardening", f"API: {what}", response.status_code, 0, accepted=response.status_code not in allowed)
        assert response.status_code in allowed, f"{what}: {response.status_code} {response.text[:200]}"


async def test_a_peer_instance_over_its_inbox_budget_gets_429_with_retry_after(paris: World) -> None:
    bob, dave, carl = paris.remotes["bob"], paris.remotes["dave"], paris.remotes["carl"]
    # Given a budget of 5 verified deliveries per minute per peer instance
    paris.ctx.extras["inbox_throttle"] = InboxThrottle(Budget(5, 60))
    for n in range(5):
        actor = (bob, dave)[n % 2]
        assert (await paris.inbox(actor, create(actor, note(actor, n)))).status_code == 202
    # When lyon sends more, by any of its actors: 429 with Retry-After, nothing stored
    for n, actor in enumerate((bob, carl, dave)):
        response = await paris.refused("hardening", f"delivery {6 + n} from lyon within the minute",
                                       lambda a=actor, n=n: paris.inbox(a, create(a, note(a, 100 + n))), 429)
        assert 1 <= int(response.headers["retry-after"]) <= 60
    # And forged requests claiming lyon's keys do not use up lyon's budget: they are refused as unsigned
    paris.ctx.extras["inbox_throttle"] = InboxThrottle(Budget(5, 60))
    mallory = paris.remotes["mallory"]
    for n in range(10):
        await paris.refused("hardening", f"forged delivery {n} naming bob's key", lambda n=n: paris.inbox(
            mallory, create(bob, note(bob, 200 + n)), key_id=bob.key_id, pem=keypair(0)[0]), 401,
            may_fetch=(f"GET {bob.uri}",), ignore=frozenset({"hosts"}))
    assert (await paris.inbox(bob, create(bob, note(bob, 300)))).status_code == 202


async def _audit(paris: World) -> list[dict[str, object]]:
    return [dict(r) for r in await audit.recent(paris.db, limit=100)]


async def test_moderation_actions_are_audited_and_listed_for_admins_only(paris: World) -> None:
    from server.services.accounts import create_account
    from server.services.oauth import mint_token

    created = await create_account(paris.ctx, "moderator", admin=True)
    scopes = ["read", "write", "admin:read", "admin:write"]
    root = {"Authorization": f"Bearer {await mint_token(paris.ctx, created.account_id, scopes)}"}
    bob = paris.remotes["bob"]
    assert (await paris.inbox(bob, create(bob, note(bob, 1)))).status_code == 202
    await paris.drain()
    bob_id, claire_id = paris.id_of("bob"), paris.id_of("claire")
    # Non-admins are refused, and nothing is recorded
    for name in ("claire", None):
        await paris.refused("hardening", f"a moderation action by {name or 'anonymous'}", lambda n=name: paris.client.post(
            f"/api/v1/admin/accounts/{bob_id}/action", headers=paris.api(n), json={"type": "suspend"}), (401, 403))
        await paris.refused("hardening", f"reading the audit log as {name or 'anonymous'}", lambda n=name: paris.client.get(
            "/api/v1/admin/audit_log", headers=paris.api(n)), (401, 403))
    # Admins silence and suspend a remote account, suspend a local one, lift it, delete the remote one
    steps = [("POST", f"/api/v1/admin/accounts/{bob_id}/action", {"type": "silence", "text": "spam"}, "account.silence"),
             ("POST", f"/api/v1/admin/accounts/{bob_id}/action", {"type": "suspend"}, "account.suspend"),
             ("POST", f"/api/v1/admin/accounts/{claire_id}/action", {"type": "suspend"}, "account.suspend"),
             ("POST", f"/api/v1/admin/accounts/{claire_id}/unsuspend", {}, "account.unsuspend"),
             ("POST", f"/api/v1/admin/accounts/{bob_id}/unsilence", {}, "account.unsilence"),
             ("DELETE", f"/api/v1/admin/accounts/{bob_id}", None, "account.delete")]
    for method, path, body, action in steps:
        response = await paris.client.request(method, path, headers=root, json=body)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
        assert (await _audit(paris))[0]["action"] == action
    assert await paris.db.fetchone("SELECT 1 FROM accounts WHERE uri = ?", (bob.uri,)) is None
    assert await paris.db.fetchval("SELECT suspended_at FROM accounts WHERE id = ?", (claire_id,)) is None
    # A suspended account's activities are ignored and its token refused while suspended
    await paris.client.post(f"/api/v1/admin/accounts/{claire_id}/action", headers=root, json={"type": "suspend"})
    refused = await paris.client.get("/api/v1/timelines/home", headers=paris.api("claire"))
    assert refused.status_code in (401, 403)
    # A local account is deleted only once suspended: it stays a tombstone, and its Delete goes to lyon
    fred_id = paris.id_of("fred")
    early = await paris.client.delete(f"/api/v1/admin/accounts/{fred_id}", headers=root)
    assert early.status_code == 422
    await paris.client.post(f"/api/v1/admin/accounts/{fred_id}/action", headers=root, json={"type": "suspend"})
    assert (await paris.client.delete(f"/api/v1/admin/accounts/{fred_id}", headers=root)).status_code == 200
    await paris.drain()
    assert any(d["type"] == "Delete" and d["object"] == f"{BASE}/users/fred" for d in paris.delivered())
    assert await paris.db.fetchval("SELECT suspended_at FROM accounts WHERE id = ?", (fred_id,)) is not None
    # Suspending a peer instance (CLI-equivalent service) is audited too
    from server.services import peers as peer_service

    await peer_service.suspend_peer(paris.ctx, "lyon.test", True, actor_id=created.account_id)
    listed = await paris.client.get("/api/v1/admin/audit_log", headers=root)
    assert listed.status_code == 200
    actions = [entry["action"] for entry in listed.json()]
    assert actions[:4] == ["peer.suspend", "account.delete", "account.suspend", "account.suspend"]
    assert {"account.silence", "account.unsilence", "account.unsuspend", "account.delete"} <= set(actions)
    assert all(entry["account_id"] in (str(created.account_id), None) for entry in listed.json())
    # Once lyon is suspended, its deliveries are refused
    dave = paris.remotes["dave"]
    await paris.refused("hardening", "a delivery from a suspended peer", lambda: paris.inbox(
        dave, create(dave, note(dave, 9))), 403)
    assert BASE and activity


def test_moderation_from_the_cli_is_audited(tmp_path: Path) -> None:
    env = {"ATRIUM_DOMAIN": "paris.test", "ATRIUM_SCHEME": "http", "ATRIUM_DATA_DIR": str(tmp_path),
           "ATRIUM_COMPANY_AUDIENCE": "https://company.atrium.test/ns/members", "PATH": "/usr/bin:/bin"}
    atrium = [sys.executable, "-m", "server.cli"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*atrium, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)

    created = subprocess.run([*atrium, "users", "create", "eve", "--password-stdin"], env=env, cwd=ROOT,
                             input="correct horse battery staple\n", capture_output=True, text=True, timeout=60)
    assert created.returncode == 0 or "exists" in created.stderr, created.stderr
    steps = ((("accounts", "silence", "eve", "--reason", "noise"), "account.silence"),
             (("accounts", "suspend", "eve"), "account.suspend"),
             (("accounts", "unsuspend", "eve"), "account.unsuspend"),
             (("peers", "add", "lyon.test"), "peer.add"),
             (("peers", "suspend", "lyon.test"), "peer.suspend"))
    for args, _ in steps:
        result = run(*args)
        assert result.returncode == 0, f"{args}: {result.stderr}"
    log = run("audit", "--limit", "5")
    assert log.returncode == 0, log.stderr
    listed = [line.split()[1] for line in log.stdout.splitlines()]
    assert listed == [action for _, action in reversed(steps)], log.stdout
    assert "noise" in log.stdout


async def test_admins_manage_the_company_allowlist_through_the_api(paris: World) -> None:
    from server.services.accounts import create_account
    from server.services.oauth import mint_token

    created = await create_account(paris.ctx, "itadmin", admin=True)
    root = {"Authorization": f"Bearer {await mint_token(paris.ctx, created.account_id, ['admin:read', 'admin:write'])}"}
    employee = await create_account(paris.ctx, "someone")
    plain = {"Authorization": f"Bearer {await mint_token(paris.ctx, employee.account_id, ['read', 'write'])}"}
    # An employee cannot touch the allowlist
    refused = await paris.client.post("/api/v1/admin/domain_allows", headers=plain, json={"domain": "oslo.test"})
    assert refused.status_code == 403
    assert not paris.ctx.instance.policy.allow("oslo.test")
    # An admin adds a peer: it is allowed at once, listed, audited, then removed
    added = await paris.client.post("/api/v1/admin/domain_allows", headers=root, json={"domain": "https://Oslo.test/"})
    assert added.status_code == 200 and added.json()["domain"] == "oslo.test"
    assert paris.ctx.instance.policy.allow("oslo.test")
    listed = (await paris.client.get("/api/v1/admin/domain_allows", headers=root)).json()
    assert "oslo.test" in [d["domain"] for d in listed]
    bad = await paris.client.post("/api/v1/admin/domain_allows", headers=root, json={"domain": "not a host"})
    assert bad.status_code == 422
    assert (await paris.client.delete("/api/v1/admin/domain_allows/oslo.test", headers=root)).status_code == 200
    assert not paris.ctx.instance.policy.allow("oslo.test")
    assert (await paris.client.get("/api/v1/admin/domain_allows/oslo.test", headers=root)).status_code == 404
    actions = [e["action"] for e in await _audit(paris)]
    assert "peer.add" in actions and "peer.remove" in actions
