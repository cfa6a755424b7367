"""federation.httpsig: keys, signing, verifying, SECURITY-CASES 9-13 and key rotation."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from federation import keys
from federation.httpsig import (
    ParsedSignature,
    SignatureError,
    generate_rsa_keypair,
    load_private_key,
    load_public_key,
    parse_signature,
    sign_request,
    sign_request_rfc9421,
    verify_parsed,
    verify_request,
)

NOW = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)
ALICE_KEY_ID = "https://paris.example/users/alice#main-key"
ALICE_PRIVATE, ALICE_PUBLIC = generate_rsa_keypair()
ALICE_ROTATED_PRIVATE, ALICE_ROTATED_PUBLIC = generate_rsa_keypair()
BOB_INBOX = "https://lyon.example/users/bob/inbox"
FOLLOW = (
    b'{"type":"Follow","actor":"https://paris.example/users/alice","object":"https://lyon.example/users/bob"}'
)
ACTIVITY_JSON = "application/activity+json"


@dataclass
class Request:
    """An incoming request as the verifier sees it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes = b""

    def with_headers(self, **changes: str | None) -> Request:
        headers = {k: v for k, v in self.headers.items() if k not in changes}
        headers.update({k.replace("_", "-"): v for k, v in changes.items() if v is not None})
        return replace(self, headers=headers)


@dataclass
class FakeKeys:
    """A key lookup that records its calls: ``cached`` before a refresh, ``fresh`` after."""

    cached: str | None
    fresh: str | None = None
    calls: list[tuple[str, bool]] = field(default_factory=list)

    async def __call__(self, key_id: str, refresh: bool) -> str | None:
        self.calls.append((key_id, refresh))
        if key_id != ALICE_KEY_ID:
            return None
        return self.fresh if refresh else self.cached


def received(method: str, url: str, headers: dict[str, str], body: bytes | None) -> Request:
    parts = urlsplit(url)
    return Request(method, parts.path, parts.query, headers, body or b"")


def alice_posts(
    url: str = BOB_INBOX, body: bytes = FOLLOW, private: str = ALICE_PRIVATE, now: datetime = NOW
) -> Request:
    headers = sign_request("POST", url, {"Content-Type": ACTIVITY_JSON}, body, ALICE_KEY_ID, private, now)
    return received("POST", url, headers, body)


def alice_gets(url: str = "https://lyon.example/users/bob/outbox?page=2", now: datetime = NOW) -> Request:
    headers = sign_request("GET", url, {"Accept": ACTIVITY_JSON}, None, ALICE_KEY_ID, ALICE_PRIVATE, now)
    return received("GET", url, headers, None)


def alice_posts_rfc9421(url: str = BOB_INBOX, body: bytes = FOLLOW, private: str = ALICE_PRIVATE) -> Request:
    headers = sign_request_rfc9421(
        "POST", url, {"Content-Type": ACTIVITY_JSON}, body, ALICE_KEY_ID, private, NOW
    )
    return received("POST", url, headers, body)


async def verify(request: Request, lookup: FakeKeys | None = None, now: datetime = NOW, **options: object):
    lookup = lookup or FakeKeys(ALICE_PUBLIC)
    return await verify_request(
        request.method, request.path, request.query, request.headers, request.body, lookup, now, **options
    )


def parse(request: Request, now: datetime = NOW) -> ParsedSignature:
    return parse_signature(request.method, request.path, request.query, request.headers, request.body, now)


def hand_signed(
    request: Request,
    lines: list[str],
    listed: str,
    *,
    params: str = 'algorithm="rsa-sha256",',
    private: str = ALICE_PRIVATE,
) -> Request:
    """Sign ``lines`` (built by the test, not by the code under test) into a Signature header."""
    signature = keys.sign_bytes(
        keys.load_private_key(private), keys.RSA_V1_5_SHA256, "\n".join(lines).encode()
    )
    encoded = base64.b64encode(signature).decode()
    header = f'keyId="{ALICE_KEY_ID}",{params}headers="{listed}",signature="{encoded}"'
    return request.with_headers(Signature=header)


def post_lines(request: Request, target: str = "post /users/bob/inbox") -> list[str]:
    h = request.headers
    return [
        f"(request-target): {target}",
        f"host: {h['Host']}",
        f"date: {h['Date']}",
        f"digest: {h['Digest']}",
    ]


# --- keys ---------------------------------------------------------------------------------------


def test_generate_rsa_keypair_gives_a_pkcs8_private_and_an_spki_public_2048_bit_key():
    private_pem, public_pem = generate_rsa_keypair()
    assert private_pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert load_private_key(private_pem).key_size == 2048
    assert keys.public_pem_of(load_private_key(private_pem)) == public_pem


def test_load_public_key_accepts_a_pkcs1_rsa_public_key():
    # Given Alice's key exported as "BEGIN RSA PUBLIC KEY", as some servers publish it
    pkcs1 = (
        load_public_key(ALICE_PUBLIC)
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
        .decode()
    )
    assert pkcs1.startswith("-----BEGIN RSA PUBLIC KEY-----")
    # Then it loads to the same key, and a request she signed verifies with it
    assert load_public_key(pkcs1).public_numbers() == load_public_key(ALICE_PUBLIC).public_numbers()
    assert verify_parsed(parse(alice_posts()), pkcs1)


def test_load_public_key_tolerates_crlf_and_indentation():
    messy = "\r\n".join("   " + line for line in ALICE_PUBLIC.splitlines()) + "\r\n\r\n"
    assert load_public_key(messy).public_numbers() == load_public_key(ALICE_PUBLIC).public_numbers()


def test_loaded_keys_are_cached():
    load_private_key.cache_clear()
    first = load_private_key(ALICE_PRIVATE)
    assert load_private_key(ALICE_PRIVATE) is first
    assert load_private_key.cache_info().hits == 1
    assert load_public_key(ALICE_PUBLIC) is load_public_key(ALICE_PUBLIC)


def test_load_public_key_refuses_garbage_and_unsupported_key_types():
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    for bad in ("", "not a key", ALICE_PUBLIC.replace("A", "B", 3), ec_pem):
        with pytest.raises(ValueError):
            load_public_key(bad)


def test_ed25519_public_keys_are_accepted():
    private = ed25519.Ed25519PrivateKey.generate()
    assert isinstance(load_public_key(keys.public_pem_of(private)), ed25519.Ed25519PublicKey)


# --- signing ------------------------------------------------------------------------------------


def test_sign_request_for_a_post_sets_host_date_digest_and_signs_them():
    # When Alice signs a POST to Bob's inbox
    headers = sign_request(
        "POST", BOB_INBOX, {"Content-Type": ACTIVITY_JSON}, FOLLOW, ALICE_KEY_ID, ALICE_PRIVATE, NOW
    )
    # Then the headers are those Mastodon expects
    assert headers["Host"] == "lyon.example"
    assert headers["Date"] == "Fri, 14 Mar 2025 15:09:26 GMT"
    assert headers["Digest"] == "SHA-256=" + base64.b64encode(hashlib.sha256(FOLLOW).digest()).decode()
    assert headers["Content-Type"] == ACTIVITY_JSON
    assert headers["Signature"].startswith(
        f'keyId="{ALICE_KEY_ID}",algorithm="rsa-sha256",'
        'headers="(request-target) host date digest content-type",signature="'
    )
    # And the signature is RSASSA-PKCS1-v1_5 SHA-256 over exactly these lines
    text = (
        "(request-target): post /users/bob/inbox\nhost: lyon.example\n"
        f"date: {headers['Date']}\ndigest: {headers['Digest']}\ncontent-type: {ACTIVITY_JSON}"
    ).encode()
    signature = base64.b64decode(headers["Signature"].split('signature="')[1].rstrip('"'))
    assert keys.verify_bytes(load_public_key(ALICE_PUBLIC), keys.RSA_V1_5_SHA256, signature, text)


def test_sign_request_for_a_get_signs_accept_and_keeps_port_and_query():
    headers = sign_request(
        "GET",
        "https://Lyon.Example:8443/users/bob?page=2",
        {"Accept": ACTIVITY_JSON},
        None,
        ALICE_KEY_ID,
        ALICE_PRIVATE,
        NOW,
    )
    assert headers["Host"] == "lyon.example:8443"
    assert "Digest" not in headers
    assert 'headers="(request-target) host date accept"' in headers["Signature"]
    request = received("GET", "https://lyon.example:8443/users/bob?page=2", headers, None)
    assert parse(request).signing_strings[0].startswith(b"(request-target): get /users/bob?page=2\n")


def test_sign_request_drops_the_default_port_and_replaces_our_managed_headers():
    headers = sign_request(
        "GET",
        "https://lyon.example:443/",
        {"host": "evil.example", "Date": "yesterday", "signature": "x", "X-Extra": "kept"},
        None,
        ALICE_KEY_ID,
        ALICE_PRIVATE,
        NOW,
    )
    assert {k.lower() for k in headers} == {"host", "date", "signature", "x-extra"}
    assert (headers["Host"], headers["X-Extra"]) == ("lyon.example", "kept")
    assert 'headers="(request-target) host date"' in headers["Signature"]


def test_sign_request_refuses_non_http_urls_and_non_rsa_keys():
    with pytest.raises(ValueError):
        sign_request("GET", "ftp://lyon.example/", None, None, ALICE_KEY_ID, ALICE_PRIVATE, NOW)
    ed_private = (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    with pytest.raises(ValueError):
        sign_request("GET", BOB_INBOX, None, None, ALICE_KEY_ID, ed_private, NOW)


# --- verifying: round trips ---------------------------------------------------------------------


async def test_a_signed_post_round_trips():
    verified = await verify(alice_posts())
    assert verified.key_id == ALICE_KEY_ID
    assert (verified.scheme, verified.algorithm, verified.refreshed) == ("cavage", "rsa-v1_5-sha256", False)
    assert verified.covered == ("(request-target)", "host", "date", "digest", "content-type")
    assert verified.created == NOW
    assert verified.public_key_pem == ALICE_PUBLIC


async def test_a_signed_get_with_a_query_round_trips():
    verified = await verify(alice_gets())
    assert verified.covered == ("(request-target)", "host", "date", "accept")


async def test_headers_may_be_asgi_byte_pairs_in_any_case():
    request = alice_posts()
    pairs = [(name.lower().encode(), value.encode()) for name, value in request.headers.items()]
    lookup = FakeKeys(ALICE_PUBLIC)
    verified = await verify_request("POST", b"/users/bob/inbox", b"", pairs, request.body, lookup, NOW)
    assert verified.key_id == ALICE_KEY_ID


async def test_the_authorization_signature_form_is_accepted():
    request = alice_posts()
    moved = request.with_headers(Signature=None, Authorization="Signature " + request.headers["Signature"])
    assert (await verify(moved)).key_id == ALICE_KEY_ID


async def test_hs2019_with_signed_created_and_expires_verifies():
    # Given a signature using hs2019 with (created)/(expires) pseudo-headers instead of Date
    request = alice_posts()
    created, expires = int(NOW.timestamp()) - 30, int(NOW.timestamp()) + 270
    lines = [
        post_lines(request)[0],
        post_lines(request)[1],
        f"(created): {created}",
        f"(expires): {expires}",
        post_lines(request)[3],
    ]
    signed = hand_signed(
        request,
        lines,
        "(request-target) host (created) (expires) digest",
        params=f'algorithm="hs2019",created={created},expires={expires},',
    )
    # Then it verifies, dated by the signed (created)
    verified = await verify(signed)
    assert verified.created == datetime.fromtimestamp(created, UTC)
    # But (created) with algorithm rsa-sha256 is refused, as Mastodon does
    rsa = hand_signed(
        request,
        lines,
        "(request-target) host (created) (expires) digest",
        params=f'algorithm="rsa-sha256",created={created},expires={expires},',
    )
    with pytest.raises(SignatureError, match="hs2019"):
        await verify(rsa)


async def test_a_sha512_digest_is_accepted_too():
    request = alice_posts()
    digest = "SHA-512=" + base64.b64encode(hashlib.sha512(FOLLOW).digest()).decode()
    request = request.with_headers(Digest=digest)
    signed = hand_signed(request, post_lines(request), "(request-target) host date digest")
    assert (await verify(signed)).key_id == ALICE_KEY_ID


async def test_mastodon_legacy_request_target_without_query_string():
    # Given a GET signed the way Mastodon < 4.1 did: (request-target) without the query string
    request = alice_gets()
    h = request.headers
    lines = ["(request-target): get /users/bob/outbox", f"host: {h['Host']}", f"date: {h['Date']}"]
    legacy = hand_signed(request, lines, "(request-target) host date")
    # Then it verifies by default (signed_request.rb keeps this for compatibility) ...
    assert (await verify(legacy)).key_id == ALICE_KEY_ID
    # ... and is refused when the fallback is turned off
    with pytest.raises(SignatureError):
        await verify(legacy, legacy_query_fallback=False)


async def test_rfc9421_post_round_trips_and_covers_what_mastodon_requires():
    request = alice_posts_rfc9421()
    assert request.headers["Content-Digest"].startswith("sha-256=:")
    assert request.headers["Signature-Input"].startswith(
        'sig1=("@method" "@target-uri" "content-digest" "content-type");created=1741964966;'
        f'keyid="{ALICE_KEY_ID}";alg="rsa-v1_5-sha256"'
    )
    verified = await verify(request)
    assert (verified.scheme, verified.algorithm) == ("rfc9421", "rsa-v1_5-sha256")


async def test_rfc9421_get_with_ed25519_and_rsa_pss_round_trips():
    ed_private = (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    url = "https://lyon.example/users/bob?page=1"
    for private, public, algorithm in (
        (ed_private, keys.public_pem_of(load_private_key(ed_private)), None),
        (ALICE_PRIVATE, ALICE_PUBLIC, keys.RSA_PSS_SHA512),
    ):
        headers = sign_request_rfc9421(
            "GET", url, None, None, ALICE_KEY_ID, private, NOW, algorithm=algorithm
        )
        verified = await verify(received("GET", url, headers, None), FakeKeys(public))
        assert verified.algorithm == (algorithm or keys.ED25519)


async def test_rfc9421_uses_the_first_acceptable_of_several_signatures():
    # Given a request carrying a weak proxy signature first and Alice's full one second
    request = alice_posts_rfc9421()
    weak_input = 'proxy=("@authority");created=1741964966;keyid="https://proxy.example/key"'
    both = request.with_headers(
        Signature_Input=f"{weak_input}, {request.headers['Signature-Input']}",
        Signature=f"proxy=:AAAA:, {request.headers['Signature']}",
    )
    verified = await verify(both)
    assert verified.key_id == ALICE_KEY_ID


# --- SECURITY-CASES 9: digest, coverage, algorithm, keyId, malformed -----------------------------


async def test_case_9_digest_not_matching_the_body_is_refused():
    request = replace(alice_posts(), body=FOLLOW.replace(b"Follow", b"Block"))
    with pytest.raises(SignatureError, match="Digest") as refused:
        await verify(request)
    assert refused.value.status == 401


async def test_case_9_digest_present_but_not_signed_is_refused():
    request = alice_posts()
    h = request.headers
    lines = ["(request-target): post /users/bob/inbox", f"host: {h['Host']}", f"date: {h['Date']}"]
    unsigned_digest = hand_signed(request, lines, "(request-target) host date")
    with pytest.raises(SignatureError, match="Digest"):
        await verify(unsigned_digest)
    # Nor can a body be slipped in by dropping the Digest header
    with pytest.raises(SignatureError, match="Digest"):
        await verify(unsigned_digest.with_headers(Digest=None))


async def test_case_9_only_date_signed_is_refused():
    request = alice_gets()
    only_date = hand_signed(request, [f"date: {request.headers['Date']}"], "date")
    default_list = hand_signed(request, [f"date: {request.headers['Date']}"], "date").with_headers(
        Signature=only_date.headers["Signature"].replace('headers="date",', "")
    )
    for weak in (only_date, default_list):
        with pytest.raises(SignatureError, match=r"\(request-target\)") as refused:
            await verify(weak)
        assert refused.value.status == 401


@pytest.mark.parametrize("algorithm", ["rsa-sha512", "hmac-sha256", "ed25519", "RSA-SHA256", ""])
async def test_case_9_unknown_algorithm_is_refused(algorithm: str):
    request = alice_posts()
    forged = request.with_headers(
        Signature=request.headers["Signature"].replace('algorithm="rsa-sha256"', f'algorithm="{algorithm}"')
    )
    with pytest.raises(SignatureError, match="algorithm"):
        await verify(forged)


async def test_case_9_missing_key_id_is_refused_before_any_lookup():
    request = alice_posts()
    lookup = FakeKeys(ALICE_PUBLIC)
    for header in (
        request.headers["Signature"].replace(f'keyId="{ALICE_KEY_ID}",', ""),
        request.headers["Signature"].replace(f'keyId="{ALICE_KEY_ID}"', 'keyId=""'),
    ):
        with pytest.raises(SignatureError, match="keyId"):
            await verify(request.with_headers(Signature=header), lookup)
    assert lookup.calls == []


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        'keyId="unterminated',
        'keyId="a",,signature="AAAA"',
        'keyId="a",signature="AAAA",',
        'keyId="a",keyId="b",headers="(request-target) host date digest",signature="AAAA"',
        'keyId="a" signature="AAAA"',
        'keyId="a",headers="(request-target) host date digest",signature="not base64!"',
        'keyId="a",headers="(request-target) host date digest",signature="A"',
        'keyId="a",headers="(request-target) host date digest",signature="AAB="',
        'keyId="a",created=soon,headers="(request-target) host date digest",signature="AAAA"',
        "Signature Signature keyId=x",
        "\x00\xff\u202e",
    ],
)
async def test_case_9_malformed_signature_header_is_refused(header: str):
    lookup = FakeKeys(ALICE_PUBLIC)
    with pytest.raises(SignatureError) as refused:
        await verify(alice_posts().with_headers(Signature=header), lookup)
    assert refused.value.status == 401
    assert lookup.calls == []


async def test_an_unsigned_request_is_refused():
    with pytest.raises(SignatureError, match="not signed"):
        await verify(alice_posts().with_headers(Signature=None))
    with pytest.raises(SignatureError, match="not signed"):
        await verify(alice_posts().with_headers(Signature=None, Authorization="Bearer abc"))


async def test_rfc9421_content_digest_mismatch_or_uncovered_is_refused():
    request = alice_posts_rfc9421()
    with pytest.raises(SignatureError, match="Content-Digest"):
        await verify(replace(request, body=b"{}"))
    uncovered = sign_request_rfc9421(
        "POST",
        BOB_INBOX,
        None,
        FOLLOW,
        ALICE_KEY_ID,
        ALICE_PRIVATE,
        NOW,
        components=["@method", "@target-uri"],
    )
    with pytest.raises(SignatureError, match="Content-Digest"):
        await verify(received("POST", BOB_INBOX, uncovered, FOLLOW))


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (";created=1741964966", "", "keyid and created are required"),
        (f';keyid="{ALICE_KEY_ID}"', "", "keyid and created are required"),
        ('alg="rsa-v1_5-sha256"', 'alg="hmac-sha256"', "unsupported alg"),
        ('"@method" ', "", "@method must be covered"),
        ('"@target-uri" ', "", "@target-uri .* must be covered"),
        ('"content-digest" ', "", "Content-Digest must be covered"),
        ('"@method"', '"@method";req', "unsupported component"),
        ('"@method"', '"@Method"', "lowercase"),
        ('"@method"', '"@method" "@method"', "repeated"),
        ('"content-type"', '"@status"', "unsupported derived component"),
        ('"content-type"', '"x-missing"', "missing"),
        ("sig1=(", "sig1=:AAAA:, x=(", "not an inner list"),
        ("sig1=(", "sig1=(), sig1=(", "repeated dictionary key"),
        ("sig1=", "other=", "no signature for label"),
    ],
)
async def test_rfc9421_weak_or_malformed_signature_input_is_refused(old: str, new: str, reason: str):
    # Given Alice's RFC 9421 request with one thing changed in Signature-Input
    request = alice_posts_rfc9421()
    changed = request.with_headers(Signature_Input=request.headers["Signature-Input"].replace(old, new, 1))
    # Then it is refused before any key is looked up, for the expected reason
    lookup = FakeKeys(ALICE_PUBLIC)
    with pytest.raises(SignatureError, match=reason) as refused:
        await verify(changed, lookup)
    assert (refused.value.status, lookup.calls) == (401, [])


# --- SECURITY-CASES 10: a signature is bound to method, path, query and host --------------------


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: replace(r, method="PUT"),
        lambda r: replace(r, path="/users/carol/inbox"),
        lambda r: replace(r, query="page=3"),
        lambda r: r.with_headers(Host="marseille.example"),
    ],
    ids=["method", "path", "query", "host"],
)
async def test_case_10_a_signature_for_another_request_is_refused(scheme: str, tamper):
    # Given a request Alice signed for lyon.example's /users/bob/inbox?page=2
    url = BOB_INBOX + "?page=2"
    request = alice_posts(url) if scheme == "cavage" else alice_posts_rfc9421(url)
    assert (await verify(request)).key_id == ALICE_KEY_ID
    # When it is replayed against another method, path, query string or host
    with pytest.raises(SignatureError) as refused:
        await verify(tamper(request))
    # Then it is refused
    assert refused.value.status == 401


async def test_case_10_rfc9421_target_uri_binds_the_scheme():
    with pytest.raises(SignatureError):
        await verify(alice_posts_rfc9421(), scheme="http")


# --- SECURITY-CASES 11: dates --------------------------------------------------------------------


@pytest.mark.parametrize(
    "offset", [timedelta(hours=1, seconds=1), -timedelta(hours=1, seconds=1), timedelta(days=-400)]
)
async def test_case_11_a_date_more_than_an_hour_away_is_refused(offset: timedelta):
    request = alice_posts(now=NOW + offset)
    with pytest.raises(SignatureError) as refused:
        await verify(request, now=NOW)
    assert refused.value.status == 401


@pytest.mark.parametrize("offset", [timedelta(minutes=59), -timedelta(minutes=59)])
async def test_case_11_a_date_within_the_hour_is_accepted(offset: timedelta):
    assert (await verify(alice_posts(now=NOW + offset), now=NOW)).key_id == ALICE_KEY_ID


@pytest.mark.parametrize(
    "date", ["", "yesterday", "Fri, 14 Mar 2025 15:09:26", "Fri, 32 Mar 2025 15:09:26 GMT", "1741964966"]
)
async def test_case_11_an_unparsable_date_is_refused(date: str):
    request = alice_gets()
    h = request.headers
    lines = ["(request-target): get /users/bob/outbox?page=2", f"host: {h['Host']}", f"date: {date}"]
    signed = hand_signed(request.with_headers(Date=date), lines, "(request-target) host date")
    with pytest.raises(SignatureError) as refused:
        await verify(signed)
    assert refused.value.status == 401


async def test_case_11_obsolete_http_date_forms_are_read():
    request = alice_gets()
    h = request.headers
    for date in ("Friday, 14-Mar-25 15:09:26 GMT", "Fri Mar 14 15:09:26 2025"):
        lines = ["(request-target): get /users/bob/outbox?page=2", f"host: {h['Host']}", f"date: {date}"]
        signed = hand_signed(request.with_headers(Date=date), lines, "(request-target) host date")
        assert (await verify(signed)).created == NOW


async def test_case_11_expired_created_and_expires_are_refused():
    request = alice_posts()
    lines = post_lines(request)
    for created, expires in (
        (NOW - timedelta(hours=2), None),
        (NOW - timedelta(minutes=10), NOW - timedelta(hours=2)),
    ):
        stamp = int(created.timestamp())
        extra = f",expires={int(expires.timestamp())}" if expires else ""
        signed = hand_signed(
            request,
            [lines[0], lines[1], f"(created): {stamp}", lines[3]],
            "(request-target) host (created) digest",
            params=f'algorithm="hs2019",created={stamp}{extra},',
        )
        with pytest.raises(SignatureError, match="expired"):
            await verify(signed)


async def test_case_11_rfc9421_created_more_than_an_hour_old_is_refused():
    with pytest.raises(SignatureError, match="expired"):
        await verify(alice_posts_rfc9421(), now=NOW + timedelta(hours=1, seconds=1))


# --- SECURITY-CASES 12 and 13: key lookup and rotation -------------------------------------------


async def test_case_12_a_lookup_refusing_the_key_host_ends_verification_with_its_status():
    # Given a key lookup that refuses keyIds on hosts that are not allowed, without fetching
    calls: list[tuple[str, bool]] = []

    async def closed_mode(key_id: str, refresh: bool) -> str | None:
        calls.append((key_id, refresh))
        raise SignatureError(403, "host not allowed")

    # Then its 403 is what verify_request raises, and it is asked only once
    request = alice_posts()
    with pytest.raises(SignatureError) as refused:
        await verify_request(
            "POST", request.path, request.query, request.headers, request.body, closed_mode, NOW
        )
    assert refused.value.status == 403
    assert calls == [(ALICE_KEY_ID, False)]


async def test_case_13_after_rotation_one_refetch_then_the_new_key_verifies():
    # Given Alice rotated her key and we still hold the old one
    lookup = FakeKeys(cached=ALICE_PUBLIC, fresh=ALICE_ROTATED_PUBLIC)
    # When she sends a request signed with her new key
    verified = await verify(alice_posts(private=ALICE_ROTATED_PRIVATE), lookup)
    # Then the key was re-fetched exactly once, and the new key verified it
    assert lookup.calls == [(ALICE_KEY_ID, False), (ALICE_KEY_ID, True)]
    assert (verified.public_key_pem, verified.refreshed) == (ALICE_ROTATED_PUBLIC, True)


async def test_case_13_after_rotation_the_old_key_fails_with_one_refetch():
    # Given we hold (and re-fetch) only Alice's new key
    lookup = FakeKeys(cached=ALICE_ROTATED_PUBLIC, fresh=ALICE_ROTATED_PUBLIC)
    # When a request signed with her old key arrives
    with pytest.raises(SignatureError) as refused:
        await verify(alice_posts(private=ALICE_PRIVATE), lookup)
    # Then it fails, after a single re-fetch
    assert refused.value.status == 401
    assert lookup.calls == [(ALICE_KEY_ID, False), (ALICE_KEY_ID, True)]


async def test_case_13_no_refetch_when_the_cached_key_verifies():
    lookup = FakeKeys(cached=ALICE_PUBLIC, fresh=ALICE_ROTATED_PUBLIC)
    assert not (await verify(alice_posts(), lookup)).refreshed
    assert lookup.calls == [(ALICE_KEY_ID, False)]


async def test_case_13_an_unknown_key_is_fetched_once_then_refused():
    lookup = FakeKeys(cached=None, fresh=None)
    with pytest.raises(SignatureError, match="no public key"):
        await verify(alice_posts(), lookup)
    assert lookup.calls == [(ALICE_KEY_ID, False), (ALICE_KEY_ID, True)]


async def test_a_lookup_returning_a_broken_pem_is_a_plain_failure():
    lookup = FakeKeys(cached="-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", fresh="junk")
    with pytest.raises(SignatureError) as refused:
        await verify(alice_posts(), lookup)
    assert refused.value.status == 401


def test_sign_request_rfc9421_refuses_a_component_the_request_lacks():
    with pytest.raises(ValueError, match="missing"):
        sign_request_rfc9421(
            "GET", BOB_INBOX, None, None, ALICE_KEY_ID, ALICE_PRIVATE, NOW, components=["@method", "accept"]
        )


async def test_a_get_may_pass_no_body_at_all():
    request = alice_gets()
    lookup = FakeKeys(ALICE_PUBLIC)
    verified = await verify_request("GET", request.path, request.query, request.headers, None, lookup, NOW)
    assert verified.key_id == ALICE_KEY_ID
