"""RFC 9421 HTTP Message Signatures for requests, as Mastodon 4.4+ checks them.

References: https://www.rfc-editor.org/rfc/rfc9421 (sections 2 and 3), RFC 9530
(Content-Digest), and Mastodon's app/lib/signed_request.rb (HttpMessageSignature).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from federation import keys
from federation.httpsig_common import (
    MAX_HEADER_LENGTH,
    Headers,
    ParsedSignature,
    SignatureError,
    check_time_window,
    format_http_date,
    join_target,
    parse_http_date,
    refuse,
    split_url,
    to_wire_bytes,
    utc_now,
)
from federation.httpsig_sfv import InnerList, Item, Params, Token, parse_dictionary, serialize_inner_list

# RFC 9530 section 5: Content-Digest algorithms we check (Mastodon checks only sha-256).
_DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


@dataclass(frozen=True, slots=True)
class RequestView:
    """The parts of a request that derived components are computed from (RFC 9421 section 2.2)."""

    method: str
    scheme: str
    path: str
    query: str
    headers: Headers

    def authority(self) -> str:
        """Section 2.2.3: the Host, lowercased, without the scheme's default port."""
        host = self.headers.get("host")
        if not host:
            raise refuse("no Host header to derive @authority from")
        host = host.lower()
        default = _DEFAULT_PORTS.get(self.scheme, "")
        return host[: -len(default)] if default and host.endswith(default) else host

    def component(self, name: str) -> str:
        """The value of one covered component; SignatureError(401) when it cannot be had."""
        if name == "@method":
            return self.method
        if name == "@target-uri":
            return f"{self.scheme}://{self.authority()}{join_target(self.path, self.query)}"
        if name == "@authority":
            return self.authority()
        if name == "@scheme":
            return self.scheme
        if name == "@path":
            return self.path or "/"
        if name == "@query":
            return f"?{self.query}"  # section 2.2.7: an absent query is "?" alone
        if name == "@request-target":
            return join_target(self.path, self.query)
        if name.startswith("@"):
            raise refuse(f"unsupported derived component {name[:64]!r}")
        value = self.headers.get(name)
        if value is None:
            raise refuse(f"covered header {name[:64]!r} is missing")
        return value


def signature_base(view: RequestView, covered: Sequence[str], signature_params: str) -> bytes:
    """Section 2.5: one ``"name": value`` line per component, then ``"@signature-params"``."""
    lines = []
    for name in covered:
        value = view.component(name)
        if "\n" in value or "\r" in value:
            raise refuse("a covered value contains a line break")
        lines.append(f'"{name}": {value}')
    lines.append(f'"@signature-params": {signature_params}')
    return to_wire_bytes("\n".join(lines))


def content_digest_header(body: bytes) -> str:
    """``sha-256=:<base64>:`` for ``body`` (RFC 9530)."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def check_content_digest(value: str, body: bytes) -> None:
    """Refuse unless Content-Digest matches ``body`` for every algorithm we know."""
    try:
        offered = parse_dictionary(value)
    except ValueError:
        raise refuse("malformed Content-Digest header") from None
    known = [name for name in _DIGESTS if name in offered]
    if not known:
        raise refuse("no sha-256 or sha-512 in Content-Digest")
    for name in known:
        member = offered[name]
        if not isinstance(member, Item) or not isinstance(member.value, bytes):
            raise refuse("malformed Content-Digest value")
        if not hmac.compare_digest(member.value, _DIGESTS[name](body).digest()):
            raise refuse("Content-Digest does not match the body")


def _dictionary(headers: Headers, name: str) -> dict[str, Item | InnerList]:
    value = headers.get(name)
    if value is None:
        raise refuse(f"{name} header missing")
    if len(value) > MAX_HEADER_LENGTH:
        raise refuse(f"{name} header too long")
    try:
        return parse_dictionary(value)
    except ValueError as error:
        raise refuse(f"malformed {name} header: {error}") from None


def _covered(inner: InnerList) -> tuple[str, ...]:
    names: list[str] = []
    for item in inner.items:
        name = item.value
        if not isinstance(name, str) or isinstance(name, Token) or item.params:
            # Component parameters (;sf, ;key, ;bs, ;req, ;tr, ;name) are not supported.
            raise refuse("unsupported component identifier in Signature-Input")
        if name != name.lower() or name in names:
            raise refuse(f"component {name[:64]!r} not lowercase or repeated")  # sections 2.1, 2.5
        names.append(name)
    return tuple(names)


def _string_param(params: Params, name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or isinstance(value, Token):
        raise refuse(f"Signature-Input parameter {name} must be a string")
    return value


def _int_param(params: Params, name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise refuse(f"Signature-Input parameter {name} must be a non-negative integer")
    return value


def _check_coverage(covered: tuple[str, ...], view: RequestView, body: bytes) -> None:
    # Mastodon requires @method and @target-uri. @authority (or host) plus @path and @query
    # (or @request-target) bind the same request, so they are accepted too.
    if "@method" not in covered:
        raise refuse("@method must be covered")
    binds_host = "@target-uri" in covered or "@authority" in covered or "host" in covered
    binds_target = (
        "@target-uri" in covered
        or "@request-target" in covered
        or ("@path" in covered and ("@query" in covered or not view.query))
    )
    if not (binds_host and binds_target):
        raise refuse("@target-uri (or @authority, @path and @query) must be covered")
    if (body or view.method in _BODY_METHODS) and "content-digest" not in covered:
        raise refuse("Content-Digest must be covered for a request with a body")
    if "content-digest" in view.headers and "content-digest" not in covered:
        raise refuse("Content-Digest header present but not covered")


def _parse_member(
    label: str, inner: InnerList, signatures: dict[str, Item | InnerList]
) -> tuple[ParsedSignature, datetime | None]:
    signed = signatures.get(label)
    if not isinstance(signed, Item) or not isinstance(signed.value, bytes) or not signed.value:
        raise refuse(f"no signature for label {label!r}")
    covered = _covered(inner)
    key_id = _string_param(inner.params, "keyid")
    created = _int_param(inner.params, "created")
    expires = _int_param(inner.params, "expires")
    algorithm = _string_param(inner.params, "alg")
    for name in ("nonce", "tag"):
        _string_param(inner.params, name)
    if not key_id or created is None:
        raise refuse("keyid and created are required")  # as Mastodon's REQUIRED_PARAMETERS
    if algorithm is not None and algorithm not in keys.ALGORITHMS:
        raise refuse(f"unsupported alg {algorithm[:32]!r}")
    parsed = ParsedSignature(
        scheme="rfc9421",
        key_id=key_id,
        algorithm=algorithm,
        signature=signed.value,
        signing_strings=(),
        covered=covered,
        created=_unix(created),
        label=label,
    )
    return parsed, _unix(expires) if expires is not None else None


def _unix(value: int) -> datetime:
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise refuse("timestamp out of range") from None


def parse_rfc9421(
    method: str,
    path: str,
    query: str,
    headers: Headers,
    body: bytes,
    now: datetime | None = None,
    *,
    scheme: str = "https",
) -> ParsedSignature:
    """Check everything but the signature itself; SignatureError(401) on any problem.

    With several labels, the first one (in Signature-Input order) that passes every
    check is used: a proxy's signature ahead of the author's does not hide the latter.
    """
    inputs = _dictionary(headers, "signature-input")
    signatures = _dictionary(headers, "signature")
    view = RequestView(method.upper(), scheme.lower(), path, query, headers)
    moment = utc_now(now)
    first_error: SignatureError | None = None
    for label, inner in inputs.items():
        try:
            if not isinstance(inner, InnerList):
                raise refuse(f"Signature-Input {label!r} is not an inner list")
            parsed, expires = _parse_member(label, inner, signatures)
            _check_coverage(parsed.covered, view, body)
            check_time_window(parsed.created, expires, moment)
            if "date" in parsed.covered:
                check_time_window(parse_http_date(headers.get("date") or ""), None, moment)
            if "content-digest" in parsed.covered:
                check_content_digest(view.component("content-digest"), body)
            base = signature_base(view, parsed.covered, serialize_inner_list(inner))
        except SignatureError as error:
            first_error = first_error or error
            continue
        return replace(parsed, signing_strings=(base,))
    raise first_error or refuse("empty Signature-Input header")


def sign_request_rfc9421(
    method: str,
    url: str,
    headers: dict[str, str] | None,
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    now: datetime | None = None,
    *,
    label: str = "sig1",
    components: Sequence[str] | None = None,
    algorithm: str | None = None,
    expires_in: int | None = None,
) -> dict[str, str]:
    """The full header dict for an outgoing request with an RFC 9421 signature.

    Sets Host and Date, adds ``Content-Digest: sha-256=:...:`` for a body, and by
    default covers @method, @target-uri and (with a body) content-digest and
    content-type, which is what Mastodon requires. ``algorithm`` defaults to the
    key's (rsa-v1_5-sha256 for RSA, ed25519 for Ed25519) and is sent as ``alg``.
    Raises ValueError for a bad URL, key, algorithm or component.
    """
    key = keys.load_private_key(private_key_pem)
    algorithm = algorithm or keys.default_algorithm(key)
    scheme, authority, target = split_url(url)
    path, _, query = target.partition("?")
    managed = {"host", "date", "content-digest", "signature", "signature-input"}
    extra = {name: value for name, value in (headers or {}).items() if name.lower() not in managed}
    moment = utc_now(now)
    out = {"Host": authority, "Date": format_http_date(moment), **extra}
    if body is not None:
        out["Content-Digest"] = content_digest_header(body)
    if components is None:
        has_type = any(name.lower() == "content-type" for name in extra)
        body_parts = ["content-digest", *(["content-type"] if has_type else [])] if body is not None else []
        components = ["@method", "@target-uri", *body_parts]
    created = int(moment.timestamp())
    params: Params = {"created": created, "keyid": key_id, "alg": algorithm}
    if expires_in is not None:
        params["expires"] = created + expires_in
    inner = InnerList(tuple(Item(name, {}) for name in components), params)
    view = RequestView(method.upper(), scheme, path, query, Headers(out))
    try:
        base = signature_base(view, tuple(components), serialize_inner_list(inner))
    except SignatureError as error:  # e.g. a component naming a header the request lacks
        raise ValueError(error.message) from None
    signature = keys.sign_bytes(key, algorithm, base)
    out["Signature-Input"] = f"{label}={serialize_inner_list(inner)}"
    out["Signature"] = f"{label}=:{base64.b64encode(signature).decode('ascii')}:"
    return out
