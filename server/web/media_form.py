"""Image attachments from the compose form, through the media service when it is installed.

The media service (server/services/media.py: sniff, re-encode, store) belongs to the client API;
until it exists the compose form hides its file inputs and refuses uploads with a clear message.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from starlette.datastructures import UploadFile

from ..services.statuses import ServiceError

MAX_FILES = 4


def service() -> Any | None:
    if importlib.util.find_spec("server.services.media") is None:
        return None
    module = importlib.import_module("server.services.media")
    return module if hasattr(module, "save_upload") else None


def available() -> bool:
    return service() is not None


async def save_uploads(web: Any) -> list[int]:
    """Store the form's files (with their alt texts) and return the media ids, in order."""
    form = web.form
    uploads = [f for f in form.getlist("media") if isinstance(f, UploadFile) and f.filename] if form else []
    if not uploads:
        return []
    media = service()
    if media is None:
        raise ServiceError(422, "Attachments are not available on this instance yet")
    if len(uploads) > MAX_FILES:
        raise ServiceError(422, "At most 4 attachments")
    alts = [a if isinstance(a, str) else "" for a in form.getlist("media_alt")]
    ids = []
    for index, upload in enumerate(uploads):
        data = await upload.read()
        alt = alts[index][:1500] if index < len(alts) else ""
        ids.append(int(await media.save_upload(web.ctx, web.user.account, data, description=alt)))
    return ids
