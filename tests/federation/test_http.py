"""federation.http: the one outgoing client, against a real server on loopback.

Policy at every request, addresses checked at connect time (SECURITY-CASES 19, 20), bounded
answers (SECURITY-CASES 18), TLS with the company CA and a domain → address map (issue 3, 7).
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from pathlib import Path

import pytest
import trustme

from federation.http import (
    BlockedAddress,
    HttpClient,
    RequestRefused,
    ResponseTooLarge,
    Signer,
    TransportFailure,
    is_public_address,
)
from federation.policy import FederationPolicy
from tests.federation.receiver import Answer, Receiver
from tests.federation.rig import keypair

PRIVATE, PUBLIC = keypair(0)
KEY_ID = "http://paris.test/actor#main-key"


def _closed(*peers: str, addresses: dict[str, str] | None = None) -> FederationPolicy:
    return FederationPolicy(mode="closed", own_domain="paris.test", static_peers=peers, peer_addresses=addresses)


def _open() -> FederationPolicy:
    return FederationPolicy(mode="open", own_domain="paris.test")


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.8.9.1", "::1", "0.0.0.0", "::", "::ffff:127.0.0.1", "169.254.169.254", "100.64.0.1",
     "10.0.0.1", "172.16.0.1", "192.168.1.1", "fc00::1", "fe80::1", "224.0.0.1", "2002:7f00:1::1", "192.0.2.1"],
)
def test_special_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_routable_addresses_are_public(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


async def test_a_signed_get_to_a_peer_pinned_by_its_address() -> None:
    async with Receiver() as peer:
        peer.keys[KEY_ID] = PUBLIC
        peer.answers["/users/bob"] = Answer.document({"id": "x"})
        async with HttpClient(_closed(peer.domain)) as client:
            response = await client.get(peer.url("/users/bob"), accept="application/activity+json",
                                        signer=Signer(KEY_ID, PRIVATE))
        assert response.status == 200 and response.body == b'{"id": "x"}'
        (request,) = peer.requests
        assert request.signed_by == KEY_ID and request.headers["host"] == peer.domain


async def test_a_peer_by_name_is_dialled_at_its_configured_address_keeping_its_name() -> None:
    async with Receiver() as peer:
        policy = _closed("lyon.test", addresses={"lyon.test": f"127.0.0.1:{peer.port}"})
        async with HttpClient(policy) as client:
            response = await client.post("http://lyon.test/inbox", b"{}", content_type="application/activity+json")
        assert response.status == 202
        assert peer.requests[0].headers["host"] == "lyon.test"


async def test_nothing_is_sent_to_a_host_outside_the_allowlist() -> None:
    async with Receiver() as canary:
        async with HttpClient(_closed("lyon.test")) as client:
            with pytest.raises(RequestRefused):
                await client.get(canary.url("/"), accept="*/*")
            with pytest.raises(RequestRefused):
                await client.post("http://evil.test/inbox", b"{}", content_type="application/json")
        assert canary.requests == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
async def test_loopback_is_never_dialled_in_open_mode_unless_configured(host: str) -> None:
    # Given a listener on loopback that no request may reach (the SSRF canary)
    async with Receiver() as canary:
        async with HttpClient(_open()) as client:
            with pytest.raises(BlockedAddress):
                await client.get(f"http://{host}:{canary.port}/secret", accept="*/*")
        assert canary.requests == []


async def test_metadata_addresses_are_refused_before_connecting() -> None:
    async with HttpClient(_open(), connect_timeout=0.5) as client:
        started = time.monotonic()
        with pytest.raises(BlockedAddress):
            await client.get("http://169.254.169.254/latest/meta-data/", accept="*/*")
        assert time.monotonic() - started < 0.5


async def test_a_peer_may_resolve_into_its_allowed_ranges() -> None:
    async with Receiver() as peer:
        policy = _closed(f"localhost:{peer.port}")
        policy.replace([{"domain": f"localhost:{peer.port}", "allowed_cidrs": '["127.0.0.0/8", "::1/128"]'}], [])
        async with HttpClient(policy) as client:
            response = await client.get(f"http://localhost:{peer.port}/x", accept="*/*")
        assert response.status == 202


async def test_redirects_are_followed_only_to_allowed_hosts() -> None:
    async with Receiver() as peer, Receiver() as elsewhere:
        peer.answers["/old"] = Answer(301, headers={"location": "/new"})
        peer.answers["/new"] = Answer.document({"ok": True})
        peer.answers["/away"] = Answer(302, headers={"location": elsewhere.url("/steal")})
        async with HttpClient(_closed(peer.domain)) as client:
            assert (await client.get(peer.url("/old"), accept="*/*")).status == 200
            with pytest.raises(RequestRefused):
                await client.get(peer.url("/away"), accept="*/*")
            # A POST is never redirected: the answer comes back as is.
            posted = await client.post(peer.url("/old"), b"{}", content_type="application/json")
            assert posted.status == 301
        assert elsewhere.requests == []


async def test_oversized_answers_are_cut_off_announced_or_not() -> None:
    async with Receiver() as peer:
        peer.answers["/big"] = Answer(200, b"x" * 5000)
        peer.answers["/chunked"] = Answer(200, b"y" * 300, trickle=0.0)
        async with HttpClient(_closed(peer.domain)) as client:
            with pytest.raises(ResponseTooLarge):
                await client.get(peer.url("/big"), accept="*/*", max_bytes=1000)
            with pytest.raises(ResponseTooLarge):
                await client.get(peer.url("/chunked"), accept="*/*", max_bytes=100)
            assert len((await client.get(peer.url("/big"), accept="*/*", max_bytes=5000)).body) == 5000


async def test_a_trickling_peer_is_cut_off_by_the_total_deadline() -> None:
    async with Receiver() as peer:
        peer.answers["/slow"] = Answer(200, b"z" * 100, trickle=0.1)
        async with HttpClient(_closed(peer.domain), read_timeout=5) as client:
            started = time.monotonic()
            with pytest.raises(TransportFailure):
                await client.get(peer.url("/slow"), accept="*/*", deadline=0.5)
            assert time.monotonic() - started < 2


async def test_an_unreachable_peer_is_a_retryable_failure() -> None:
    async with Receiver() as peer:
        port = peer.port
    async with HttpClient(_closed(f"127.0.0.1:{port}")) as client:
        with pytest.raises(TransportFailure) as failure:
            await client.post(f"http://127.0.0.1:{port}/inbox", b"{}", content_type="application/json")
    assert failure.value.retryable


async def test_tls_by_name_with_the_company_ca(tmp_path: Path) -> None:
    # Given a peer with a certificate for lyon.atrium.test from the company CA
    ca = trustme.CA()
    cert = ca.issue_cert("lyon.atrium.test")
    cert_file, ca_file = tmp_path / "lyon.pem", tmp_path / "ca.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
    ca.cert_pem.write_to_path(str(ca_file))
    async with Receiver(ssl_certfile=str(cert_file), ssl_keyfile=str(cert_file)) as peer:
        policy = _closed("lyon.atrium.test", addresses={"lyon.atrium.test": f"127.0.0.1:{peer.port}"})
        # When we connect by name, trusting the company CA
        async with HttpClient(policy, ca_file=str(ca_file)) as client:
            response = await client.get("https://lyon.atrium.test/actor", accept="*/*")
        # Then TLS verifies the name, and without the CA it does not
        assert response.status == 202
        async with HttpClient(policy) as untrusting:
            with pytest.raises(TransportFailure):
                await untrusting.get("https://lyon.atrium.test/actor", accept="*/*")


async def test_many_hosts_at_once_share_a_bounded_set_of_pools() -> None:
    # Given twenty peer names that all lead to one server, and room for four pools
    async with Receiver() as peer:
        names = [f"h{n}.test" for n in range(20)]
        policy = _closed(*names, addresses={name: f"127.0.0.1:{peer.port}" for name in names})
        async with HttpClient(policy, max_pools=4) as client:
            # When all are asked at once, twice
            for _ in range(2):
                answers = await asyncio.gather(*(client.get(f"http://{n}/x", accept="*/*") for n in names))
                # Then every request is answered (least recently used idle pools make room)
                assert [a.status for a in answers] == [202] * 20
        assert sorted({r.headers["host"] for r in peer.requests}) == sorted(names)
