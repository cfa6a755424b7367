"""The per-process application context: settings, database, URL scheme, shared clients.

Routes reach it as `request.app.state.ctx`; services take it as their first argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from activitypub.urls import Urls
from federation.instance import Instance
from storage.db import Database

from .config import Settings


@dataclass
class Context:
    settings: Settings
    db: Database
    urls: Urls
    instance: Instance                                     # what federation knows of this instance
    extras: dict[str, Any] = field(default_factory=dict)   # wired subsystems (federation, streaming…)

    @property
    def domain(self) -> str:
        return self.settings.domain

    def is_local_uri(self, uri: str) -> bool:
        return uri.startswith(self.settings.base_url + "/")


def make_instance(settings: Settings) -> Instance:
    return Instance.create(
        base_url=settings.base_url,
        company_audience=settings.company_audience,
        federation_mode=settings.federation_mode,
        peers=settings.peers,
        peer_addresses=settings.peer_addresses,
        ca_file=settings.ca_file,
        max_body_bytes=settings.max_body_bytes,
    )


def make_context(settings: Settings, db: Database) -> Context:
    return Context(settings=settings, db=db, urls=Urls(settings.base_url), instance=make_instance(settings))
