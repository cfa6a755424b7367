"""Small value types shared by the parsers (what we read) and the builders (what we write).

Using the same types both ways is what makes the round-trip tests meaningful:
``parse(build(x)).field == x`` compares like with like.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Mention:
    """A ``Mention`` tag: the mentioned actor's IRI and how the text wrote it (``@bob@host``)."""

    href: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Hashtag:
    """A ``Hashtag`` tag; ``name`` is stored without the leading ``#``."""

    name: str
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Emoji:
    """A custom emoji (``toot:Emoji``); ``name`` is the shortcode without colons."""

    name: str
    url: str
    id: str | None = None
    media_type: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A media attachment or link of a post. ``name`` is the alt text."""

    url: str
    type: str = "Document"
    media_type: str | None = None
    name: str | None = None
    blurhash: str | None = None
    width: int | None = None
    height: int | None = None
    focal_point: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class PollOption:
    """One answer of a poll and its vote count, when the author's server publishes it."""

    name: str
    votes: int | None = None


@dataclass(frozen=True, slots=True)
class Poll:
    """The poll of a ``Question``: ``anyOf`` options mean multiple choice, ``oneOf`` single."""

    options: tuple[PollOption, ...]
    multiple: bool = False
    end_time: datetime | None = None
    closed: bool = False
    closed_at: datetime | None = None
    voters_count: int | None = None


@dataclass(frozen=True, slots=True)
class Field:
    """A profile field (``PropertyValue``). ``value`` is HTML as sent: sanitize before display."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class EmployeeInfo:
    """Atrium's employee profile: sent as ``atrium:`` terms and mirrored as profile fields.

    ``manager`` is the manager's actor IRI.
    """

    department: str | None = None
    title: str | None = None
    manager: str | None = None
    location: str | None = None
    pronouns: str | None = None
