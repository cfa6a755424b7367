"""Per-request cost of signing and verifying HTTP signatures, ours against a baseline.

Run: ``.venv/bin/python -m bench.bench_signatures`` (about 15 s).

Ours is measured with the key caches warm (the steady state: keys of local actors
and of known peers already parsed) and cold (every call parses its PEM). The
baseline is the ``httpsig`` package when it is importable, and in any case a bare
``cryptography`` RSA-2048 sign / verify of the same signing string, which is the
floor no implementation can go under.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from federation.httpsig import (
    generate_rsa_keypair,
    load_private_key,
    load_public_key,
    parse_signature,
    sign_request,
    verify_parsed,
    verify_request,
)

NOW = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)
KEY_ID = "https://paris.example/users/alice#main-key"
URL = "https://lyon.example/users/bob/inbox"
PATH = "/users/bob/inbox"
BODY = b'{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","content":"' + b"x" * 900 + b'"}'
CONTENT_TYPE = {"Content-Type": "application/activity+json"}
SIGNED = ["(request-target)", "host", "date", "digest", "content-type"]
BUDGET_SECONDS = 1.2  # per measurement; 12 measurements at most


def per_call_us(call: Callable[[], Any], before: Callable[[], Any] | None = None, limit: int = 5000) -> float:
    """Mean microseconds per ``call`` (``before`` runs untimed first), within the time budget."""
    call()  # warm-up: imports, first allocation
    spent, count = 0.0, 0
    while count < limit and spent < BUDGET_SECONDS:
        if before is not None:
            before()
        start = time.perf_counter()
        call()
        spent += time.perf_counter() - start
        count += 1
    return spent / count * 1e6


def measure_ours(private_pem: str, public_pem: str) -> dict[str, float]:
    """Our sign_request and verify (parse + verify_parsed, and verify_request) per request."""
    headers = sign_request("POST", URL, CONTENT_TYPE, BODY, KEY_ID, private_pem, NOW)

    def sign() -> None:
        sign_request("POST", URL, CONTENT_TYPE, BODY, KEY_ID, private_pem, NOW)

    def verify() -> None:
        parsed = parse_signature("POST", PATH, "", headers, BODY, NOW)
        assert verify_parsed(parsed, public_pem)

    async def lookup(key_id: str, refresh: bool) -> str:
        return public_pem

    async def verify_many(count: int) -> float:
        start = time.perf_counter()
        for _ in range(count):
            await verify_request("POST", PATH, "", headers, BODY, lookup, NOW)
        return (time.perf_counter() - start) / count * 1e6

    return {
        "sign warm": per_call_us(sign),
        "sign cold": per_call_us(sign, before=load_private_key.cache_clear, limit=20),
        "verify warm": per_call_us(verify),
        "verify cold": per_call_us(verify, before=load_public_key.cache_clear),
        "verify_request warm": asyncio.run(verify_many(2000)),
    }


def measure_cryptography(private_pem: str, public_pem: str) -> dict[str, float]:
    """Bare RSASSA-PKCS1-v1_5 SHA-256 over the same signing string: the floor."""
    headers = sign_request("POST", URL, CONTENT_TYPE, BODY, KEY_ID, private_pem, NOW)
    text = "\n".join(
        [f"(request-target): post {PATH}"] + [f"{name}: {headers[name.title()]}" for name in SIGNED[1:]]
    ).encode()
    private = serialization.load_pem_private_key(private_pem.encode(), None)
    public = serialization.load_pem_public_key(public_pem.encode())
    signature = private.sign(text, padding.PKCS1v15(), hashes.SHA256())

    def sign_cold() -> None:
        key = serialization.load_pem_private_key(private_pem.encode(), None)
        key.sign(text, padding.PKCS1v15(), hashes.SHA256())

    def verify_cold() -> None:
        key = serialization.load_pem_public_key(public_pem.encode())
        key.verify(signature, text, padding.PKCS1v15(), hashes.SHA256())

    return {
        "sign warm": per_call_us(lambda: private.sign(text, padding.PKCS1v15(), hashes.SHA256())),
        "sign cold": per_call_us(sign_cold, limit=20),
        "verify warm": per_call_us(
            lambda: public.verify(signature, text, padding.PKCS1v15(), hashes.SHA256())
        ),
        "verify cold": per_call_us(verify_cold),
    }


def measure_httpsig(private_pem: str, public_pem: str) -> dict[str, float]:
    """The httpsig package (pycryptodome) signing and verifying the same headers."""
    import httpsig  # optional baseline

    base = {
        "Host": "lyon.example",
        "Date": "Fri, 14 Mar 2025 15:09:26 GMT",
        "Digest": sign_request("POST", URL, None, BODY, KEY_ID, private_pem, NOW)["Digest"],
        **CONTENT_TYPE,
    }

    def signer() -> Any:
        return httpsig.HeaderSigner(KEY_ID, private_pem, "rsa-sha256", SIGNED, sign_header="signature")

    reused = signer()
    signed = dict(reused.sign(base, method="POST", path=PATH))

    def verify() -> None:
        verifier = httpsig.HeaderVerifier(
            signed, public_pem, SIGNED, method="POST", path=PATH, sign_header="signature"
        )
        assert verifier.verify()

    return {
        "sign warm": per_call_us(lambda: reused.sign(base, method="POST", path=PATH)),
        "sign cold": per_call_us(lambda: signer().sign(base, method="POST", path=PATH), limit=20),
        # httpsig builds a HeaderVerifier (and parses the PEM) per request: it has no warm path.
        "verify warm": per_call_us(verify),
        "verify cold": per_call_us(verify),
    }


def report(ours: dict[str, float], baselines: dict[str, dict[str, float]]) -> None:
    """One row per measurement: our µs, then each baseline's µs and our ratio to it."""
    widths = {name: max(12, len(name) + 2) for name in baselines}
    header = f"{'µs per request':<22}{'ours':>10}"
    for name, width in widths.items():
        header += f"{name:>{width}}{'ours/' + name:>{width + 6}}"
    print(header)
    for row, mine in ours.items():
        line = f"{row:<22}{mine:>10.1f}"
        for name, width in widths.items():
            theirs = baselines[name].get(row)
            line += (
                f"{theirs:>{width}.1f}{mine / theirs:>{width + 6}.2f}"
                if theirs
                else f"{'-':>{width}}{'-':>{width + 6}}"
            )
        print(line)


def main() -> None:
    started = time.perf_counter()
    private_pem, public_pem = generate_rsa_keypair()
    ours = measure_ours(private_pem, public_pem)
    baselines = {"cryptography": measure_cryptography(private_pem, public_pem)}
    if importlib.util.find_spec("httpsig") is not None:
        baselines = {"httpsig": measure_httpsig(private_pem, public_pem), **baselines}
    else:
        print("httpsig is not installed: `pip install httpsig` to compare with it too.\n")
    print("RSA-2048, POST with a 1 KB body, signing (request-target) host date digest content-type.")
    print("warm: key caches filled; cold: every call parses its PEM.\n")
    report(ours, baselines)
    print(f"\n(total {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
