"""Request parameters as Mastodon apps send them: query strings, form-encoded, multipart or JSON
bodies, with Rails-style nested keys (`poll[options][]`, `fields_attributes[0][name]`).

Everything becomes one nested dict; typed getters read it and raise a 422 naming the parameter when
a value is wrong. Hostile shapes are bounded: key depth, number of keys and list items, JSON depth.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request

from storage.pagination import DEFAULT_LIMIT as DEFAULT_PAGE
from storage.pagination import MAX_LIMIT as MAX_PAGE
from storage.pagination import Page, parse_page

from ..errors import HTTPError

MAX_KEYS = 500
MAX_DEPTH = 6
MAX_LIST_ITEMS = 200
MAX_ID = 2**63 - 1
_KEY_PART = re.compile(r"\[([^\[\]]*)\]")
_FALSE = frozenset({"0", "f", "false", "off", "no", "n"})
_TRUE = frozenset({"1", "t", "true", "on", "yes", "y"})


def invalid(message: str) -> HTTPError:
    return HTTPError(422, f"Validation failed: {message}")


def _split_key(key: str) -> list[str]:
    """`poll[options][]` → ["poll", "options", ""]."""
    head, _, rest = key.partition("[")
    if not rest:
        return [key]
    parts = [head]
    position = len(head)
    for match in _KEY_PART.finditer(key, position):
        if match.start() != position:
            return [key]   # not a well-formed bracket key: keep it as one name
        parts.append(match.group(1))
        position = match.end()
    if position != len(key) or len(parts) > MAX_DEPTH:
        return [key]
    return parts


def nest(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Rails-style keys → nested dicts and lists. `a[]` appends; `a[0][b]` makes {"a": {"0": {"b": …}}};
    `a[][b]=1&a[][c]=2&a[][b]=3` makes {"a": [{"b": 1, "c": 2}, {"b": 3}]}, as Rails reads a form
    (Mastodon's `keywords_attributes[][keyword]`)."""
    root: dict[str, Any] = {}
    count = 0
    for key, value in pairs:
        count += 1
        if count > MAX_KEYS:
            raise HTTPError(400, "Too many parameters")
        _place(root, _split_key(key), value)
    return root


def _place(root: dict[str, Any], parts: list[str], value: Any) -> None:
    node: dict[str, Any] = root
    index = 0
    while index < len(parts):
        part = parts[index]
        if part == "":
            return   # `[]` with nothing to append to: ignored
        if index == len(parts) - 1:
            node[part] = value
            return
        following = parts[index + 1]
        child = node.get(part)
        if following != "":
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
            index += 1
            continue
        if not isinstance(child, list):
            child = node[part] = []
        if index + 1 == len(parts) - 1:          # `a[]`: append the value
            if len(child) < MAX_LIST_ITEMS:
                child.append(value)
            return
        # `a[][b]`: into the last element, or a new one when it already has `b` (Rails' rule).
        name = parts[index + 2]
        if name == "":
            return   # `a[][]` is no shape any client sends
        if child and isinstance(child[-1], dict) and name not in child[-1]:
            node = child[-1]
        elif len(child) < MAX_LIST_ITEMS:
            node = {}
            child.append(node)
        else:
            return
        index += 2


def _check_json(value: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise HTTPError(400, "The JSON body is nested too deeply")
    if isinstance(value, dict):
        if len(value) > MAX_KEYS:
            raise HTTPError(400, "Too many parameters")
        for item in value.values():
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        if len(value) > MAX_LIST_ITEMS:
            raise HTTPError(400, "Too many items in a list")
        for item in value:
            _check_json(item, depth + 1)


class Params:
    """Merged request parameters (body over query) with typed, validating getters."""

    def __init__(self, data: dict[str, Any], files: dict[str, UploadFile] | None = None) -> None:
        self.data = data
        self.files = files or {}

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def raw(self, name: str) -> Any:
        return self.data.get(name)

    def str(self, name: str, default: str | None = None, *, max_length: int = 100_000) -> str | None:
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        if not isinstance(value, str):
            raise invalid(f"{name} must be a string")
        if len(value) > max_length:
            raise invalid(f"{name} is too long (at most {max_length} characters)")
        return value

    def bool(self, name: str, default: bool | None = None) -> bool | None:
        return to_bool(self.data.get(name), name, default)

    def int(self, name: str, default: int | None = None, *, low: int | None = None, high: int | None = None) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        number = to_int(value, name)
        if low is not None and number < low:
            raise invalid(f"{name} must be at least {low}")
        if high is not None and number > high:
            raise invalid(f"{name} must be at most {high}")
        return number

    def id(self, name: str) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        return to_id(value, name)

    def list(self, name: str) -> list[Any]:
        """A list parameter, sent as `name[]=…`, as a JSON array, or as a dict of indexes."""
        value = self.data.get(name)
        if value is None:
            value = self.data.get(name + "[]")
        if value is None or value == "":
            return []
        if isinstance(value, list):
            return value[:MAX_LIST_ITEMS]
        if isinstance(value, dict):
            return [value[k] for k in sorted(value, key=_index_key)][:MAX_LIST_ITEMS]
        return [value]

    def strs(self, name: str, *, max_length: int = 1000) -> list[str]:
        out = []
        for item in self.list(name):
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise invalid(f"{name} must be a list of strings")
            text = str(item)
            if len(text) > max_length:
                raise invalid(f"{name} has an item that is too long")
            out.append(text)
        return out

    def ids(self, name: str) -> list[int]:
        return [to_id(item, name) for item in self.list(name)]

    def dict(self, name: str) -> dict[str, Any]:
        value = self.data.get(name)
        if value is None or value == "":
            return {}
        if not isinstance(value, dict):
            raise invalid(f"{name} must be an object")
        return value

    def sub(self, name: str) -> Params:
        return Params(self.dict(name))

    def file(self, name: str) -> UploadFile | None:
        return self.files.get(name)


def _index_key(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (1 << 62, key)


def to_bool(value: Any, name: str, default: bool | None = None) -> bool | None:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise invalid(f"{name} must be true or false")


def to_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise invalid(f"{name} must be a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,19}\s*", value):
        return int(value)
    raise invalid(f"{name} must be a number")


def to_id(value: Any, name: str) -> int:
    """An id as Mastodon sends them (strings of digits; some clients send numbers)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
        return value
    if isinstance(value, str) and value.isdigit() and len(value) <= 19 and 0 < int(value) <= MAX_ID:
        return int(value)
    raise invalid(f"{name} is not a valid id")


def path_id(request: Request, name: str = "id") -> int:
    """An id from the URL path; anything that is not one is simply not found."""
    value = str(request.path_params.get(name, ""))
    if not value.isdigit() or len(value) > 19 or not 0 < int(value) <= MAX_ID:
        raise HTTPError(404, "Record not found")
    return int(value)


def query(request: Request) -> Params:
    return Params(nest(request.query_params.multi_items()))


async def body(request: Request, *, with_query: bool = True) -> Params:
    """Parameters of a write request: JSON, form-encoded or multipart body, over the query string."""
    data: dict[str, Any] = nest(request.query_params.multi_items()) if with_query else {}
    files: dict[str, UploadFile] = {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        raw = await request.body()
        if raw.strip():
            try:
                parsed = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise HTTPError(400, "The request body is not valid JSON") from None
            if not isinstance(parsed, dict):
                raise HTTPError(400, "The JSON body must be an object")
            _check_json(parsed)
            data.update(parsed)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form(max_files=8, max_fields=MAX_KEYS)
        pairs: list[tuple[str, Any]] = []
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                files[key] = value
            else:
                pairs.append((key, value))
        data.update(nest(pairs))
    return Params(data, files)


def page(p: Params, *, max_limit: int = MAX_PAGE, default: int = DEFAULT_PAGE) -> Page:
    """Cursor pagination parameters (`max_id`, `since_id`, `min_id`, `limit`), or a 422 naming the bad one."""
    try:
        return parse_page(p.data, max_limit=max_limit, default=default)
    except ValueError as exc:
        raise invalid(str(exc)) from None
