"""The company peer registry: a signed list of member instances that IT distributes to every instance.

File format (JSON):

    {"type": "AtriumPeerRegistry", "company": "Example Corp", "issued_at": "2026-11-26T10:00:00Z",
     "members": [{"domain": "paris.example.com", "address": "10.1.0.5:443", "cidrs": ["10.1.0.0/24"],
                  "instance_key_pem": "-----BEGIN PUBLIC KEY-----…"}, …],
     "signature": "<base64 of an Ed25519 or RSA-SHA256 signature over the canonical JSON of every other key>"}

Instances trust one registry public key (ATRIUM_REGISTRY_KEY_FILE); a file whose signature does not
verify with it is refused whole. The canonical form is JSON with sorted keys and no whitespace, so the
signature does not depend on how the file was pretty-printed.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

MAX_MEMBERS = 1000
_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:\d{1,5})?$")


class RegistryError(ValueError):
    """The registry file cannot be used; the message says why."""


@dataclass(frozen=True)
class Member:
    domain: str
    address: str | None
    cidrs: tuple[str, ...]
    instance_key_pem: str | None


def canonical_bytes(document: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in document.items() if k != "signature"}
    return orjson.dumps(unsigned, option=orjson.OPT_SORT_KEYS)


def sign_registry(document: dict[str, Any], private_key_pem: str) -> dict[str, Any]:
    """Return `document` with its signature (for IT's `atrium registry sign`)."""
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    data = canonical_bytes(document)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        signature = key.sign(data)
    elif isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise RegistryError("the registry key must be Ed25519 or RSA")
    return {**{k: v for k, v in document.items() if k != "signature"}, "signature": base64.b64encode(signature).decode()}


def verify_registry(raw: bytes, public_key_pem: str) -> list[Member]:
    """Parse and verify a registry file; RegistryError when anything is off."""
    if len(raw) > 4 * 1024 * 1024:
        raise RegistryError("the registry file is larger than 4 MiB")
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RegistryError(f"the registry file is not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("type") != "AtriumPeerRegistry":
        raise RegistryError("not an Atrium peer registry (type must be AtriumPeerRegistry)")
    signature = document.get("signature")
    if not isinstance(signature, str):
        raise RegistryError("the registry file is not signed")
    try:
        signature_bytes = base64.b64decode(signature, validate=True)
        key = serialization.load_pem_public_key(public_key_pem.encode())
    except ValueError as exc:
        raise RegistryError(f"bad signature or registry key: {exc}") from None
    data = canonical_bytes(document)
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature_bytes, data)
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature_bytes, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            raise RegistryError("the registry key must be Ed25519 or RSA")
    except InvalidSignature:
        raise RegistryError("the registry signature does not verify with the trusted registry key") from None
    members = document.get("members")
    if not isinstance(members, list) or len(members) > MAX_MEMBERS:
        raise RegistryError(f"members must be a list of at most {MAX_MEMBERS} instances")
    return [_member(entry) for entry in members]


def _member(entry: Any) -> Member:
    if not isinstance(entry, dict) or not isinstance(entry.get("domain"), str):
        raise RegistryError("every member needs a domain")
    domain = entry["domain"].strip().lower()
    if not _DOMAIN.match(domain):
        raise RegistryError(f"not a domain: {domain!r}")
    address = entry.get("address")
    if address is not None and not isinstance(address, str):
        raise RegistryError(f"{domain}: address must be a string")
    cidrs = entry.get("cidrs") or []
    if not isinstance(cidrs, list):
        raise RegistryError(f"{domain}: cidrs must be a list")
    for cidr in cidrs:
        try:
            ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            raise RegistryError(f"{domain}: not an address range: {cidr!r}") from None
    key = entry.get("instance_key_pem")
    if key is not None and not isinstance(key, str):
        raise RegistryError(f"{domain}: instance_key_pem must be a string")
    return Member(domain, address, tuple(str(c) for c in cidrs), key)
