"""Mastodon's documented entities, read from Mastodon.py's `return_types.py` (a client library
maintained against docs.joinmastodon.org, independent of us): for every entity, its fields, their
types and nullability, and the Mastodon version that added (or removed) each.

`check(entity, value)` compares one of our JSON answers with the entity field by field, recursing
into nested entities, and returns the list of differences (empty when it conforms).
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mastodon

TARGET = (4, 4, 0)          # the Mastodon API version Atrium implements
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class FieldSpec:
    name: str           # the JSON key
    annotation: str
    added: tuple[int, ...] | None
    removed: bool


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


@functools.cache
def entities() -> dict[str, dict[str, FieldSpec]]:
    source = (Path(mastodon.__file__).parent / "return_types.py").read_text()
    tree = ast.parse(source)
    found: dict[str, dict[str, FieldSpec]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        renames: dict[str, str] = {}
        fields: dict[str, FieldSpec] = {}
        for index, statement in enumerate(node.body):
            if isinstance(statement, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_rename_map"
                                                         for t in statement.targets):
                renames = ast.literal_eval(statement.value)
            if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
                continue
            doc = ""
            following = node.body[index + 1] if index + 1 < len(node.body) else None
            if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
                doc = str(following.value.value)
            history = re.findall(r"\* ([\d.]+): (.*)", doc)
            added = next((_version(v) for v, text in history if text.startswith("added")), None)
            removed = any(text.startswith("removed") for _, text in history)
            annotation = ast.unparse(statement.annotation).strip("'\"")
            name = statement.target.id
            fields[name] = FieldSpec(name, annotation, added, removed)
        found[node.name] = {renames.get(n, n): spec for n, spec in fields.items()}
    return found


def required_fields(entity: str) -> dict[str, FieldSpec]:
    """Fields Mastodon 4.4 always sends for `entity` (added by then, not removed since)."""
    return {k: f for k, f in entities()[entity].items() if f.added is not None and f.added <= TARGET and not f.removed}


def _strip(annotation: str, wrapper: str) -> str | None:
    if annotation.startswith(wrapper + "[") and annotation.endswith("]"):
        return annotation[len(wrapper) + 1:-1]
    return None


def check_value(annotation: str, value: Any, where: str) -> list[str]:
    """Differences between `value` and a Mastodon.py type annotation."""
    optional = _strip(annotation, "Optional")
    if optional is not None:
        return [] if value is None else check_value(optional, value, where)
    if value is None:
        return [f"{where}: null, but Mastodon's {annotation} is not nullable"]
    union = _strip(annotation, "Union")
    if union is not None:
        options = [o.strip() for o in union.split(",")]
        problems = [check_value(o, value, where) for o in options]
        return [] if any(not p for p in problems) else problems[0]
    inner = _strip(annotation, "NonPaginatableList") or _strip(annotation, "PaginatableList")
    if inner is not None or annotation in ("NonPaginatableList", "PaginatableList"):
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        return [p for i, item in enumerate(value) for p in (check_value(inner, item, f"{where}[{i}]") if inner else [])]
    if annotation in ("IdType", "MaybeSnowflakeIdType"):
        ok = isinstance(value, str) and value.lstrip("-").isdigit()
        return [] if ok else [f"{where}: id must be a string of digits: {value!r}"]
    if annotation == "str":
        return [] if isinstance(value, str) else [f"{where}: expected a string, got {value!r}"]
    if annotation == "int":
        return [] if isinstance(value, int) and not isinstance(value, bool) else [f"{where}: expected an integer: {value!r}"]
    if annotation == "float":
        return [] if isinstance(value, int | float) and not isinstance(value, bool) else [f"{where}: expected a number"]
    if annotation == "bool":
        return [] if isinstance(value, bool) else [f"{where}: expected a boolean, got {value!r}"]
    if annotation == "datetime":
        ok = isinstance(value, str) and (ISO_MS.match(value) or DATE.match(value))
        return [] if ok else [f"{where}: expected an ISO 8601 time with milliseconds: {value!r}"]
    if annotation in ("AttribAccessDict", "dict"):
        return [] if isinstance(value, dict) else [f"{where}: expected an object"]
    if annotation in entities():
        if not isinstance(value, dict):
            return [f"{where}: expected a {annotation} object, got {type(value).__name__}"]
        return check(annotation, value, where=where)
    return []   # an annotation we do not know how to check (e.g. EntityList)


def check(entity: str, value: dict[str, Any], *, where: str = "", optional: frozenset[str] = frozenset()) -> list[str]:
    """Every field Mastodon 4.4 always sends must be present with the right type; every field we
    send that Mastodon documents must have its type. `optional` lists fields Mastodon itself only
    sends in some cases (e.g. `pinned` on one's own posts)."""
    where = where or entity
    problems = []
    specs = entities()[entity]
    for name in required_fields(entity):
        if name not in value and name not in optional and name not in CONDITIONAL.get(entity, ()):
            problems.append(f"{where}.{name}: missing")
    for name, item in value.items():
        if name in specs:
            problems += check_value(specs[name].annotation, item, f"{where}.{name}")
    return problems


# Fields Mastodon's serializers only include under a condition we do not meet in general.
CONDITIONAL: dict[str, tuple[str, ...]] = {
    # moved/suspended/limited/memorial: only when true; source/role: the signed-in account only;
    # mute_expires_at: GET /api/v1/mutes only; noindex/roles: local accounts only.
    "Account": ("moved", "suspended", "limited", "memorial", "source", "role", "mute_expires_at", "noindex", "roles"),
    # Viewer-dependent fields are absent for anonymous readers; pinned only on one's own posts;
    # application only for one's own posts or who shows it; quote only on quote posts.
    "Status": ("favourited", "reblogged", "muted", "bookmarked", "pinned", "filtered", "application", "quote"),
    # voted/own_votes: only with a signed-in reader.
    "Poll": ("voted", "own_votes"),
    # report: admin.report notifications only; event and moderation_warning: their own types only.
    "Notification": ("status", "report", "event", "moderation_warning"),
    # following: only with a signed-in reader; id and the trend flags: GET /api/v1/tags/:id and admin.
    # featuring: GET /api/v1/tags/:id only (a status's tags carry name and url).
    "Tag": ("following", "id", "trendable", "usable", "requires_review", "history", "featuring"),
    # Thumbnails and focus: only when the file has them.
    "MediaAttachmentMetadataContainer": ("original", "small", "colors", "focus"),
    # Deprecated fields Mastodon still sends but new clients do not read.
    "Application": ("vapid_key",),
    # status only for status-type groups; the page bounds only on paged answers.
    # report, event, moderation_warning, annual_report: their own notification types only.
    "NotificationGroup": ("status_id", "page_min_id", "page_max_id", "latest_page_notification_at", "report",
                          "event", "moderation_warning", "annual_report"),
    # partial_accounts: only when asked for with expand_accounts=partial_avatars.
    "GroupedNotificationsResults": ("partial_accounts",),
    # Mastodon.py spells Mastodon's `rule_ids` (app/serializers/rest/report_serializer.rb) "rules_ids".
    "Report": ("rules_ids",),
    # Only for remote accounts whose avatar we keep elsewhere.
    "Relationship": (),
}
