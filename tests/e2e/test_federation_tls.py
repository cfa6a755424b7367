"""Federation by name over TLS, as a company runs it: each instance is `https://<name>.atrium.test`
on its own loopback address, serving a certificate from the company's test CA (`trustme`), told where
its peers are (ATRIUM_PEER_ADDRESSES, what an internal DNS would answer) and which CA to trust.

Port 443 when we may bind it (root, as in CI): the domain then carries no port, which is what
Mastodon-compatible peers require. Elsewhere each instance takes a free high port on its address
and its domain says so (`paris.atrium.test:PORT`); everything else is the same.
"""

from __future__ import annotations

import socket
import sqlite3
import time
from pathlib import Path

import pytest
import trustme

from tests.e2e.federation_rig import THREE_SUBSIDIARIES, Site, employee, eventually, running_company
from tests.e2e.test_federation_three_instances import colleagues_follow_post_reply_boost_like_edit_and_delete
from tests.rig import UserSpec, free_port, start_instance

ADDRESSES = {"paris": "127.0.0.2", "lyon": "127.0.0.3", "montreal": "127.0.0.4"}


def _port_for(host: str) -> int:
    """443 when it can be bound on `host` (root, nothing else there), else a free high port."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, 443))
        except OSError:
            return free_port(host)
    return 443


def _site(name: str) -> Site:
    host = ADDRESSES[name]
    port = _port_for(host)
    domain = f"{name}.atrium.test" + ("" if port == 443 else f":{port}")
    return Site(domain, host, port)


def _certificates(tmp_path: Path, sites: dict[str, Site]) -> tuple[str, dict[str, dict[str, str]]]:
    """The company CA file, and each instance's TLS settings (a certificate for its name, its key)."""
    ca = trustme.CA(organization_name="Atrium test company")
    ca_file = tmp_path / "company-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    env = {}
    for name, site in sites.items():
        cert = ca.issue_cert(site.domain.split(":")[0])
        cert_file, key_file = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
        for blob in cert.cert_chain_pems:
            blob.write_to_path(str(cert_file), append=True)
        cert.private_key_pem.write_to_path(str(key_file))
        env[name] = {"ATRIUM_TLS_CERT_FILE": str(cert_file), "ATRIUM_TLS_KEY_FILE": str(key_file)}
    return str(ca_file), env


def _company(tmp_path: Path, layout: dict[str, list[UserSpec]], *, untrusting: tuple[str, ...] = ()):
    """The company by name over TLS, as a `with` block that stops every instance."""
    sites = {name: _site(name) for name in layout}
    ca_file, tls_env = _certificates(tmp_path, sites)
    for name in untrusting:
        tls_env[name]["ATRIUM_CA_FILE"] = ""  # this one is not given the company CA
    return running_company(tmp_path, layout, sites=sites, tls_ca=ca_file, per_instance_env=tls_env,
                           extra_env={"ATRIUM_SCHEME": "https", "ATRIUM_CA_FILE": ca_file})


@pytest.fixture
def company_by_name(tmp_path):
    with _company(tmp_path, THREE_SUBSIDIARIES) as instances:
        yield instances


def test_three_instances_federate_by_name_over_tls(company_by_name):
    paris, lyon = company_by_name["paris"], company_by_name["lyon"]
    assert paris.base_url.startswith("https://paris.atrium.test")
    alice = employee(paris, "alice")

    # WebFinger by name: @bob@lyon.atrium.test is found from paris, with his https actor id
    found = alice.get("/api/v2/search", q=f"@bob@{lyon.domain}", resolve="true", type="accounts")["accounts"]
    assert [a["acct"] for a in found] == [f"bob@{lyon.domain}"]
    assert found[0]["url"].startswith(f"https://{lyon.domain}/")

    # The whole scenario (locked approval, post, reply, boost, like, edit, delete) across the three
    colleagues_follow_post_reply_boost_like_edit_and_delete(company_by_name)

    # And each side recorded its peers by name, every delivery done over https
    for instance in company_by_name.values():
        with sqlite3.connect(instance.database_path) as db:
            rows = db.execute("SELECT DISTINCT inbox_url, state FROM deliveries").fetchall()
        assert rows, f"{instance.name} delivered nothing"
        assert {state for _, state in rows} == {"done"}, rows
        assert all(url.startswith("https://") and ".atrium.test" in url for url, _ in rows), rows


def test_an_instance_without_the_company_ca_refuses_its_peers_certificates(tmp_path):
    # Given lyon was not given the company CA (paris was)
    with _company(tmp_path, {"paris": [UserSpec("alice")], "lyon": [UserSpec("bob")]}, untrusting=("lyon",)) as company:
        paris, lyon = company["paris"], company["lyon"]
        alice, bob = employee(paris, "alice"), employee(lyon, "bob")
        # When bob looks alice up, lyon finds no one: paris's certificate is not trusted
        found = bob.get("/api/v2/search", q=f"@alice@{paris.domain}", resolve="true", type="accounts")["accounts"]
        assert found == []
        # When bob posts to the whole company, lyon's delivery to paris fails on the certificate
        bob.post("/api/v1/statuses", status="All hands at 10", visibility="company")

        def attempted():
            with sqlite3.connect(lyon.database_path) as db:
                row = db.execute("SELECT inbox_url, state, attempts, last_error FROM deliveries").fetchone()
            return row if row and row[3] else None  # an attempt ended, with its reason

        inbox_url, state, _, last_error = eventually(attempted, what="lyon tried to deliver to paris")
        assert inbox_url == f"https://{paris.domain}/inbox"
        assert state == "queued" and "CERTIFICATE_VERIFY_FAILED" in last_error, last_error
        # Then paris accepted nothing
        with sqlite3.connect(paris.database_path) as db:
            assert db.execute("SELECT count(*) FROM inbox_items").fetchone()[0] == 0
        assert alice.get("/api/v1/timelines/public") == []


def test_serve_speaks_tls_with_the_certificate_given_on_the_command_line(tmp_path):
    site = _site("paris")
    ca_file, tls_env = _certificates(tmp_path, {"paris": site})
    paris = start_instance(
        "paris", tmp_path, host=site.host, port=site.port, tls_ca=ca_file,
        env={"ATRIUM_DOMAIN": site.domain, "ATRIUM_SCHEME": "https"},
        serve_args=("--ssl-certfile", tls_env["paris"]["ATRIUM_TLS_CERT_FILE"],
                    "--ssl-keyfile", tls_env["paris"]["ATRIUM_TLS_KEY_FILE"]),
    )
    try:
        with paris.client() as client:
            response = client.get(paris.url("/nodeinfo/2.0"))
            assert response.status_code == 200 and str(response.url).startswith(f"https://{site.domain}/")
            assert f"Atrium is serving https://{site.domain} on https://{site.host}:{site.port}" in paris.log()
            # The client's connection stays in its pool, idle, as a peer instance's does: a stop
            # must not wait for it to answer a TLS close (it never does).
            started = time.monotonic()
            paris.stop()
            assert time.monotonic() - started < 5
    finally:
        paris.stop()


def test_serve_refuses_a_wrong_certificate_in_one_line(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    paris = start_instance("paris", tmp_path, start=False)
    for args in (("--ssl-certfile", str(bad)), ("--ssl-certfile", str(tmp_path / "missing.pem")),
                 ("--ssl-keyfile", str(bad))):
        result = paris.cli("serve", *args, check=False)
        assert result.returncode == 2, result
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("atrium: "), result.stderr
    missing = str(tmp_path / "missing.pem")
    paris.env["ATRIUM_TLS_CERT_FILE"] = missing
    result = paris.cli("serve", check=False)
    assert result.returncode == 2 and result.stderr == f"atrium: ATRIUM_TLS_CERT_FILE: no such file {missing!r}\n"
