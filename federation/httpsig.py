"""HTTP signatures for federation: sign outgoing requests, verify incoming ones.

Framework-free: a request is its method, raw path, raw query string, headers
and exact body bytes; the signer's key comes from an injected async lookup.
Two schemes are understood, as Mastodon does: draft-cavage-12 (``Signature``
or ``Authorization: Signature``; see httpsig_cavage) and RFC 9421
(``Signature-Input`` + ``Signature``; see httpsig_rfc9421).

Typical inbox use::

    verified = await verify_request(method, raw_path, query, headers, body, key_lookup)
    # SignatureError carries the status to answer (401, or what key_lookup raised).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from federation import keys
from federation.httpsig_cavage import parse_cavage, sign_request
from federation.httpsig_common import (
    HeaderInput,
    Headers,
    ParsedSignature,
    SignatureError,
    VerifiedRequest,
    as_text,
    refuse,
)
from federation.httpsig_rfc9421 import parse_rfc9421, sign_request_rfc9421
from federation.keys import generate_rsa_keypair, load_private_key, load_public_key

__all__ = [
    "KeyLookup",
    "ParsedSignature",
    "SignatureError",
    "VerifiedRequest",
    "generate_rsa_keypair",
    "load_private_key",
    "load_public_key",
    "parse_signature",
    "sign_request",
    "sign_request_rfc9421",
    "verify_parsed",
    "verify_request",
]

# key_lookup(key_id, refresh) -> public key PEM, or None when there is none.
# It may raise SignatureError itself (e.g. 403 for a keyId on a host that is not allowed).
KeyLookup = Callable[[str, bool], Awaitable[str | None]]


def parse_signature(
    method: str,
    path: str | bytes,
    query: str | bytes,
    headers: HeaderInput | Headers,
    body: bytes | None,
    now: datetime | None = None,
    *,
    scheme: str = "https",
    legacy_query_fallback: bool = True,
) -> ParsedSignature:
    """Check a request's signature header, coverage, digest and dates; no key needed yet.

    ``path`` and ``query`` are the raw, still percent-encoded forms from the request
    line (ASGI ``raw_path`` and ``query_string``). ``scheme`` is how the request reached
    us, for RFC 9421 ``@target-uri``. ``legacy_query_fallback`` keeps Mastodon's
    acceptance of a (request-target) signed without its query string. Raises
    SignatureError(401) for anything unsigned, malformed, stale or not matching the body;
    never any other exception.
    """
    view = Headers(headers)
    body = body or b""
    path_text, query_text = as_text(path), as_text(query)
    if not method or not path_text.startswith("/"):
        raise refuse("bad request line")
    # As Mastodon: a Signature-Input header means RFC 9421, otherwise draft-cavage.
    if "signature-input" in view:
        return parse_rfc9421(method, path_text, query_text, view, body, now, scheme=scheme)
    return parse_cavage(
        method, path_text, query_text, view, body, now, legacy_query_fallback=legacy_query_fallback
    )


def _algorithm(parsed: ParsedSignature, key: keys.PublicKey) -> str:
    # hs2019, or RFC 9421 without `alg`: the key decides (RFC 9421 section 3.3.7).
    return parsed.algorithm or keys.default_algorithm(key)


def verify_parsed(parsed: ParsedSignature, public_key_pem: str) -> bool:
    """Whether the signature verifies with this key for any candidate signing string."""
    try:
        key = keys.load_public_key(public_key_pem)
    except ValueError:
        return False
    algorithm = _algorithm(parsed, key)
    return any(keys.verify_bytes(key, algorithm, parsed.signature, data) for data in parsed.signing_strings)


async def verify_request(
    method: str,
    path: str | bytes,
    query: str | bytes,
    headers: HeaderInput | Headers,
    body: bytes | None,
    key_lookup: KeyLookup,
    now: datetime | None = None,
    *,
    scheme: str = "https",
    legacy_query_fallback: bool = True,
) -> VerifiedRequest:
    """Verify a signed request, or raise SignatureError.

    The key comes from ``key_lookup(key_id, False)``; if it is missing or does not
    verify, ``key_lookup(key_id, True)`` is called once (the peer may have rotated
    its key, GoToSocial PR 2183) and only that answer counts. SignatureErrors from
    ``key_lookup`` propagate unchanged; its other exceptions are not caught.
    """
    parsed = parse_signature(
        method, path, query, headers, body, now, scheme=scheme, legacy_query_fallback=legacy_query_fallback
    )
    cached = await key_lookup(parsed.key_id, False)
    if cached is not None and verify_parsed(parsed, cached):
        return _verified(parsed, cached, refreshed=False)
    fresh = await key_lookup(parsed.key_id, True)
    if fresh is not None and fresh != cached and verify_parsed(parsed, fresh):
        return _verified(parsed, fresh, refreshed=True)
    raise refuse("signature does not verify" if fresh is not None else "no public key for keyId")


def _verified(parsed: ParsedSignature, pem: str, *, refreshed: bool) -> VerifiedRequest:
    return VerifiedRequest(
        key_id=parsed.key_id,
        scheme=parsed.scheme,
        algorithm=_algorithm(parsed, keys.load_public_key(pem)),
        covered=parsed.covered,
        created=parsed.created,
        public_key_pem=pem,
        refreshed=refreshed,
    )
