"""Uploaded images, for the client API and the web UI alike: what is stored is never what was sent.

The bytes are identified by decoding them (not by file name or declared type); anything that is not
a JPEG, PNG, GIF or WebP image, is larger than the instance allows, or would decode to more than
`MAX_PIXELS` pixels (decompression bombs) is refused before any pixel is decoded. Accepted images are
turned upright from their EXIF orientation, re-encoded as WebP (so no EXIF, GPS or trailing payload
survives), bounded in size, given a thumbnail and a BlurHash, and written under the media folder
with random names. Avatars and headers go through the same decoder and are cropped to shape.
"""

from __future__ import annotations

import io
import os
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError
from starlette.concurrency import run_in_threadpool

from storage import media as media_store
from storage.db import Row

from ..context import Context
from . import blurhash
from .statuses import ServiceError

FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
MAX_PIXELS = 33_177_600          # 7680 x 4320 (Mastodon's image_matrix_limit)
MAX_FRAMES = 100
MAX_ANIMATED_PIXELS = 200_000_000  # frames x pixels, for animations
MAX_SIDE = 3840                  # stored images fit in 3840 x 3840
THUMB_SIDE = 640
AVATAR_SIDE = 400
HEADER_SIZE = (1500, 500)
MAX_DESCRIPTION = 1500
MIME = "image/webp"
TOO_MANY_PIXELS = "The image has too many pixels (at most 7680 x 4320)"


class MediaRefused(ServiceError):
    """The upload is refused; the message says why (422 unless said otherwise)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(status, message)


@dataclass(frozen=True)
class Processed:
    data: bytes
    width: int
    height: int
    thumbnail: bytes
    thumb_width: int
    thumb_height: int
    blurhash: str | None


def _open(data: bytes, max_bytes: int) -> Image.Image:
    """Decode the header only, and refuse what we will not decode fully."""
    if not data:
        raise MediaRefused("The file is empty")
    if len(data) > max_bytes:
        raise MediaRefused(f"The file is too large (at most {max_bytes // (1024 * 1024)} MB)", 413)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise MediaRefused(TOO_MANY_PIXELS) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise MediaRefused("File type is not supported: upload a JPEG, PNG, GIF or WebP image") from None
    if image.width < 1 or image.height < 1 or image.width * image.height > MAX_PIXELS:
        raise MediaRefused(TOO_MANY_PIXELS)
    frames = getattr(image, "n_frames", 1)
    if frames > MAX_FRAMES or frames * image.width * image.height > MAX_ANIMATED_PIXELS:
        raise MediaRefused("The animation is too long")
    return image


def _decode(image: Image.Image) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            return upright.convert("RGBA" if _has_alpha(upright) else "RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise MediaRefused("The image could not be read: the file is damaged") from None


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _fit(image: Image.Image, side: int) -> Image.Image:
    if max(image.width, image.height) <= side:
        return image
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    return copy


def _webp(image: Image.Image, *, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=quality, method=4)
    return out.getvalue()


def _blurhash(image: Image.Image) -> str | None:
    small = image.convert("RGB").resize((32, max(1, round(32 * image.height / image.width))), Image.Resampling.BILINEAR)
    raw = small.tobytes()
    pixels = [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)]
    return blurhash.encode(pixels, small.width, small.height)


def _animated(image: Image.Image) -> bytes:
    """An animated GIF/WebP re-encoded frame by frame (so nothing but pixels survives)."""
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        frames.append(_fit(frame.convert("RGBA"), MAX_SIDE))
        durations.append(int(frame.info.get("duration", 100)) or 100)
    out = io.BytesIO()
    frames[0].save(out, format="WEBP", save_all=True, append_images=frames[1:], duration=durations, loop=0, quality=80)
    return out.getvalue()


def process_image(data: bytes, *, max_bytes: int) -> Processed:
    """Decode, check and re-encode an attachment (CPU-bound: call it in a thread)."""
    image = _open(data, max_bytes)
    animated = getattr(image, "n_frames", 1) > 1
    try:
        if animated:
            encoded = _animated(image)
            image.seek(0)
        first = _decode(image)
        stored = _fit(first, MAX_SIDE)
        if not animated:
            encoded = _webp(stored)
        thumb = _fit(stored, THUMB_SIDE)
        return Processed(encoded, stored.width, stored.height, _webp(thumb, quality=75), thumb.width, thumb.height,
                         _blurhash(thumb))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise MediaRefused("The image could not be read: the file is damaged") from None
    finally:
        image.close()


def _crop(image: Image.Image, width: int, height: int) -> Image.Image:
    return ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS)


def process_profile_image(data: bytes, size: tuple[int, int], *, max_bytes: int) -> bytes:
    """An avatar or header: first frame, cropped to `size`, WebP."""
    image = _open(data, max_bytes)
    try:
        image.seek(0)
        return _webp(_crop(_decode(image), *size))
    finally:
        image.close()


def _write(root: Path, relative: str, data: bytes) -> None:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".part")
    temporary.write_bytes(data)
    os.replace(temporary, target)


def clean_description(text: str | None) -> str | None:
    """Alt text: newlines kept, other control characters dropped, length bounded."""
    if text is None:
        return None
    kept = "".join(ch for ch in text if ch in "\n\t" or (ord(ch) >= 0x20 and not 0x7F <= ord(ch) <= 0x9F))
    kept = kept.strip()[:MAX_DESCRIPTION]
    return kept or None


def parse_focus(value: str | None) -> tuple[float, float] | None:
    """Mastodon's focal point "x,y", each in [-1, 1]; None when absent, ValueError when malformed."""
    if value is None or value == "":
        return None
    parts = str(value).split(",")
    if len(parts) != 2:
        raise ValueError("focus must be two numbers, x,y")
    x, y = (float(p) for p in parts)
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        raise ValueError("focus values must be between -1 and 1")
    return (round(x, 2), round(y, 2))


async def save_upload(
    ctx: Context, account: Row, data: bytes, *, description: str | None = None,
    focus: tuple[float, float] | None = None,
) -> int:
    """Process and store an image attachment for `account`; returns the media id (not yet attached)."""
    processed = await run_in_threadpool(process_image, data, max_bytes=ctx.settings.max_media_bytes)
    name = secrets.token_urlsafe(16)
    shard = name[:2].replace("-", "x").replace("_", "y")
    path, thumb = f"attachments/{shard}/{name}.webp", f"attachments/{shard}/{name}-small.webp"
    root = ctx.settings.media_dir
    await run_in_threadpool(_write, root, path, processed.data)
    await run_in_threadpool(_write, root, thumb, processed.thumbnail)
    return await media_store.create(
        ctx.db, account_id=int(account["id"]), type_="image", file_path=path, mime_type=MIME,
        file_size=len(processed.data), width=processed.width, height=processed.height, thumbnail_path=thumb,
        description=clean_description(description), blurhash=processed.blurhash, focus=focus,
    )


async def store_profile_image(ctx: Context, account_id: int, data: bytes, kind: str) -> str:
    """Process and store an avatar (`kind` "avatars") or header ("headers"); returns its media path."""
    size = (AVATAR_SIDE, AVATAR_SIDE) if kind == "avatars" else HEADER_SIZE
    encoded = await run_in_threadpool(process_profile_image, data, size, max_bytes=ctx.settings.max_media_bytes)
    # The web UI names avatars `<account id>-<random>.webp` too; both serve from /media/avatars/.
    path = f"{kind}/{account_id}-{secrets.token_urlsafe(12)}.webp"
    await run_in_threadpool(_write, ctx.settings.media_dir, path, encoded)
    return path


async def get_own(ctx: Context, account: Row, media_id: int) -> Row:
    row = await media_store.get(ctx.db, media_id)
    if row is None or row["account_id"] != account["id"]:
        raise ServiceError(404, "Record not found")
    return row


async def describe(ctx: Context, account: Row, media_id: int, *, description: str | None,
                   focus: tuple[float, float] | None) -> Row:
    """Change an attachment's alt text or focal point (its owner only)."""
    await get_own(ctx, account, media_id)
    await media_store.update(ctx.db, media_id, description=clean_description(description) if description is not None
                             else None, focus=focus)
    return await get_own(ctx, account, media_id)
