"""The per-process application context: settings, database, URL scheme, shared clients.

Routes reach it as `request.app.state.ctx`; services take it as their first argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from activitypub.urls import Urls
from storage.db import Database

from .config import Settings


@dataclass
class Context:
    settings: Settings
    db: Database
    urls: Urls
    extras: dict[str, Any] = field(default_factory=dict)   # wired subsystems (federation, streaming…)

    @property
    def domain(self) -> str:
        return self.settings.domain

    def is_local_uri(self, uri: str) -> bool:
        return uri.startswith(self.settings.base_url + "/")


def make_context(settings: Settings, db: Database) -> Context:
    return Context(settings=settings, db=db, urls=Urls(settings.base_url))
