"""A real `atrium serve` process on a loopback port, as `make run` starts it."""

from __future__ import annotations

import subprocess

import httpx

from tests.rig import ATRIUM, UserSpec, free_port, instance_env, start_instance


def test_first_start_creates_an_admin_and_prints_how_to_sign_in(tmp_path):
    port = free_port()
    data = tmp_path / "first"
    data.mkdir()
    env = instance_env("first", data, "127.0.0.1", port)
    process = subprocess.Popen([ATRIUM, "serve", "--port", str(port)], env=env, cwd=data, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "Atrium is serving" in line:
                break
        output = "".join(lines)
        assert "username: admin" in output
        assert "password: " in output
        assert f"http://127.0.0.1:{port}/auth/sign_in" in output
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_served_instance_answers_webfinger_actor_and_nodeinfo_over_http(tmp_path):
    # Open mode: anyone may read public documents (closed mode wants signed fetches from peers).
    paris = start_instance("paris", tmp_path, users=[UserSpec("alice", department="Sales")],
                           env={"ATRIUM_FEDERATION_MODE": "open"})
    try:
        jrd = httpx.get(paris.url("/.well-known/webfinger"), params={"resource": f"acct:alice@{paris.domain}"}).json()
        actor_url = next(link["href"] for link in jrd["links"] if link["rel"] == "self")
        actor = httpx.get(actor_url, headers={"Accept": "application/activity+json"}).json()
        assert actor["preferredUsername"] == "alice"
        assert actor["inbox"] == paris.url("/users/alice/inbox")
        info = httpx.get(paris.url("/nodeinfo/2.0")).json()
        assert info["usage"]["users"]["total"] == 2  # alice and the first admin
        # It keeps its data across a restart.
        paris.stop()
        paris.start()
        assert httpx.get(actor_url, headers={"Accept": "application/activity+json"}).json()["id"] == actor["id"]
    finally:
        paris.stop()
