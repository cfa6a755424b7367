"""Hypothesis properties over hostile input, adding to tests/federation/test_httpsig_properties.py,
tests/federation/test_policy.py, tests/activitypub/test_audience.py and tests/activitypub/test_html.py:

- signatures: a weak header list never verifies, the date window is exact, a signature never moves to
  another target, and a Host that is not ours is refused at the route;
- hosts: what the policy checks (`domain_of`) is what the HTTP library would dial, for any URL;
- audiences: nothing outside the allowlist is ever chosen as an inbox, company posts reach only
  company instances, followers-only posts only followers' (and addressees') inboxes;
- HTML: nothing executable survives the sanitizer, by an oracle of our own (tests/security/executable.py).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from starlette.requests import Request

from activitypub.html import sanitize_html, sanitize_plain
from activitypub.parse_object import ParsedObject
from federation import convert
from federation.delivery import Delivery, select_inboxes
from federation.http import HttpClient, RequestRefused
from federation.httpsig import SignatureError, load_private_key, verify_request
from federation.httpsig_common import CLOCK_SKEW, MAX_AGE
from federation.policy import FederationPolicy, domain_of, split_domain
from server.errors import HTTPError
from server.routes_ap import check_signed_host
from server.services.statuses import delivery_audience
from storage import follows
from storage.db import connect
from storage.migrate import migrate
from tests.federation.rig import keypair, make_instance, remote_actor, store_remote
from tests.security.executable import executable

PRIVATE, PUBLIC = keypair(2)
KEY_ID = "https://lyon.example/users/bob#main-key"
NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
BODY = b'{"type":"Create"}'
REQUIRED = {"(request-target)", "host", "date", "digest"}
OPTIONAL = ["content-type", "accept", "user-agent"]


def signed(method: str, target: str, names: list[str], *, date: datetime = NOW, body: bytes | None = BODY,
           host: str = "paris.example") -> dict[str, str]:
    headers = {"Host": host, "Date": format_datetime(date, usegmt=True), "Content-Type": "application/activity+json",
               "Accept": "application/activity+json", "User-Agent": "t"}
    if body is not None:
        headers["Digest"] = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    lines = [f"(request-target): {method.lower()} {target}" if n == "(request-target)" else f"{n}: {_get(headers, n)}"
             for n in names]
    signature = load_private_key(PRIVATE).sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["Signature"] = (f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
                            f'signature="{base64.b64encode(signature).decode()}"')
    return headers


def _get(headers: dict[str, str], name: str) -> str:
    return next(v for k, v in headers.items() if k.lower() == name)


async def _lookup(key_id: str, refresh: bool) -> str | None:
    return PUBLIC if key_id == KEY_ID else None


def verifies(method: str, path: str, query: str, headers: dict[str, str], body: bytes | None,
             now: datetime = NOW) -> bool:
    try:
        asyncio.run(verify_request(method, path, query, headers, body, _lookup, now, scheme="https"))
    except SignatureError:
        return False
    return True


# --- signatures ---------------------------------------------------------------------------------

@settings(max_examples=120, deadline=None)
@given(st.lists(st.sampled_from(sorted(REQUIRED) + OPTIONAL), unique=True, min_size=1, max_size=7))
def test_a_signature_verifies_only_when_it_covers_target_host_date_and_digest(names: list[str]) -> None:
    headers = signed("POST", "/inbox", names)
    assert verifies("POST", "/inbox", "", headers, BODY) == REQUIRED.issubset(names)


@settings(max_examples=120, deadline=None)
@given(st.integers(min_value=-3 * 3600, max_value=3 * 3600))
def test_the_date_window_is_one_hour_back_and_the_clock_skew_ahead(offset: int) -> None:
    # A signature dated `offset` seconds after the moment it is checked
    edge = {int(MAX_AGE.total_seconds()), -int(CLOCK_SKEW.total_seconds())}
    assume(all(abs(-offset - e) > 2 and abs(offset - e) > 2 for e in edge))
    headers = signed("POST", "/inbox", sorted(REQUIRED), date=NOW + timedelta(seconds=offset))
    fresh = -MAX_AGE.total_seconds() <= offset <= CLOCK_SKEW.total_seconds()
    assert verifies("POST", "/inbox", "", headers, BODY) == fresh


_SEGMENT = st.text("abcdefghijklmnopqrstuvwxyz0123456789-._~%", min_size=1, max_size=8)
_PATH = st.lists(_SEGMENT, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts))
_QUERY = st.one_of(st.just(""), st.lists(st.tuples(_SEGMENT, _SEGMENT), min_size=1, max_size=2).map(
    lambda pairs: "&".join(f"{k}={v}" for k, v in pairs)))


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["GET", "POST"]), _PATH, _QUERY, st.sampled_from(["GET", "POST"]), _PATH, _QUERY)
def test_a_signature_never_moves_to_another_method_path_or_query(m1: str, p1: str, q1: str, m2: str, p2: str,
                                                                  q2: str) -> None:
    assume((m1, p1, q1) != (m2, p2, q2))
    body = BODY if m1 == "POST" else None
    names = sorted(REQUIRED) if body is not None else ["(request-target)", "host", "date"]
    headers = signed(m1, p1 + (f"?{q1}" if q1 else ""), names, body=body)
    moved = verifies(m2, p2, q2, headers, body if m2 == "POST" else None)
    # Mastodon's compatibility quirk, kept on purpose (federation/httpsig_cavage.py): a target signed
    # without its query string also verifies the same path with a query. Nothing else ever moves.
    legacy = m1 == m2 and p1 == p2 and q1 == "" and q2 != ""
    assert moved == legacy


def _request_with_host(host: str, instance: Any) -> Request:
    app = SimpleNamespace(state=SimpleNamespace(ctx=SimpleNamespace(instance=instance)))
    raw = [(b"host", host.encode("latin-1", "replace"))]
    return Request({"type": "http", "method": "POST", "path": "/inbox", "headers": raw, "app": app, "query_string": b""})


_HOSTS = st.one_of(
    st.sampled_from(["paris.example", "PARIS.example", "paris.example.", "paris.example:443", "paris.example:8443",
                     "lyon.example", "paris.example.evil", "evil.example", "paris.example@evil.example", "",
                     "paris.example:0", "[::1]", "127.0.0.1", "paris.example\\@x", "paris%2eexample"]),
    st.text(max_size=30),
)


@settings(max_examples=200, deadline=None)
@given(_HOSTS)
@example("paris.example:443")
def test_a_signed_request_is_accepted_only_with_our_host(host: str) -> None:
    instance = make_instance("paris.example", peers=("lyon.example",))
    ours = domain_of(f"https://{host}/") == "paris.example"
    try:
        check_signed_host(_request_with_host(host, instance))
        accepted = True
    except HTTPError as refused:
        assert refused.status == 401
        accepted = False
    assert accepted == ours


# --- hosts --------------------------------------------------------------------------------------

_NASTY = st.sampled_from(["@", ":", "\\", "/", "?", "#", "%40", "%2f", ".", "[", "]", " ", "\t", "\n", "\x00", "%00",
                          "..", "@@", "::", "%", "#@", "?@"])
_LABEL = st.sampled_from(["lyon.example", "evil.example", "paris.example", "127.0.0.1", "[::1]", "localhost",
                          "LYON.EXAMPLE", "lyon.example.", "xn--e1afmkfd.example", "0x7f.1", "2130706433"])
_PORT = st.one_of(st.just(""), st.integers(0, 70000).map(lambda p: f":{p}"), st.sampled_from([":", ":80", ":443", ":08"]))


@st.composite
def tricky_urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "hTtPs"]))
    userinfo = draw(st.one_of(st.just(""), st.lists(st.one_of(_NASTY, _LABEL), max_size=4).map(lambda p: "".join(p) + "@")))
    host = draw(_LABEL)
    port = draw(_PORT)
    tail = draw(st.lists(st.one_of(_NASTY, _LABEL, st.text(max_size=4)), max_size=5).map("".join))
    separator = draw(st.sampled_from(["", "/", "?", "#", "\\"]))
    return f"{scheme}://{userinfo}{host}{port}{separator}{tail}"


def _dialled(url: str) -> set[str]:
    """host[:port] as httpx would dial it (default port dropped; IDNA or Unicode spelling)."""
    parsed = httpx.URL(url)
    default = {"http": 80, "https": 443}[parsed.scheme]
    port = "" if parsed.port in (None, default) else f":{parsed.port}"
    names = {parsed.host, parsed.raw_host.decode("ascii")}
    return {(f"[{h}]" if ":" in h else h).rstrip(".").lower() + port for h in names}


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tricky_urls())
@example("http://evil.example\\@lyon.example/x")
@example("http://lyon.example@evil.example/")
@example("http://lyon.example%40evil.example/")
@example("http://lyon.example:80@evil.example:443/")
@example("https://lyon.example#@evil.example/")
@example("http://lyon.example?@evil.example/")
def test_the_host_the_policy_checks_is_the_host_httpx_dials(url: str) -> None:
    # At the one outgoing client: a URL is either refused, or the host its policy check saw is the
    # host httpx connects to. (policy.domain_of alone reads `http://a\\@b/` as `a`, httpx dials `b`.)
    try:
        checked = _CLIENT.check_url(url)
    except RequestRefused:
        return
    assert checked in _dialled(url), (url, checked, _dialled(url))


class _AllowAll:
    def allow(self, domain: str) -> bool:
        return True

    def peer(self, domain: str) -> None:
        return None


_CLIENT = HttpClient(_AllowAll())   # check_url only: it never connects


@settings(max_examples=500, deadline=None)
@given(tricky_urls())
def test_domains_are_canonical_and_split_back(url: str) -> None:
    domain = domain_of(url)
    assume(domain)
    scheme = url.split("://", 1)[0].lower()
    assert domain == domain.lower() and not domain.endswith(".")
    assert domain_of(f"{scheme}://{domain}/") == domain
    host, port = split_domain(domain)
    rebuilt = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
    assert rebuilt == domain


@settings(max_examples=300, deadline=None)
@given(tricky_urls(), st.sampled_from(["closed", "open"]))
def test_our_own_domain_is_never_allowed_in_any_spelling(url: str, mode: str) -> None:
    policy = FederationPolicy(mode=mode, own_domain="lyon.example", static_peers=["paris.example"])
    domain = domain_of(url)
    if domain == "lyon.example":
        assert not policy.allow(domain)
    if mode == "closed" and domain:
        assert policy.allow(domain) == (domain == "paris.example")


# --- audiences -------------------------------------------------------------------------------

_INBOX_HOSTS = ["lyon.example", "montreal.example", "evil.example", "paris.example", "sub.evil.example",
                "LYON.example", "127.0.0.1:9", "lyon.example:8443"]


@st.composite
def candidate_inboxes(draw: st.DrawFn) -> list[Any]:
    urls = st.builds(lambda scheme, host, path: f"{scheme}://{host}{path}", st.sampled_from(["https", "http"]),
                     st.sampled_from(_INBOX_HOSTS), st.sampled_from(["/inbox", "/users/x/inbox", "", "/a?b#c"]))
    junk = st.one_of(st.none(), st.integers(), st.text(max_size=10), st.sampled_from(["javascript:alert(1)",
                                                                                        "file:///etc/passwd"]))
    return draw(st.lists(st.one_of(urls, junk), max_size=15))


@settings(max_examples=400, deadline=None)
@given(candidate_inboxes(), st.sampled_from(["closed", "open"]), st.booleans(),
       st.lists(st.sampled_from(["evil.example", "example"]), max_size=2))
def test_no_inbox_outside_the_policy_is_ever_chosen(candidates: list[Any], mode: str, company_only: bool,
                                                    blocked: list[str]) -> None:
    policy = FederationPolicy(mode=mode, own_domain="paris.example", static_peers=["lyon.example", "montreal.example"])
    policy.replace([], [{"domain": d, "severity": "suspend"} for d in blocked])   # (a peer outranks a block)
    chosen = select_inboxes(candidates, policy=policy, own_domain="paris.example", company_only=company_only)
    urls = [url for url, _ in chosen]
    assert len(urls) == len(set(urls))
    for url, host in chosen:
        assert host == domain_of(url) and host != "paris.example"
        assert policy.allow(host)
        if mode == "closed" or company_only:
            assert policy.is_peer(host)
        assert policy.is_peer(host) or not any(host == b or host.endswith("." + b) for b in blocked)


class _World:
    """One database with followers on several hosts, shared by every example of the property below."""

    def __init__(self, tmp: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.instance = make_instance("paris.example", peers=("lyon.example", "montreal.example"))
        self.db = self.loop.run_until_complete(self._open(tmp))
        self.delivery = Delivery(self.db, self.instance, http=None)  # type: ignore[arg-type]

    async def _open(self, tmp: Path) -> Any:
        from tests.federation.rig import local_account

        db = await connect(f"sqlite:///{tmp / 'audience.db'}")
        await migrate(db)
        self.alice = await local_account(db, self.instance, "alice")
        self.accounts: dict[str, Any] = {}
        for n, host in enumerate(["lyon.example", "montreal.example", "evil.example", "far.example"]):
            for name in ("f", "x"):
                actor = remote_actor(host, f"{name}{n}", shared=n % 2 == 0)
                row = await store_remote(db, actor)
                self.accounts[f"{name}@{host}"] = row
                if name == "f":
                    async with db.transaction() as tx:
                        await follows.request(tx, int(row["id"]), int(self.alice["id"]), f"{actor.uri}/f", accept=True)
        return db

    def inboxes(self, row: dict[str, Any]) -> list[tuple[str, str]] | None:
        return self.loop.run_until_complete(self.delivery.inboxes_for(row))

    def close(self) -> None:
        self.loop.run_until_complete(self.db.close())
        self.loop.close()


@pytest.fixture(scope="module")
def audience_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_World]:
    world = _World(tmp_path_factory.mktemp("audience"))
    yield world
    world.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(visibility=st.sampled_from(["public", "unlisted", "followers", "direct", "company", None]),
       followers=st.booleans(), company=st.booleans(),
       mentioned=st.lists(st.sampled_from(["f@lyon.example", "x@lyon.example", "x@evil.example", "x@far.example",
                                           "x@montreal.example", "f@evil.example"]), max_size=4),
       extra=st.lists(st.sampled_from(["https://evil.example/inbox", "https://lyon.example/inbox",
                                       "https://far.example/users/z/inbox", "https://paris.example/inbox"]), max_size=3),
       kind=st.sampled_from(["Create", "Update", "Announce", "Delete", "Like"]),
       cc_company=st.booleans())
def test_audiences_never_leave_the_allowlist_and_company_never_leaves_the_company(
        audience_world: _World, visibility: str | None, followers: bool, company: bool, mentioned: list[str],
        extra: list[str], kind: str, cc_company: bool) -> None:
    w = audience_world
    audience = {"followers": followers, "company": company, "inboxes": extra,
                "accounts": [int(w.accounts[m]["id"]) for m in mentioned]}
    to = [w.instance.company_audience] if cc_company else ["https://www.w3.org/ns/activitystreams#Public"]
    body = {"id": "https://paris.example/a/1", "type": kind, "to": to, "object": {"id": "https://paris.example/n/1"}}
    if visibility is not None:
        # a status with that visibility, so the rule can read it
        w.loop.run_until_complete(_status(w, visibility))
    row = {"body": json.dumps(body), "audience": json.dumps(audience), "activity_type": kind,
           "object_uri": f"https://paris.example/users/alice/statuses/{visibility}" if visibility else None,
           "account_id": int(w.alice["id"])}
    chosen = w.inboxes(row)
    if visibility == "local" or (kind == "Announce" and visibility in ("followers", "direct")):
        assert chosen is None          # never delivered at all (SECURITY-CASES 23)
        return
    assert chosen is not None
    hosts = {host for _, host in chosen}
    assert hosts <= {"lyon.example", "montreal.example"}, hosts          # closed mode: the allowlist only
    if company or cc_company or visibility == "company":
        assert all(w.instance.policy.is_peer(h) for h in hosts)
    if visibility in ("followers", "direct") and kind != "Announce":
        # With the audience the service really writes for such a post: its followers (followers-only)
        # and its addressees, and no one else's inbox
        real = delivery_audience(visibility, [int(w.accounts[m]["id"]) for m in mentioned])
        assert real is not None
        chosen = w.inboxes({**row, "audience": json.dumps(real), "body": json.dumps({**body, "to": []})}) or []
        followers_inboxes = {a["shared_inbox_url"] or a["inbox_url"] for k, a in w.accounts.items() if k.startswith("f@")}
        addressees = {w.accounts[m]["shared_inbox_url"] or w.accounts[m]["inbox_url"] for m in mentioned}
        allowed = addressees | (followers_inboxes if visibility == "followers" else set())
        assert {url for url, _ in chosen} <= allowed


async def _status(w: _World, visibility: str) -> None:
    from storage import statuses

    uri = f"https://paris.example/users/alice/statuses/{visibility}"
    if await statuses.get_by_uri(w.db, uri) is None:
        async with w.db.transaction() as tx:
            await statuses.create(tx, statuses.NewStatus(account_id=int(w.alice["id"]), uri=uri, visibility=visibility,
                                                         local=True, content="<p>x</p>"))


# --- HTML -------------------------------------------------------------------------------------

_TAGS = ["script", "img", "a", "svg", "iframe", "math", "style", "object", "embed", "form", "base", "meta", "p", "b",
         "span", "details", "noscript", "template", "textarea", "title", "xmp", "plaintext", "select", "table", "video"]
_ATTRS = ["onerror", "onload", "onclick", "OnMouseOver", "href", "src", "style", "formaction", "action", "xlink:href",
          "data", "srcset", "class", "title", "rel", "http-equiv", "content"]
_SCHEMES = ["javascript:", "JaVaScRiPt:", "java\tscript:", "jav&#x09;ascript:", "&#106;avascript:", " javascript:",
            "vbscript:", "data:text/html,", "data:image/svg+xml,", "https://ok.example/", "mailto:x@y", "\x01javascript:"]
_PAYLOADS = ["alert(1)", "<script>alert(1)</script>", "x", "expression(alert(1))", "url(javascript:alert(1))", ""]


@st.composite
def hostile_markup(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(_TAGS))
    attributes = []
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(_ATTRS))
        value = draw(st.sampled_from(_SCHEMES)) + draw(st.sampled_from(_PAYLOADS))
        quote = draw(st.sampled_from(['"', "'", "`", ""]))
        attributes.append(f"{name}={quote}{value}{quote}")
    inner = "".join(draw(st.lists(st.one_of(st.sampled_from([*_PAYLOADS, "<", ">", "&", "-->", "<!--", "]]>"]),
                                            hostile_markup(depth + 1) if depth < 3 else st.just("")), max_size=3)))
    closing = draw(st.sampled_from([f"</{tag}>", "", f"</{tag.upper()}>", "</"]))
    return f"<{draw(st.sampled_from([tag, tag.upper()]))} {' '.join(attributes)}>{inner}{closing}"


@settings(max_examples=300, deadline=None)
@given(st.lists(hostile_markup(), min_size=1, max_size=4).map("".join))
def test_nothing_executable_survives_the_sanitizer(markup: str) -> None:
    cleaned = sanitize_html(markup)
    assert executable(cleaned) == [], (markup, cleaned)
    assert executable(sanitize_html(cleaned)) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(hostile_markup(), min_size=1, max_size=3).map("".join), st.text(max_size=50))
def test_a_remote_post_is_stored_inert_whatever_its_fields(markup: str, text: str) -> None:
    document = {"id": "https://lyon.example/n/1", "type": "Note", "attributedTo": "https://lyon.example/users/bob",
                "content": markup + text, "summary": markup, "name": text, "url": markup,
                "tag": [{"type": "Hashtag", "name": "#" + markup[:60]}]}
    content = convert.note_content(ParsedObject.from_document(document))
    assert executable(content.content) == []
    # plain fields are shown escaped: escaped, they are inert too, and they are one line
    for plain in (content.spoiler_text, *content.tag_names):
        assert executable(html.escape(plain)) == [] and "\n" not in plain
    assert content.url is None or content.url.startswith("http")
    assert all("<" not in t and ">" not in t for t in content.tag_names)


@given(st.text(max_size=200))
def test_plain_fields_escaped_are_inert(text: str) -> None:
    assert executable(html.escape(sanitize_plain(text, 500))) == []
