"""SECURITY-CASES 19-20: server-side request forgery. Every way Paris makes a request (a fetch, a key
fetch, WebFinger, a delivery, a redirect) is aimed at the session's canary; it must never be reached.

Names are made to resolve to loopback by replacing the event loop's resolver for the test (the code
under test, federation.http, resolves through it and checks the address it then dials), as a
company DNS or an attacker's rebinding DNS would answer.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
import pytest

from activitypub.constants import AS_PUBLIC
from server.services import peers as peer_service
from tests.federation.receiver import Answer
from tests.security.harness import BASE, PEER, World, activity, create, note, remote
from tests.security.tally import TALLY

LOOPBACK_ADDRESSES = ["127.0.0.1", "127.8.9.10", "::1", "0.0.0.0", "::", "::ffff:127.0.0.1", "169.254.169.254",
                      "100.64.0.1", "10.1.2.3", "192.168.0.1", "172.16.5.4", "fd00::1", "fe80::1", "224.0.0.1",
                      "198.18.0.1", "2002:7f00:1::"]


def fake_dns(monkeypatch: pytest.MonkeyPatch, names: dict[str, list[str]]) -> None:
    """Make `names` resolve to the given addresses for this test; everything else as usual."""
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo

    async def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if isinstance(host, str) and host.lower().rstrip(".") in names:
            found = []
            for address in names[host.lower().rstrip(".")]:
                family = socket.AF_INET6 if ":" in address else socket.AF_INET
                sockaddr = (address, int(port or 0), 0, 0) if family == socket.AF_INET6 else (address, int(port or 0))
                found.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
            return found
        return await real(host, port, *args, **kwargs)

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)


async def test_case_19_no_connection_to_special_addresses_by_any_path(paris: World, open_paris: World,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    await _literal_special_addresses_are_never_dialled_in_open_mode(open_paris)
    await _names_resolving_to_special_addresses_are_never_dialled(paris, monkeypatch)


async def _names_resolving_to_special_addresses_are_never_dialled(paris: World, monkeypatch: pytest.MonkeyPatch) -> None:
    canary = paris.canary
    bob = paris.remotes["bob"]
    # Given allowlisted peers whose names resolve to the canary (no address configured for them)
    rebound = f"rebound.test:{canary.port}"
    dual = f"dual.test:{canary.port}"
    fake_dns(monkeypatch, {"rebound.test": ["127.0.0.1"], "dual.test": ["::1", "127.0.0.1"],
                           "meta.test": ["169.254.169.254"], "cgnat.test": ["100.64.0.1"]})
    for domain in (rebound, dual, "meta.test", "cgnat.test", f"localhost:{canary.port}"):
        await peer_service.add_peer(paris.ctx, domain)
    targets = [rebound, dual, f"localhost:{canary.port}"]

    # A fetch of an object there (bob boosts it)
    for n, host in enumerate([*targets, "meta.test", "cgnat.test"]):
        url = f"http://{host}/notes/{n}"
        await paris.ignored("19", f"a fetch of {url}", lambda url=url, n=n: paris.inbox(
            bob, activity(bob, "Announce", url, f"ssrf-{n}", to=[AS_PUBLIC])), fetches=(f"GET {url}",))
    # A URL one parser reads as lyon and another as elsewhere: refused before any connection
    for n, url in enumerate((f"http://{PEER}\\@{canary.address}/notes/1", f"http://{PEER}\\@evil.test/notes/2",
                             f"http://{PEER}\\@rebound.test:{canary.port}/notes/3")):
        await paris.ignored("19", f"a fetch of {url!r}", lambda url=url, n=n: paris.inbox(
            bob, activity(bob, "Announce", url, f"confused-{n}", to=[AS_PUBLIC])))
    # A key fetch (an inbox POST signed with a key on that host)
    for n, host in enumerate(targets):
        stranger = remote(host, "eve", 1)
        await paris.refused("19", f"a key fetch from {host}", lambda s=stranger, n=n: paris.inbox(
            s, create(s, note(s, n))), 401, fetches=(f"GET {stranger.uri}",), ignore=frozenset({"hosts"}))
    # A WebFinger lookup
    for host in targets:
        await paris.refused("19", f"WebFinger on {host}", lambda h=host: paris.client.get(
            "/api/v2/search", headers=paris.api("alice"), params={"q": f"@eve@{h}", "resolve": "true"}), 200,
            fetches=(f"GET http://{host}/.well-known/webfinger?resource=acct:eve@{host}",),
            accepted=lambda r: bool(r.json()["accounts"]))
    # A delivery (an account there follows alice, who then posts)
    for n, host in enumerate(targets):
        await paris.add_remote(f"f{n}", remote(host, f"f{n}", 1))
        await paris.follow(f"f{n}", "alice")
    sent = len(paris.outgoing)
    await paris.post("alice", "to my followers, wherever they are")
    await paris.drain()
    deliveries = await paris.db.fetchall("SELECT host, state, last_error FROM deliveries")
    blocked = {d["host"]: d for d in deliveries if d["host"] in targets}
    for host in targets:
        TALLY.attempt("19", f"a delivery to {host}", None, 0, accepted=blocked[host]["state"] == "done")
        assert blocked[host]["state"] == "failed" and "connect" in blocked[host]["last_error"], blocked[host]
    assert {r.split()[1].split("/")[2] for r in paris.outgoing[sent:]} >= set(targets)
    # Remote media, avatars and link previews are never fetched by the server (hotlinked), so no
    # attachment or icon URL, however hostile, makes Paris connect anywhere
    sent = len(paris.outgoing)
    hostile = note(bob, 90) | {"attachment": [{"type": "Image", "mediaType": "image/png", "url": canary.url("/a.png")}],
                               "content": f'<p><a href="{canary.url("/preview")}">{canary.url("/preview")}</a></p>'}
    assert (await paris.inbox(bob, create(bob, hostile))).status_code == 202
    assert (await paris.inbox(bob, activity(bob, "Update", bob.document(icon={"type": "Image", "url": canary.url("/i.png")},
                                                                        image={"type": "Image", "url": canary.url("/h.png")}),
                                            "avatar"))).status_code == 202
    await paris.drain()
    assert all(r == f"GET {bob.uri}" for r in paris.outgoing[sent:]), paris.outgoing[sent:]
    TALLY.attempt("19", "attachment, avatar and link preview URLs on loopback", None, 0, accepted=False)
    assert canary.hits == []


async def _literal_special_addresses_are_never_dialled_in_open_mode(open_paris: World) -> None:
    paris = open_paris
    canary = paris.canary
    mallory = paris.remotes["mallory"]      # an ordinary fediverse actor, allowed in open mode
    hosts = [f"[{a}]" if ":" in a else a for a in LOOPBACK_ADDRESSES]
    # Also the spellings resolvers accept for 127.0.0.1
    hosts += ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "localhost", "LOCALHOST.", "[0:0:0:0:0:ffff:7f00:1]"]
    for n, host in enumerate(hosts):
        url = f"http://{host}:{canary.port}/x/{n}"
        try:
            fetches: tuple[str, ...] = (f"GET {httpx.URL(url)}",)
        except (httpx.InvalidURL, ValueError):
            fetches = ()     # refused before any request: not even a valid URL to the HTTP library
        await paris.ignored("19", f"open mode: a fetch of {url}", lambda url=url, n=n: paris.inbox(
            mallory, activity(mallory, "Announce", url, f"lit-{n}", to=[AS_PUBLIC])),
            fetches=fetches, states=("ignored", "queued"))
    assert canary.hits == []


async def test_case_20_redirects_to_hosts_not_allowed_are_refused_and_signed_posts_never_redirected(
        paris: World, monkeypatch: pytest.MonkeyPatch) -> None:
    canary = paris.canary
    bob = paris.remotes["bob"]
    fake_dns(monkeypatch, {"rebound.test": ["127.0.0.1"]})
    await peer_service.add_peer(paris.ctx, f"rebound.test:{canary.port}")
    redirects = {
        "/r/1": canary.url("/meta"),                                   # loopback literal, not a peer
        "/r/2": "http://evil.test/notes/1",                            # a host outside the allowlist
        "/r/3": f"http://rebound.test:{canary.port}/notes/1",          # an allowed name resolving to loopback
        "/r/4": f"http://localhost:{canary.port}/notes/1",
        "/r/5": "http://169.254.169.254/latest/meta-data/",
        "/r/6": "file:///etc/passwd",
        "/r/7": "gopher://127.0.0.1:6379/_INFO",
    }
    for n, (path, location) in enumerate(redirects.items()):
        paris.lyon.answers[path] = Answer(302, headers={"location": location})
        url = f"http://{PEER}{path}"
        second = location.startswith("http://rebound.test")
        await paris.ignored("20", f"a redirect to {location}", lambda url=url, n=n: paris.inbox(
            bob, activity(bob, "Announce", url, f"redir-{n}", to=[AS_PUBLIC])),
            fetches=(f"GET {url}", *((f"GET {location}",) if second else ())))
    # A chain of redirects inside the allowed host ends after a few hops
    for hop in range(10):
        paris.lyon.answers[f"/loop/{hop}"] = Answer(301, headers={"location": f"/loop/{hop + 1}"})
    await paris.ignored("20", "an endless chain of redirects", lambda: paris.inbox(
        bob, activity(bob, "Announce", f"http://{PEER}/loop/0", "loop", to=[AS_PUBLIC])),
        fetches=tuple(f"GET http://{PEER}/loop/{hop}" for hop in range(4)))
    # A delivery answered with a redirect is not followed: the signed POST goes exactly once
    for status in (301, 302, 307, 308):
        paris.lyon.answers["/inbox"] = Answer(status, headers={"location": canary.url("/inbox")})
        sent, posted = len(paris.outgoing), len(paris.lyon.posts())
        await paris.post("alice", f"company news {status}", "company")
        await paris.drain()
        # (the copy for the rebound.test peer was refused at connect time, see case 19)
        went = [r for r in paris.outgoing[sent:] if "rebound.test" not in r]
        TALLY.attempt("20", f"a delivery answered {status}", status, 0, accepted=len(went) != 1)
        assert went == [f"POST http://{PEER}/inbox"], went
        assert len(paris.lyon.posts()) == posted + 1
    assert canary.hits == []
    assert BASE
