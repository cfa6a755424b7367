"""Actor keys: generate, load (cached) and use them to sign or verify raw bytes.

Only the algorithms the fediverse uses for HTTP signatures are supported:
RSASSA-PKCS1-v1_5 with SHA-256 (what every server sends), RSASSA-PSS with
SHA-512 and Ed25519 (RFC 9421 section 3.3).
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey

# Names from the RFC 9421 "HTTP Signature Algorithms" registry (section 6.2.2).
RSA_V1_5_SHA256 = "rsa-v1_5-sha256"
RSA_PSS_SHA512 = "rsa-pss-sha512"
ED25519 = "ed25519"
ALGORITHMS = frozenset({RSA_V1_5_SHA256, RSA_PSS_SHA512, ED25519})

# The draft-cavage-12 test key is 1024 bits, Mastodon's are 2048, a few servers use 4096.
# Bigger moduli only make verification slower for whoever sends them: cap it.
MIN_RSA_BITS = 1024
MAX_RSA_BITS = 8192

# RFC 9421 section 3.3.1: MGF1 with SHA-512 and a 64-byte salt.
_PSS_SHA512 = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)


def generate_rsa_keypair(bits: int = 2048) -> tuple[str, str]:
    """A new RSA key pair as (private PEM in PKCS#8, public PEM in SubjectPublicKeyInfo)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return private_pem, public_pem_of(key)


def public_pem_of(key: PrivateKey | PublicKey) -> str:
    """The SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY") of a key, as actors publish it."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def _normalise_pem(pem: str) -> bytes:
    # Peers send PEM with CRLF, indentation or trailing blanks (publicKeyPem is free text).
    lines = (line.strip() for line in pem.strip().splitlines())
    return "\n".join(line for line in lines if line).encode("ascii") + b"\n"


def _check_size(key: PrivateKey | PublicKey) -> None:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey) and not (
        MIN_RSA_BITS <= key.key_size <= MAX_RSA_BITS
    ):
        raise ValueError(f"RSA key of {key.key_size} bits is out of the accepted range")


@lru_cache(maxsize=256)
def load_private_key(pem: str) -> PrivateKey:
    """Parse a private key PEM (PKCS#8 or PKCS#1), cached: parsing RSA costs tens of ms.

    Raises ValueError for anything that is not an RSA or Ed25519 private key.
    """
    try:
        key = serialization.load_pem_private_key(_normalise_pem(pem), password=None)
    except (ValueError, TypeError, UnicodeError, UnsupportedAlgorithm) as error:
        raise ValueError(f"unreadable private key: {error}") from None
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise ValueError(f"unsupported private key type {type(key).__name__}")
    _check_size(key)
    return key


@lru_cache(maxsize=2048)
def load_public_key(pem: str) -> PublicKey:
    """Parse a public key PEM, cached by its text.

    Accepts SubjectPublicKeyInfo ("BEGIN PUBLIC KEY", what Mastodon publishes) and
    PKCS#1 ("BEGIN RSA PUBLIC KEY", which some servers publish). Raises ValueError
    for anything that is not an RSA or Ed25519 public key.
    """
    try:
        key = serialization.load_pem_public_key(_normalise_pem(pem))
    except (ValueError, TypeError, UnicodeError, UnsupportedAlgorithm) as error:
        raise ValueError(f"unreadable public key: {error}") from None
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise ValueError(f"unsupported public key type {type(key).__name__}")
    _check_size(key)
    return key


def default_algorithm(key: PrivateKey | PublicKey) -> str:
    """The algorithm implied by a key when the signer names none (RFC 9421 section 3.3.7)."""
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return ED25519
    return RSA_V1_5_SHA256  # what Mastodon and its Linzer library assume for RSA keys


def sign_bytes(key: PrivateKey, algorithm: str, data: bytes) -> bytes:
    """Sign ``data`` with ``key`` under ``algorithm``; ValueError if they do not match."""
    if algorithm == ED25519 and isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if isinstance(key, rsa.RSAPrivateKey):
        if algorithm == RSA_V1_5_SHA256:
            return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        if algorithm == RSA_PSS_SHA512:
            return key.sign(data, _PSS_SHA512, hashes.SHA512())
    raise ValueError(f"cannot sign {algorithm} with a {type(key).__name__}")


def verify_bytes(key: PublicKey, algorithm: str, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` over ``data`` verifies; False also when key and algorithm disagree."""
    try:
        if algorithm == ED25519 and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
            return True
        if isinstance(key, rsa.RSAPublicKey):
            if algorithm == RSA_V1_5_SHA256:
                key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
                return True
            if algorithm == RSA_PSS_SHA512:
                key.verify(signature, data, _PSS_SHA512, hashes.SHA512())
                return True
    except (InvalidSignature, ValueError):
        return False
    return False
