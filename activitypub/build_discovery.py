"""Builders of discovery documents: WebFinger (JRD), host-meta (XRD), NodeInfo 2.0/2.1."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from activitypub.build_base import Document, compact
from activitypub.constants import (
    ACTIVITY_JSON,
    NODEINFO_REL_20,
    NODEINFO_REL_21,
    OSTATUS_SUBSCRIBE,
    WEBFINGER_PROFILE_PAGE,
)

_NODEINFO_SOFTWARE_NAME = re.compile(r"[a-z0-9-]+")  # the schema's pattern for software.name


def build_webfinger(
    *,
    subject: str,
    actor_id: str,
    profile_url: str | None = None,
    aliases: Sequence[str] | None = None,
    subscribe_template: str | None = None,
) -> Document:
    """The JRD answering ``/.well-known/webfinger?resource=acct:user@host``.

    ``aliases`` default to the actor IRI and the profile page; ``subscribe_template``
    is the remote-follow URL with ``{uri}`` (OStatus subscribe, still used by Mastodon).
    """
    if aliases is None:
        aliases = [actor_id] + ([profile_url] if profile_url and profile_url != actor_id else [])
    links: list[Document] = []
    if profile_url:
        links.append({"rel": WEBFINGER_PROFILE_PAGE, "type": "text/html", "href": profile_url})
    links.append({"rel": "self", "type": ACTIVITY_JSON, "href": actor_id})
    if subscribe_template:
        links.append({"rel": OSTATUS_SUBSCRIBE, "template": subscribe_template})
    return {"subject": subject, "aliases": list(aliases), "links": links}


def build_host_meta(base_url: str) -> str:
    """The host-meta XRD pointing at our WebFinger endpoint; ``base_url`` like ``https://host``."""
    template = html.escape(f"{base_url.rstrip('/')}/.well-known/webfinger?resource={{uri}}", quote=True)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" type="application/xrd+xml" template="{template}"/>\n'
        "</XRD>\n"
    )


def build_nodeinfo_discovery(*, nodeinfo_20: str | None = None, nodeinfo_21: str | None = None) -> Document:
    """``/.well-known/nodeinfo``: links to the NodeInfo documents we serve."""
    links = []
    if nodeinfo_20:
        links.append({"rel": NODEINFO_REL_20, "href": nodeinfo_20})
    if nodeinfo_21:
        links.append({"rel": NODEINFO_REL_21, "href": nodeinfo_21})
    return {"links": links}


def build_nodeinfo(
    *,
    version: str,
    software_name: str,
    software_version: str,
    open_registrations: bool,
    users_total: int,
    users_active_month: int,
    users_active_halfyear: int,
    local_posts: int,
    software_repository: str | None = None,
    software_homepage: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Document:
    """A NodeInfo document, schema ``2.0`` or ``2.1`` (2.1 adds the software repository and homepage)."""
    if version not in ("2.0", "2.1"):
        raise ValueError(f"unsupported NodeInfo version {version!r}")
    if not _NODEINFO_SOFTWARE_NAME.fullmatch(software_name):
        raise ValueError("NodeInfo software name must match [a-z0-9-]+")
    software: Document = {"name": software_name, "version": software_version}
    if version == "2.1":
        software.update(compact({"repository": software_repository, "homepage": software_homepage}))
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": open_registrations,
        "usage": {
            "users": {
                "total": users_total,
                "activeMonth": users_active_month,
                "activeHalfyear": users_active_halfyear,
            },
            "localPosts": local_posts,
        },
        "metadata": dict(metadata or {}),
    }
