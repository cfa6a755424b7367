"""The inbox ceiling: a bare Starlette endpoint doing what no inbox can skip, and nothing else.

`POST /inbox`: SHA-256 of the body checked against `Digest`, the draft-cavage signing string
rebuilt from the signed headers, one RSA-2048 PKCS#1 v1.5 verify with a public key parsed once at
start (`BENCH_PUBLIC_KEY_FILE`), then 202. No key lookup, JSON, deduplication or storage.

    BENCH_PUBLIC_KEY_FILE=key.pem python -m uvicorn bench.federation_ceiling_app:app --port 8125
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_PEM = Path(os.environ["BENCH_PUBLIC_KEY_FILE"]).read_bytes() if "BENCH_PUBLIC_KEY_FILE" in os.environ else b""
_KEY = serialization.load_pem_public_key(_PEM) if _PEM else None
_PARAM = re.compile(r'(\w+)="([^"]*)"')


async def inbox(request: Request) -> Response:
    body = await request.body()
    expected = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    if request.headers.get("digest") != expected:
        return Response(status_code=401)
    params = dict(_PARAM.findall(request.headers.get("signature", "")))
    lines = []
    for name in params.get("headers", "").split():
        if name == "(request-target)":
            lines.append(f"(request-target): {request.method.lower()} {request.url.path}")
        else:
            lines.append(f"{name}: {request.headers.get(name, '')}")
    assert isinstance(_KEY, rsa.RSAPublicKey)
    try:
        _KEY.verify(base64.b64decode(params.get("signature", "")), "\n".join(lines).encode(),
                    padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return Response(status_code=401)
    return Response(status_code=202)


async def ready(request: Request) -> Response:
    return Response("ok")


app = Starlette(routes=[Route("/inbox", inbox, methods=["POST"]), Route("/ready", ready)])
