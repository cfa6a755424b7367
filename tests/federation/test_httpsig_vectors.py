"""Published test vectors: draft-cavage-12 appendix C and RFC 9421 section 4.3 / appendix B.

Keys and signatures are copied from the specifications (cross-checked against the
test suites of Linzer, the library Mastodon uses, and other implementations).
"""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from federation import keys
from federation.httpsig import SignatureError, parse_signature, verify_parsed
from federation.httpsig_cavage import parse_params
from federation.httpsig_common import Headers
from federation.httpsig_rfc9421 import RequestView, signature_base
from federation.httpsig_sfv import InnerList, parse_dictionary, serialize_inner_list

# draft-cavage-12 appendix C: the 1024-bit "Test" key (PKCS#1), its public half, the request.
CAVAGE_PRIVATE = """-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----"""
CAVAGE_PUBLIC = keys.public_pem_of(keys.load_private_key(CAVAGE_PRIVATE))
CAVAGE_BODY = b'{"hello": "world"}'
CAVAGE_HEADERS = {
    "Host": "example.com",
    "Date": "Sun, 05 Jan 2014 21:31:40 GMT",
    "Content-Type": "application/json",
    "Digest": "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
    "Content-Length": "18",
}
CAVAGE_NOW = datetime(2014, 1, 5, 21, 31, 40, tzinfo=UTC)

C1_SIGNATURE = (
    "SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV5lp7q25WqS+la"
    "vg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM="
)
C2_SIGNATURE = (
    "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe8VfEdKFYR"
    "qzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0="
)
C3_SIGNATURE = (
    "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEUHFv120V01"
    "IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE="
)

# RFC 9421 appendix B.1: test-key-rsa (PKCS#1 both halves), test-key-rsa-pss (public), test-key-ed25519.
RFC_RSA_PRIVATE = """-----BEGIN RSA PRIVATE KEY-----
MIIEqAIBAAKCAQEAhAKYdtoeoy8zcAcR874L8cnZxKzAGwd7v36APp7Pv6Q2jdsP
BRrwWEBnez6d0UDKDwGbc6nxfEXAy5mbhgajzrw3MOEt8uA5txSKobBpKDeBLOsd
JKFqMGmXCQvEG7YemcxDTRPxAleIAgYYRjTSd/QBwVW9OwNFhekro3RtlinV0a75
jfZgkne/YiktSvLG34lw2zqXBDTC5NHROUqGTlML4PlNZS5Ri2U4aCNx2rUPRcKI
lE0PuKxI4T+HIaFpv8+rdV6eUgOrB2xeI1dSFFn/nnv5OoZJEIB+VmuKn3DCUcCZ
SFlQPSXSfBDiUGhwOw76WuSSsf1D4b/vLoJ10wIDAQABAoIBAG/JZuSWdoVHbi56
vjgCgkjg3lkO1KrO3nrdm6nrgA9P9qaPjxuKoWaKO1cBQlE1pSWp/cKncYgD5WxE
CpAnRUXG2pG4zdkzCYzAh1i+c34L6oZoHsirK6oNcEnHveydfzJL5934egm6p8DW
+m1RQ70yUt4uRc0YSor+q1LGJvGQHReF0WmJBZHrhz5e63Pq7lE0gIwuBqL8SMaA
yRXtK+JGxZpImTq+NHvEWWCu09SCq0r838ceQI55SvzmTkwqtC+8AT2zFviMZkKR
Qo6SPsrqItxZWRty2izawTF0Bf5S2VAx7O+6t3wBsQ1sLptoSgX3QblELY5asI0J
YFz7LJECgYkAsqeUJmqXE3LP8tYoIjMIAKiTm9o6psPlc8CrLI9CH0UbuaA2JCOM
cCNq8SyYbTqgnWlB9ZfcAm/cFpA8tYci9m5vYK8HNxQr+8FS3Qo8N9RJ8d0U5Csw
DzMYfRghAfUGwmlWj5hp1pQzAuhwbOXFtxKHVsMPhz1IBtF9Y8jvgqgYHLbmyiu1
mwJ5AL0pYF0G7x81prlARURwHo0Yf52kEw1dxpx+JXER7hQRWQki5/NsUEtv+8RT
qn2m6qte5DXLyn83b1qRscSdnCCwKtKWUug5q2ZbwVOCJCtmRwmnP131lWRYfj67
B/xJ1ZA6X3GEf4sNReNAtaucPEelgR2nsN0gKQKBiGoqHWbK1qYvBxX2X3kbPDkv
9C+celgZd2PW7aGYLCHq7nPbmfDV0yHcWjOhXZ8jRMjmANVR/eLQ2EfsRLdW69bn
f3ZD7JS1fwGnO3exGmHO3HZG+6AvberKYVYNHahNFEw5TsAcQWDLRpkGybBcxqZo
81YCqlqidwfeO5YtlO7etx1xLyqa2NsCeG9A86UjG+aeNnXEIDk1PDK+EuiThIUa
/2IxKzJKWl1BKr2d4xAfR0ZnEYuRrbeDQYgTImOlfW6/GuYIxKYgEKCFHFqJATAG
IxHrq1PDOiSwXd2GmVVYyEmhZnbcp8CxaEMQoevxAta0ssMK3w6UsDtvUvYvF22m
qQKBiD5GwESzsFPy3Ga0MvZpn3D6EJQLgsnrtUPZx+z2Ep2x0xc5orneB5fGyF1P
WtP+fG5Q6Dpdz3LRfm+KwBCWFKQjg7uTxcjerhBWEYPmEMKYwTJF5PBG9/ddvHLQ
EQeNC8fHGg4UXU8mhHnSBt3EA10qQJfRDs15M38eG2cYwB1PZpDHScDnDA0=
-----END RSA PRIVATE KEY-----"""
RFC_RSA_PUBLIC = """-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAhAKYdtoeoy8zcAcR874L8cnZxKzAGwd7v36APp7Pv6Q2jdsPBRrw
WEBnez6d0UDKDwGbc6nxfEXAy5mbhgajzrw3MOEt8uA5txSKobBpKDeBLOsdJKFq
MGmXCQvEG7YemcxDTRPxAleIAgYYRjTSd/QBwVW9OwNFhekro3RtlinV0a75jfZg
kne/YiktSvLG34lw2zqXBDTC5NHROUqGTlML4PlNZS5Ri2U4aCNx2rUPRcKIlE0P
uKxI4T+HIaFpv8+rdV6eUgOrB2xeI1dSFFn/nnv5OoZJEIB+VmuKn3DCUcCZSFlQ
PSXSfBDiUGhwOw76WuSSsf1D4b/vLoJ10wIDAQAB
-----END RSA PUBLIC KEY-----"""
RFC_RSA_PSS_PUBLIC = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----"""
RFC_ED25519_PRIVATE = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----"""
RFC_ED25519_PUBLIC = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----"""

# RFC 9421 section 2.4: the test request (POST https://example.com/foo?param=Value&Pet=dog).
RFC_BODY = b'{"hello": "world"}'
RFC_DIGEST = (
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
)
RFC_HEADERS = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest": RFC_DIGEST,
    "Content-Length": "18",
}
RFC_NOW = datetime.fromtimestamp(1618884473, UTC)

B21_INPUT = 'sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"'
B21_SIGNATURE = (
    "d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsck"
    "zXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXeh"
    "hWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9m"
    "hho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q=="
)
B22_INPUT = (
    'sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;'
    'keyid="test-key-rsa-pss";tag="header-example"'
)
B22_SIGNATURE = (
    "LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjvuJyE5qH7KT8UCMkSo"
    "wOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17SARYhpTlaqwZVtR8NV7+4UKkjq"
    "pcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk"
    "//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw=="
)
B23_INPUT = (
    'sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" '
    '"content-length");created=1618884473;keyid="test-key-rsa-pss"'
)
B23_SIGNATURE = (
    "bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768"
    "ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoL"
    "d7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2"
    "Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA=="
)
B26_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;'
    'keyid="test-key-ed25519"'
)
B26_SIGNATURE = "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
PROXY_INPUT = (
    'proxy_sig=("@method" "@authority" "@path" "content-digest" "content-type" "content-length" '
    '"forwarded");created=1618884480;keyid="test-key-rsa";alg="rsa-v1_5-sha256";expires=1618884540'
)
PROXY_SIGNATURE = (
    "S6ZzPXSdAMOPjN/6KXfXWNO/f7V6cHm7BXYUh3YD/fRad4BCaRZxP+JH+8XY1I6+8Cy+CM5g92iHgxtRPz+MjniOaYmdkDcnL9cC"
    "pXJleXsOckpURl49GwiyUpZ10KHgOEe11sx3G2gxI8S0jnxQB+Pu68U9vVcasqOWAEObtNKKZd8tSFu7LB5YAv0RAGhB8tmpv7sF"
    "nIm9y+7X5kXQfi8NMaZaA8i2ZHwpBdg7a6CMfwnnrtflzvZdXAsD3LH2TwevU+/PBPv0B6NMNk93wUs/vfJvye+YuI87HU38lZHo"
    "wtznbLVdp770I6VHR6WfgS9ddzirrswsE1w5o0LV/g=="
)


def cavage_signature_header(headers: str | None, signature: str) -> str:
    listed = f'headers="{headers}",' if headers is not None else ""
    return f'keyId="Test",algorithm="rsa-sha256",{listed}signature="{signature}"'


def parse_cavage_vector(signature_header: str) -> object:
    headers = {**CAVAGE_HEADERS, "Signature": signature_header}
    return parse_signature("POST", "/foo", "param=value&pet=dog", headers, CAVAGE_BODY, CAVAGE_NOW)


def rfc_base(signature_input: str, headers: dict[str, str], path: str = "/foo") -> bytes:
    label, member = next(iter(parse_dictionary(signature_input).items()))
    assert isinstance(member, InnerList), label
    view = RequestView("POST", "https", path, "param=Value&Pet=dog", Headers(headers))
    return signature_base(view, [str(item.value) for item in member.items], serialize_inner_list(member))


def test_cavage_c1_default_test_signs_only_the_date_and_is_refused():
    # Given the C.1 vector: no headers parameter, so rsa-sha256 defaults to signing "date" alone
    private = keys.load_private_key(CAVAGE_PRIVATE)
    signed = keys.sign_bytes(private, keys.RSA_V1_5_SHA256, b"date: Sun, 05 Jan 2014 21:31:40 GMT")
    # Then our signer reproduces the published signature byte for byte
    assert base64.b64encode(signed).decode() == C1_SIGNATURE
    # But such a signature binds neither method nor path: refused (SECURITY-CASES 9)
    with pytest.raises(SignatureError) as refused:
        parse_cavage_vector(cavage_signature_header(None, C1_SIGNATURE))
    assert refused.value.status == 401
    assert "(request-target)" in refused.value.message


def test_cavage_c2_basic_test_verifies():
    # Given the C.2 vector: (request-target) host date, on a POST with a body
    header = cavage_signature_header("(request-target) host date", C2_SIGNATURE)
    # When the parameters are read, the vector's headers list is what Mastodon would read
    assert parse_params(header)["headers"] == "(request-target) host date"
    # Then the signature is cryptographically right ...
    private = keys.load_private_key(CAVAGE_PRIVATE)
    text = (
        b"(request-target): post /foo?param=value&pet=dog\n"
        b"host: example.com\n"
        b"date: Sun, 05 Jan 2014 21:31:40 GMT"
    )
    assert base64.b64encode(keys.sign_bytes(private, keys.RSA_V1_5_SHA256, text)).decode() == C2_SIGNATURE
    # ... but a POST whose Digest is not signed is refused (SECURITY-CASES 9)
    with pytest.raises(SignatureError, match="Digest"):
        parse_cavage_vector(header)


def test_cavage_c3_all_headers_test_verifies_end_to_end():
    # Given the C.3 vector (signed over the six listed headers; the draft's text also lists
    # (created)/(expires) but its published signature does not cover them)
    header = cavage_signature_header(
        "(request-target) host date content-type digest content-length", C3_SIGNATURE
    )
    # When it is parsed at the vector's own time
    parsed = parse_cavage_vector(header)
    # Then it verifies with the Test key, through the query-carrying (request-target)
    assert parsed.key_id == "Test"
    assert parsed.signing_strings[0].startswith(b"(request-target): post /foo?param=value&pet=dog\n")
    assert verify_parsed(parsed, CAVAGE_PUBLIC)
    assert not verify_parsed(replace(parsed, signing_strings=parsed.signing_strings[1:]), CAVAGE_PUBLIC)


def test_rfc9421_b23_full_coverage_rsa_pss_verifies_end_to_end():
    # Given B.2.3, which covers method, path, query, authority and the digest of the body
    headers = {**RFC_HEADERS, "Signature-Input": B23_INPUT, "Signature": f"sig-b23=:{B23_SIGNATURE}:"}
    # When it is parsed at its creation time
    parsed = parse_signature("POST", "/foo", "param=Value&Pet=dog", headers, RFC_BODY, RFC_NOW)
    # Then the key decides the algorithm (no alg parameter): as rsa-pss-sha512 it verifies
    assert (parsed.scheme, parsed.key_id, parsed.label) == ("rfc9421", "test-key-rsa-pss", "sig-b23")
    assert verify_parsed(replace(parsed, algorithm=keys.RSA_PSS_SHA512), RFC_RSA_PSS_PUBLIC)
    # and not as rsa-v1_5-sha256, the default for a plain RSA key
    assert not verify_parsed(parsed, RFC_RSA_PSS_PUBLIC)


def test_rfc9421_b21_minimal_signature_base_verifies_but_is_too_weak():
    # Given B.2.1, which covers no component at all
    base = rfc_base(B21_INPUT, RFC_HEADERS)
    # Then our signature base is the published one and the published signature verifies
    assert base == (
        b'"@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"'
    )
    pss = keys.load_public_key(RFC_RSA_PSS_PUBLIC)
    assert keys.verify_bytes(pss, keys.RSA_PSS_SHA512, base64.b64decode(B21_SIGNATURE), base)
    # But a request signed that way is refused: nothing binds it to method or target
    headers = {**RFC_HEADERS, "Signature-Input": B21_INPUT, "Signature": f"sig-b21=:{B21_SIGNATURE}:"}
    with pytest.raises(SignatureError, match="@method"):
        parse_signature("POST", "/foo", "param=Value&Pet=dog", headers, RFC_BODY, RFC_NOW)


def test_rfc9421_b22_query_param_component_is_refused_as_unsupported():
    # Given B.2.2, which covers "@query-param";name="Pet" (a parameterised component)
    headers = {**RFC_HEADERS, "Signature-Input": B22_INPUT, "Signature": f"sig-b22=:{B22_SIGNATURE}:"}
    # Then it is refused with a 401 rather than guessed at
    with pytest.raises(SignatureError, match="unsupported component"):
        parse_signature("POST", "/foo", "param=Value&Pet=dog", headers, RFC_BODY, RFC_NOW)


def test_rfc9421_b26_ed25519_is_reproduced_exactly():
    # Given B.2.6 (Ed25519 is deterministic)
    base = rfc_base(B26_INPUT, RFC_HEADERS)
    private = keys.load_private_key(RFC_ED25519_PRIVATE)
    # Then signing our base gives the published signature, and it verifies
    assert base64.b64encode(keys.sign_bytes(private, keys.ED25519, base)).decode() == B26_SIGNATURE
    assert keys.public_pem_of(private).strip() == RFC_ED25519_PUBLIC
    public = keys.load_public_key(RFC_ED25519_PUBLIC)
    assert keys.verify_bytes(public, keys.ED25519, base64.b64decode(B26_SIGNATURE), base)
    # But it covers neither the query nor the body's digest: refused for a POST with a body
    headers = {**RFC_HEADERS, "Signature-Input": B26_INPUT, "Signature": f"sig-b26=:{B26_SIGNATURE}:"}
    with pytest.raises(SignatureError):
        parse_signature("POST", "/foo", "param=Value&Pet=dog", headers, RFC_BODY, RFC_NOW)


def test_rfc9421_section_4_3_rsa_v1_5_proxy_signature_is_reproduced_exactly():
    # Given the proxy's re-signed request of section 4.3 (test-key-rsa, rsa-v1_5-sha256, PKCS#1 keys)
    headers = {
        **RFC_HEADERS,
        "Host": "origin.host.internal.example",
        "Date": "Tue, 20 Apr 2021 02:07:56 GMT",
        "Forwarded": "for=192.0.2.123;host=example.com;proto=https",
    }
    base = rfc_base(PROXY_INPUT, headers)
    # Then our base signs to the published signature (PKCS#1 v1.5 is deterministic) and verifies
    signed = keys.sign_bytes(keys.load_private_key(RFC_RSA_PRIVATE), keys.RSA_V1_5_SHA256, base)
    assert base64.b64encode(signed).decode() == PROXY_SIGNATURE
    assert base.startswith(b'"@method": POST\n"@authority": origin.host.internal.example\n"@path": /foo\n')
    # And through the public API: refused as sent, since the query string is not covered ...
    full = {**headers, "Signature-Input": PROXY_INPUT, "Signature": f"proxy_sig=:{PROXY_SIGNATURE}:"}
    proxy_now = datetime.fromtimestamp(1618884480, UTC)
    with pytest.raises(SignatureError, match="@query"):
        parse_signature("POST", "/foo", "param=Value&Pet=dog", full, RFC_BODY, proxy_now)
    # ... and accepted for the same request without a query string, which is all it binds
    parsed = parse_signature("POST", "/foo", "", full, RFC_BODY, proxy_now)
    assert parsed.algorithm == keys.RSA_V1_5_SHA256
    assert verify_parsed(parsed, RFC_RSA_PUBLIC)
