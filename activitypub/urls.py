"""Atrium's own URL scheme: where each actor, object and collection of an instance lives.

Pure: built from the instance's base URL. The same paths as Mastodon, so that links pasted
between servers look familiar (`/users/alice`, `/@alice`, `/users/alice/statuses/123`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Urls:
    """URLs of one instance, e.g. `Urls("https://paris.example")`."""

    base: str

    # Actors and their collections
    def actor(self, username: str) -> str:
        return f"{self.base}/users/{username}"

    def key_id(self, username: str) -> str:
        return f"{self.actor(username)}#main-key"

    def inbox(self, username: str) -> str:
        return f"{self.actor(username)}/inbox"

    def outbox(self, username: str) -> str:
        return f"{self.actor(username)}/outbox"

    def followers(self, username: str) -> str:
        return f"{self.actor(username)}/followers"

    def following(self, username: str) -> str:
        return f"{self.actor(username)}/following"

    def featured(self, username: str) -> str:
        return f"{self.actor(username)}/collections/featured"

    def profile(self, username: str) -> str:
        return f"{self.base}/@{username}"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    @property
    def instance_actor(self) -> str:
        return f"{self.base}/actor"

    # Objects
    def status(self, username: str, status_id: int) -> str:
        return f"{self.actor(username)}/statuses/{status_id}"

    def status_page(self, username: str, status_id: int) -> str:
        return f"{self.base}/@{username}/{status_id}"

    def activity(self, username: str, kind: str, object_id: int | str) -> str:
        """Ids of activities that have no object of their own (Follow, Like, Undo, Accept…)."""
        return f"{self.actor(username)}#{kind}/{object_id}"

    def tag(self, name: str) -> str:
        return f"{self.base}/tags/{quote(name, safe='')}"

    def media(self, path: str) -> str:
        return f"{self.base}/media/{path}"

    def avatar_default(self) -> str:
        return f"{self.base}/static/avatar.svg"
