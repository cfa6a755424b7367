"""Instance (v1 and v2): what apps read first, to learn our limits and where streaming lives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import Settings
from .accounts import MISSING_HEADER

ATRIUM_VERSION = "0.1.0"
# Apps enable features by Mastodon version: we implement the 4.4 API (no password grant,
# `limited_federation`), and say what we are after it, as GoToSocial and Akkoma do.
MASTODON_VERSION = "4.4.0"
VERSION = f"{MASTODON_VERSION} (compatible; Atrium {ATRIUM_VERSION})"

MAX_MEDIA_ATTACHMENTS = 4
MAX_PINNED = 5
DESCRIPTION_LIMIT = 1500
IMAGE_MATRIX_LIMIT = 33_177_600          # 7680 x 4320, as Mastodon
SUPPORTED_MIME_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"]
POLL_LIMITS = {"max_options": 10, "max_characters_per_option": 100, "min_expiration": 300, "max_expiration": 2_592_000}


@dataclass(frozen=True)
class InstanceStats:
    users: int
    statuses: int
    domains: int
    active_month: int


def _streaming_url(settings: Settings) -> str:
    return ("wss://" if settings.scheme == "https" else "ws://") + settings.domain


def _statuses(settings: Settings) -> dict[str, Any]:
    return {"max_characters": settings.max_status_chars, "max_media_attachments": MAX_MEDIA_ATTACHMENTS,
            "characters_reserved_per_url": 23}


def _media(settings: Settings) -> dict[str, Any]:
    media: dict[str, Any] = {
        "supported_mime_types": list(SUPPORTED_MIME_TYPES),
        "image_size_limit": settings.max_media_bytes,
        "image_matrix_limit": IMAGE_MATRIX_LIMIT,
        # No video or audio processing: clients hide those pickers when the limits are zero.
        "video_size_limit": 0,
        "video_frame_rate_limit": 0,
        "video_matrix_limit": 0,
        "description_limit": DESCRIPTION_LIMIT,
    }
    return media


def instance_v2(settings: Settings, stats: InstanceStats, contact_account: dict[str, Any] | None) -> dict[str, Any]:
    base = settings.base_url
    return {
        "domain": settings.domain,
        "title": settings.instance_name,
        "version": VERSION,
        "source_url": base + "/about",
        "description": settings.instance_description,
        "usage": {"users": {"active_month": stats.active_month}},
        "thumbnail": {"url": base + MISSING_HEADER, "blurhash": None,
                      "versions": {"@1x": base + MISSING_HEADER, "@2x": base + MISSING_HEADER}},
        "icon": [],
        "languages": ["en"],
        "configuration": {
            "urls": {"streaming": _streaming_url(settings), "status": None, "about": base + "/about",
                     "privacy_policy": None, "terms_of_service": None},
            "vapid": {"public_key": ""},
            "accounts": {"max_featured_tags": 0, "max_pinned_statuses": MAX_PINNED},
            "statuses": _statuses(settings),
            "media_attachments": _media(settings),
            "polls": dict(POLL_LIMITS),
            "translation": {"enabled": False},
            "limited_federation": settings.federation_mode == "closed",
        },
        "registrations": {"enabled": settings.registration_open, "approval_required": False, "message": None,
                          "url": None, "sign_up_url": None, "reason_required": False, "min_age": None},
        "api_versions": {"mastodon": 2},
        "contact": {"email": settings.contact_email, "account": contact_account},
        "rules": [],
        "atrium": {"version": ATRIUM_VERSION, "company": settings.company_name,
                   "federation_mode": settings.federation_mode},
    }


def instance_v1(settings: Settings, stats: InstanceStats, contact_account: dict[str, Any] | None) -> dict[str, Any]:
    base = settings.base_url
    return {
        "uri": settings.domain,
        "title": settings.instance_name,
        "short_description": settings.instance_description,
        "description": settings.instance_description,
        "email": settings.contact_email,
        "version": VERSION,
        "urls": {"streaming_api": _streaming_url(settings)},
        "stats": {"user_count": stats.users, "status_count": stats.statuses, "domain_count": stats.domains},
        "thumbnail": base + MISSING_HEADER,
        "languages": ["en"],
        "registrations": settings.registration_open,
        "approval_required": False,
        "invites_enabled": True,
        "configuration": {
            "accounts": {"max_featured_tags": 0, "max_pinned_statuses": MAX_PINNED},
            "statuses": _statuses(settings),
            "media_attachments": _media(settings),
            "polls": dict(POLL_LIMITS),
            # Said in v1 too: apps that only read v1 learn the instance is closed (issue 6).
            "limited_federation": settings.federation_mode == "closed",
        },
        "contact_account": contact_account,
        "rules": [],
    }
