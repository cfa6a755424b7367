"""`atrium export USER`: an employee's data as an ActivityPub archive, laid out like Mastodon's.

The zip holds:

- `actor.json`: their actor document (profile, employee fields, public key);
- `outbox.json`: every post as a `Create` (boosts as `Announce`), oldest first;
- `likes.json`, `bookmarks.json`: collections of the ids of the posts they liked and bookmarked;
- `followers.json`, `following.json`: collections of actor ids;
- `following_accounts.csv`, `blocked_accounts.csv`, `muted_accounts.csv`: Mastodon's import formats,
  for an employee who leaves for another server;
- `media/…`: their uploads, avatar and header. Media URLs in the documents point into the archive
  (`media/…`), as Mastodon's archives do.

Documents are rendered by federation.render, the one place rows become ActivityPub. Local-only
posts, which are never federated, appear in their direct form: addressed to the people they mention
and no one else.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from activitypub.build_base import new_context
from federation import render
from federation.instance import Instance
from storage import accounts as account_store
from storage import archive, hydrate
from storage.hydrate import StatusBundle

from .context import Context

PAGE = 200


class ExportError(Exception):
    """The export cannot be made (no such local account)."""


@dataclass
class ExportSummary:
    path: Path
    statuses: int = 0
    skipped: int = 0
    likes: int = 0
    bookmarks: int = 0
    followers: int = 0
    following: int = 0
    media_files: int = 0


def _instance(ctx: Context) -> Instance:
    return Instance.create(base_url=ctx.settings.base_url, company_audience=ctx.settings.company_audience)


def _into_archive(value: Any, media_base: str) -> Any:
    """The same document with our media URLs turned into paths inside the archive."""
    if isinstance(value, str):
        return "media/" + value[len(media_base):] if value.startswith(media_base) else value
    if isinstance(value, list):
        return [_into_archive(v, media_base) for v in value]
    if isinstance(value, dict):
        return {k: _into_archive(v, media_base) for k, v in value.items()}
    return value


def _collection(name: str, items: list[Any]) -> bytes:
    return orjson.dumps({
        "@context": new_context(), "id": name, "type": "OrderedCollection",
        "totalItems": len(items), "orderedItems": items,
    }, option=orjson.OPT_INDENT_2)


def _render_status(bundle: StatusBundle, instance: Instance) -> dict[str, Any] | None:
    """The activity of one of the employee's statuses, or None when it has none (a boost of a
    post that cannot be federated)."""
    try:
        if bundle.reblog is not None:
            return render.announce_activity(bundle, instance)
        return render.create_activity(bundle, instance)
    except render.RenderError:
        if bundle.reblog is not None or bundle.status["visibility"] != "local":
            return None
    as_direct = dataclasses.replace(bundle, status={**dict(bundle.status), "visibility": "direct"})
    return render.create_activity(as_direct, instance)


def _handle(row: Any, ctx: Context) -> str:
    return f"{row['username']}@{row['domain'] or ctx.domain}"


async def export_account(ctx: Context, username: str, output: Path) -> ExportSummary:
    """Write the archive of the local account `username` to `output`."""
    account = await account_store.get_local_by_username(ctx.db, username)
    if account is None or account["actor_type"] != "Person":
        raise ExportError(f"no local account named {username!r}")
    account_id = int(account["id"])
    instance = _instance(ctx)
    media_base = instance.urls.media("")
    summary = ExportSummary(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        manager = await account_store.get(ctx.db, int(account["manager_id"])) if account["manager_id"] else None
        actor = render.actor_document(account, instance, manager_uri=manager["uri"] if manager else None)
        zf.writestr("actor.json", orjson.dumps(_into_archive(actor, media_base), option=orjson.OPT_INDENT_2))
        summary.statuses, summary.skipped = await _write_outbox(ctx, zf, account_id, str(account["outbox_url"]),
                                                                instance, media_base)
        likes = await archive.liked_uris(ctx.db, account_id)
        bookmarks = await archive.bookmarked_uris(ctx.db, account_id)
        followers = await archive.followers(ctx.db, account_id)
        following = await archive.following(ctx.db, account_id)
        zf.writestr("likes.json", _collection("likes.json", likes))
        zf.writestr("bookmarks.json", _collection("bookmarks.json", bookmarks))
        zf.writestr("followers.json", _collection("followers.json", [str(r["uri"]) for r in followers]))
        zf.writestr("following.json", _collection("following.json", [str(r["uri"]) for r in following]))
        zf.writestr("following_accounts.csv", _csv(
            ["Account address", "Show boosts", "Notify on new posts", "Languages"],
            [[_handle(r, ctx), str(bool(r["show_reblogs"])).lower(), str(bool(r["notify"])).lower(), ""]
             for r in following],
        ))
        zf.writestr("blocked_accounts.csv", _csv(None, [[_handle(r, ctx)] for r in await archive.blocked(ctx.db, account_id)]))
        zf.writestr("muted_accounts.csv", _csv(
            ["Account address", "Hide notifications"],
            [[_handle(r, ctx), str(bool(r["hide_notifications"])).lower()] for r in await archive.muted(ctx.db, account_id)],
        ))
        summary.likes, summary.bookmarks = len(likes), len(bookmarks)
        summary.followers, summary.following = len(followers), len(following)
        paths = [p for p in (account["avatar_path"], account["header_path"]) if p]
        paths += await archive.media_paths(ctx.db, account_id)
        media_root = ctx.settings.media_dir.resolve()
        for relative in dict.fromkeys(str(p) for p in paths):
            source = (media_root / relative).resolve()
            # Paths come from our own rows; still, never read outside the media folder.
            if source.is_file() and source.is_relative_to(media_root):
                zf.write(source, f"media/{relative}")
                summary.media_files += 1
    partial.replace(output)
    return summary


async def _write_outbox(ctx: Context, zf: zipfile.ZipFile, account_id: int, outbox_id: str, instance: Instance,
                        media_base: str) -> tuple[int, int]:
    """Stream outbox.json into the zip a page of statuses at a time; returns (written, skipped)."""
    written = skipped = 0
    after = 0
    entry = zipfile.ZipInfo("outbox.json", date_time=time.localtime()[:6])
    entry.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(entry, "w") as out:
        head = orjson.dumps({"@context": new_context(), "id": "outbox.json", "type": "OrderedCollection",
                             "actor": outbox_id.rsplit("/outbox", 1)[0]})
        out.write(head[:-1] + b',"orderedItems":[')
        while True:
            ids = await archive.status_ids(ctx.db, account_id, after_id=after, limit=PAGE)
            if not ids:
                break
            after = ids[-1]
            for bundle in await hydrate.load_statuses(ctx.db, ids):
                activity = _render_status(bundle, instance)
                if activity is None:
                    skipped += 1
                    continue
                activity.pop("@context", None)
                out.write((b"," if written else b"") + orjson.dumps(_into_archive(activity, media_base)))
                written += 1
        out.write(b'],"totalItems":' + str(written).encode() + b"}")
    return written, skipped


def _csv(header: list[str] | None, rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
