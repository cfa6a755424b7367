"""GET /media/…: the files the media service wrote, served safely.

Only names we generate are accepted (no path ever reaches the disk unchecked); the content type is
the one recorded when we re-encoded the file (never sniffed, never an ActivityStreams type, always
`nosniff`), with a CSP that sandboxes anything a browser might open directly. Attachment names are
random 128-bit tokens: like Mastodon and GoToSocial, the URL is the capability, because apps load
images without credentials. Also serves Mastodon's default avatar and header paths.
"""

from __future__ import annotations

import functools
import io
import re

from PIL import Image
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from storage import media as media_store
from storage import statuses as status_store

from ..errors import HTTPError

_ATTACHMENT = re.compile(r"^attachments/[A-Za-z0-9]{2}/[A-Za-z0-9_-]{16,43}(-small)?\.webp$")
_PROFILE = re.compile(r"^(avatars|headers)/[0-9]{1,20}-[A-Za-z0-9_-]{8,32}\.webp$")
SANDBOX = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
PUBLIC = ("public", "unlisted")


def _headers(cache: str) -> dict[str, str]:
    return {"Cache-Control": cache, "Content-Security-Policy": SANDBOX, "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline", "Cross-Origin-Resource-Policy": "cross-origin"}


async def serve(request: Request) -> Response:
    ctx = request.app.state.ctx
    path = str(request.path_params["path"])
    root = ctx.settings.media_dir.resolve()
    if _PROFILE.match(path):
        media_type, cache = "image/webp", "public, max-age=604800, immutable"
    elif _ATTACHMENT.match(path):
        row = await media_store.get_by_path(ctx.db, path)
        if row is None or not row["mime_type"] or not row["mime_type"].startswith("image/"):
            raise HTTPError(404, "Record not found")
        media_type, cache = row["mime_type"], "private, max-age=86400"
        if row["status_id"] is not None:
            status = await status_store.get(ctx.db, int(row["status_id"]))
            if status is not None and status["visibility"] in PUBLIC:
                cache = "public, max-age=604800, immutable"
    else:
        raise HTTPError(404, "Record not found")
    target = (root / path).resolve()
    if root not in target.parents or not target.is_file():
        raise HTTPError(404, "Record not found")
    return FileResponse(target, media_type=media_type, headers=_headers(cache))


@functools.cache
def _placeholder(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG", optimize=True)
    return out.getvalue()


async def missing_avatar(request: Request) -> Response:
    return Response(_placeholder(400, 400, (201, 206, 214)), media_type="image/png",
                    headers=_headers("public, max-age=86400"))


async def missing_header(request: Request) -> Response:
    return Response(_placeholder(1500, 500, (96, 108, 128)), media_type="image/png",
                    headers=_headers("public, max-age=86400"))


routes = [
    Route("/media/{path:path}", serve, methods=["GET"]),
    Route("/avatars/original/missing.png", missing_avatar, methods=["GET"]),
    Route("/headers/original/missing.png", missing_header, methods=["GET"]),
]
