"""Checks every built document must pass: plain JSON, our @context, our timestamp form."""

from __future__ import annotations

import re
from typing import Any

import orjson

from activitypub.constants import ATRIUM_CONTEXT

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
TIME_KEYS = {"published", "updated", "endTime", "closed", "deleted"}


def assert_wire_ready(doc: dict[str, Any], *, top_level: bool = True, relayed: bool = False) -> None:
    """``doc`` survives orjson unchanged, carries our @context once, and formats every time alike.

    ``relayed``: the document embeds a received activity verbatim (FEP-1b12), its @context included.
    """
    assert orjson.loads(orjson.dumps(doc)) == doc  # plain dicts, lists, str, numbers, bools: no tuples
    if top_level:
        assert next(iter(doc)) == "@context"
        assert doc["@context"] == ATRIUM_CONTEXT
    _walk(doc, top=True, relayed=relayed)


def _walk(value: Any, *, top: bool = False, relayed: bool = False) -> None:
    if isinstance(value, dict):
        if not top and not relayed:
            assert "@context" not in value
        for key, item in value.items():
            assert item is not None, f"{key} is null: unset properties are omitted"
            if key in TIME_KEYS:
                assert isinstance(item, str)
                assert TIMESTAMP.fullmatch(item), item
            _walk(item, relayed=relayed)
    elif isinstance(value, list):
        for item in value:
            _walk(item, relayed=relayed)
