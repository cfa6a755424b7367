"""What every builder shares: the @context, dropping unset properties, embedding, timestamps."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from activitypub.constants import ATRIUM_CONTEXT
from activitypub.times import format_datetime

Document = dict[str, Any]


def new_context() -> list[Any]:
    """A fresh copy of our @context, so no caller can alter the shared constant."""
    return copy.deepcopy(ATRIUM_CONTEXT)


def document(properties: dict[str, Any]) -> Document:
    """A top-level document: our @context first, then ``properties`` without the ``None`` ones."""
    return {"@context": new_context(), **compact(properties)}


def compact(properties: dict[str, Any]) -> Document:
    """``properties`` without the ``None`` values (an unset property is omitted, not ``null``)."""
    return {key: value for key, value in properties.items() if value is not None}


def embed(obj: str | Document) -> str | Document:
    """An object to nest in an activity: an IRI as is, a document without its own @context."""
    if isinstance(obj, dict):
        return {key: value for key, value in obj.items() if key != "@context"}
    return obj


def timestamp(moment: datetime | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SSZ`` or ``None``."""
    return format_datetime(moment) if moment is not None else None
