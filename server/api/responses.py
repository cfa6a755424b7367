"""JSON responses and pagination `Link` headers exactly as Mastodon sends them.

`Link: <https://host/api/v1/timelines/home?limit=20&max_id=110>; rel="next", <…?limit=20&min_id=120>; rel="prev"`:
`next` pages to older items (max_id = the oldest id shown), `prev` to newer ones (min_id = the newest
shown); the other query parameters are kept. No header when the page is empty.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..context import Context

JSON_TYPE = "application/json; charset=utf-8"
_CURSORS = ("max_id", "min_id", "since_id")


def json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """`data` as JSON; bytes are taken as serialized already (server/mastodon/status_json.py)."""
    body = data if isinstance(data, bytes) else orjson.dumps(data)
    return Response(body, status_code=status, media_type=JSON_TYPE, headers=headers)


def ctx_of(request: Request) -> Context:
    return request.app.state.ctx


def link_header(request: Request, *, max_id: int | str | None, min_id: int | str | None) -> str | None:
    base = ctx_of(request).settings.base_url + request.url.path
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in _CURSORS]
    links = []
    if max_id is not None:
        links.append(f'<{base}?{urlencode([*kept, ("max_id", str(max_id))])}>; rel="next"')
    if min_id is not None:
        links.append(f'<{base}?{urlencode([*kept, ("min_id", str(min_id))])}>; rel="prev"')
    return ", ".join(links) or None


def paginated(request: Request, items: list[Any] | bytes, cursors: list[int], *, full: bool = True) -> Response:
    """A list answer with its Link header; `cursors` are the page's cursor values, newest first.
    `items` may come serialized already (a JSON array, server/mastodon/status_json.py).

    `full` says the page was filled to its limit: only then can older items exist (`next`).
    """
    headers: dict[str, str] = {}
    if cursors:
        link = link_header(request, max_id=cursors[-1] if full else None, min_id=cursors[0])
        if link:
            headers["Link"] = link
    return json(items, headers=headers)
