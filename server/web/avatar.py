"""Avatar uploads: decoded and re-encoded with Pillow (nothing of the uploaded bytes is served as
is), cropped square to 400 px, stored as WebP under the media folder's `avatars/`, and served from
`/media/avatars/…` (avatars are public, like the profile they belong to)."""

from __future__ import annotations

import io
import re
import secrets
import warnings

from PIL import Image, UnidentifiedImageError
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from ..context import Context
from ..errors import HTTPError

SIZE = 400
MAX_PIXELS = 40_000_000      # bigger images are refused before decoding (decompression bombs)
MAX_BYTES = 8 * 1024 * 1024
FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
_NAME = re.compile(r"^[0-9]+-[A-Za-z0-9_-]{8,32}\.webp$")


class AvatarRefused(ValueError):
    """The upload is not an image we accept; the message says why."""


def reencode(data: bytes) -> bytes:
    """A square WebP of `data`, or AvatarRefused."""
    if len(data) > MAX_BYTES:
        raise AvatarRefused("The image is too large (8 MB at most)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise AvatarRefused("Upload a JPEG, PNG, GIF or WebP image")
            if image.width * image.height > MAX_PIXELS:
                raise AvatarRefused("The image is too large (8 MB at most)")
            image.seek(0)
            image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise AvatarRefused("Upload a JPEG, PNG, GIF or WebP image") from None
    side = min(image.width, image.height)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    image = image.crop((left, top, left + side, top + side)).resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=85)
    return out.getvalue()


async def store(ctx: Context, account_id: int, data: bytes) -> str:
    """Re-encode and write an avatar; returns its path relative to the media folder.

    The media service (client API) does the same for its uploads; when it is installed it is used,
    so that avatars from the API and from the web are one and the same thing."""
    from starlette.concurrency import run_in_threadpool

    from ..services.statuses import ServiceError
    from . import media_form

    service = media_form.service()
    if service is not None and hasattr(service, "store_profile_image"):
        try:
            return str(await service.store_profile_image(ctx, account_id, data, "avatars"))
        except ServiceError as exc:
            raise AvatarRefused(exc.message) from None
    encoded = await run_in_threadpool(reencode, data)
    folder = ctx.settings.media_dir / "avatars"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{account_id}-{secrets.token_urlsafe(9)}.webp"
    (folder / name).write_bytes(encoded)
    return f"avatars/{name}"


async def serve(request: Request) -> Response:
    name = request.path_params["name"]
    if not _NAME.match(name):
        raise HTTPError(404, "Record not found")
    path = request.app.state.ctx.settings.media_dir / "avatars" / name
    if not path.is_file():
        raise HTTPError(404, "Record not found")
    return FileResponse(path, media_type="image/webp", headers={"Cache-Control": "public, max-age=604800, immutable"})


routes = [Route("/media/avatars/{name}", serve, methods=["GET"])]
