"""draft-cavage-http-signatures-12 signatures, the way Mastodon sends and checks them.

References: https://datatracker.ietf.org/doc/html/draft-cavage-http-signatures-12 and
Mastodon's app/lib/signed_request.rb, app/lib/signature_parser.rb, app/lib/request.rb.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric import rsa

from federation import keys
from federation.httpsig_common import (
    MAX_HEADER_LENGTH,
    Headers,
    ParsedSignature,
    check_time_window,
    decode_base64,
    format_http_date,
    join_target,
    parse_http_date,
    parse_unix_time,
    refuse,
    split_url,
    to_wire_bytes,
    utc_now,
)

REQUEST_TARGET = "(request-target)"
CREATED = "(created)"
EXPIRES = "(expires)"

# Algorithm parameter -> RFC 9421 name, or None when the key type decides.
# Mastodon accepts exactly these two; "hs2019" with an RSA key means RSASSA-PKCS1-v1_5 SHA-256.
_ALGORITHMS: dict[str, str | None] = {"rsa-sha256": keys.RSA_V1_5_SHA256, "hs2019": None}

# Methods whose requests carry a body Mastodon expects to be digested and signed.
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

# RFC 3230 digest algorithms we check; Mastodon knows only SHA-256, we also take SHA-512.
_DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}

_TOKEN = r"[0-9A-Za-z!#$%&'*+.^_`|~-]+"
# draft-cavage-12 section 4.1 (auth-param of RFC 7235): token BWS "=" BWS ( token / quoted-string ).
# The quoted-string is written as an unrolled loop (runs of plain characters between escapes): the
# same language as `(?:[^"\\]|\\.)*`, but without one alternation per character, which made matching
# the ~350-character signature value most of the time spent parsing an inbox request.
_PARAM = re.compile(rf'[ \t]*({_TOKEN})[ \t]*=[ \t]*(?:({_TOKEN})|"([^"\\]*(?:\\.[^"\\]*)*)")[ \t]*', re.DOTALL)
_SEPARATOR = re.compile(r",[ \t]*")
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


def parse_params(value: str) -> dict[str, str]:
    """The parameters of a Signature header value; SignatureError(401) when malformed.

    Like Mastodon, tolerates the stray "Signature " prefix old node-http-signature
    versions put in the Signature header. Unlike Mastodon, a repeated parameter is
    refused rather than letting the last one win.
    """
    text = value.strip()
    if text.startswith("Signature "):
        text = text[len("Signature ") :]
    params: dict[str, str] = {}
    position = 0
    while True:
        match = _PARAM.match(text, position)
        if match is None:
            raise refuse("malformed Signature header")
        name, token, quoted = match.groups()
        if name in params:
            raise refuse(f"repeated Signature parameter {name!r}")
        if token is not None:
            params[name] = token
        else:
            params[name] = _UNESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted
        position = match.end()
        if position == len(text):
            return params
        separator = _SEPARATOR.match(text, position)
        if separator is None or separator.end() == len(text):
            raise refuse("malformed Signature header")
        position = separator.end()


def _raw_signature(headers: Headers) -> str:
    # Mastodon reads the Signature header; the draft also defines "Authorization: Signature ...".
    if "signature" in headers:
        if headers.count("signature") != 1:
            raise refuse("more than one Signature header")
        raw = headers.get("signature") or ""
    else:
        authorization = headers.get("authorization") or ""
        scheme, _, rest = authorization.strip().partition(" ")
        if scheme.lower() != "signature" or headers.count("authorization") != 1:
            raise refuse("request is not signed")
        raw = rest
    if len(raw) > MAX_HEADER_LENGTH:
        raise refuse("Signature header too long")
    return raw


def check_digest(value: str, body: bytes) -> None:
    """Refuse unless the RFC 3230 Digest header matches ``body`` for every algorithm we know."""
    offered: dict[str, str] = {}
    for part in value.split(","):
        name, equals, encoded = part.strip().partition("=")
        name = name.strip().lower()
        if not equals or name in offered:
            raise refuse("malformed Digest header")
        offered[name] = encoded.strip()
    known = [name for name in _DIGESTS if name in offered]
    if not known:
        raise refuse(f"no SHA-256 or SHA-512 in Digest header (offered: {', '.join(offered)[:64]})")
    for name in known:
        given = decode_base64(offered[name], "Digest value")
        if not hmac.compare_digest(given, _DIGESTS[name](body).digest()):
            raise refuse("Digest header does not match the body")


def digest_header(body: bytes) -> str:
    """The Digest header Mastodon sends for ``body``: ``SHA-256=<base64>``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def _check_strength(signed: list[str], method: str, headers: Headers, body: bytes) -> None:
    # Mastodon's verify_signature_strength!, made stricter where SECURITY-CASES 9/10 ask:
    # (request-target) and host are always required, so a signature cannot be moved to
    # another path or another server; a Digest sent but not signed is refused.
    if "date" not in signed and CREATED not in signed:
        raise refuse("the Date header or (created) must be signed")
    if REQUEST_TARGET not in signed:
        raise refuse("(request-target) must be signed")
    if "host" not in signed:
        raise refuse("the Host header must be signed")
    if (body or method in _BODY_METHODS) and "digest" not in signed:
        raise refuse("the Digest header must be signed for a request with a body")
    if "digest" in headers and "digest" not in signed:
        raise refuse("Digest header present but not signed")


def parse_cavage(
    method: str,
    path: str,
    query: str,
    headers: Headers,
    body: bytes,
    now: datetime | None = None,
    *,
    legacy_query_fallback: bool = True,
) -> ParsedSignature:
    """Check everything but the signature itself; SignatureError(401) on any problem."""
    params = parse_params(_raw_signature(headers))
    key_id, encoded = params.get("keyId", ""), params.get("signature", "")
    if not key_id or not encoded:
        raise refuse("keyId and signature are required")
    # Mastodon: a missing algorithm means hs2019, whose default header list is "(created)";
    # for rsa-sha256 it is "date" (draft-cavage-12 section 2.1.6). Neither passes _check_strength.
    algorithm_name = params.get("algorithm", "hs2019")
    if algorithm_name not in _ALGORITHMS:
        raise refuse(f"unsupported signature algorithm {algorithm_name[:32]!r}")
    default_headers = CREATED if algorithm_name == "hs2019" else "date"
    signed = params.get("headers", default_headers).lower().split()
    signature = decode_base64(encoded, "signature")

    method = method.upper()
    _check_strength(signed, method, headers, body)
    if "digest" in signed:
        digest = headers.get("digest")
        if digest is None:
            raise refuse("signed Digest header is missing")
        check_digest(digest, body)

    created = parse_unix_time(params["created"], "created") if "created" in params else None
    expires = parse_unix_time(params["expires"], "expires", fraction=True) if "expires" in params else None
    if (CREATED in signed or EXPIRES in signed) and algorithm_name != "hs2019":
        raise refuse("(created) and (expires) need algorithm hs2019")  # draft-cavage-12 2.1.3
    if CREATED in signed and created is None:
        raise refuse("(created) signed but no created parameter")
    if EXPIRES in signed and expires is None:
        raise refuse("(expires) signed but no expires parameter")

    # Only signed times count: an unsigned `created` could be rewritten by anyone.
    moment = utc_now(now)
    date_value = headers.get("date") if "date" in signed else None
    dated = parse_http_date(date_value) if date_value is not None else None
    check_time_window(dated, None, moment)
    check_time_window(created if CREATED in signed else None, expires, moment)

    targets = [join_target(path, query)]
    if query and legacy_query_fallback:
        # Mastodon quirk (signed_request.rb, build_signed_string): older Mastodon signed the
        # path without its query string, so it also accepts that form.
        targets.append(path)
    strings = tuple(
        to_wire_bytes(_signing_string(signed, method, target, params, headers)) for target in targets
    )
    return ParsedSignature(
        scheme="cavage",
        key_id=key_id,
        algorithm=_ALGORITHMS[algorithm_name],
        signature=signature,
        signing_strings=strings,
        covered=tuple(signed),
        created=created if CREATED in signed else dated,
    )


def _signing_string(
    signed: list[str], method: str, target: str, params: dict[str, str], headers: Headers
) -> str:
    # draft-cavage-12 section 2.3: "name: value" lines joined by "\n", no trailing newline.
    lines = []
    for name in signed:
        if name == REQUEST_TARGET:
            lines.append(f"{REQUEST_TARGET}: {method.lower()} {target}")
        elif name == CREATED:
            lines.append(f"{CREATED}: {params['created']}")
        elif name == EXPIRES:
            lines.append(f"{EXPIRES}: {params['expires']}")
        else:
            value = headers.get(name)
            if value is None:  # section 2.3: a listed header that is absent is an error
                raise refuse(f"signed header {name[:64]!r} is missing")
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sign_request(
    method: str,
    url: str,
    headers: dict[str, str] | None,
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    now: datetime | None = None,
) -> dict[str, str]:
    """The full header dict for an outgoing request, signed the way Mastodon verifies.

    Sets Host (from ``url``, with a non-default port) and Date; for a body adds
    ``Digest: SHA-256=...`` and signs "(request-target) host date digest" plus
    content-type when given; without a body signs "(request-target) host date"
    plus accept when given. Caller headers are kept, except Host, Date, Digest
    and Signature, which are ours to set.
    """
    key = keys.load_private_key(private_key_pem)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("draft-cavage rsa-sha256 signatures need an RSA key")
    _, authority, target = split_url(url)
    managed = {"host", "date", "digest", "signature"}
    extra = {name: value for name, value in (headers or {}).items() if name.lower() not in managed}
    out = {"Host": authority, "Date": format_http_date(utc_now(now)), **extra}
    signed = [REQUEST_TARGET, "host", "date"]
    if body is not None:
        out["Digest"] = digest_header(body)
        signed += ["digest", *(["content-type"] if _find(extra, "content-type") else [])]
    elif _find(extra, "accept"):
        signed.append("accept")
    view = Headers(out)
    text = _signing_string(signed, method.upper(), target, {}, view)
    signature = keys.sign_bytes(key, keys.RSA_V1_5_SHA256, to_wire_bytes(text))
    out["Signature"] = (
        f'keyId={_quote(key_id)},algorithm="rsa-sha256",headers="{" ".join(signed)}",'
        f'signature="{base64.b64encode(signature).decode("ascii")}"'
    )
    return out


def _find(headers: dict[str, str], name: str) -> bool:
    return any(key.lower() == name for key in headers)
