"""Our rows → ActivityPub documents: posts, actors and the activities we send.

The one place local data becomes AP JSON (the other direction is federation.convert). Built on
activitypub.builders and activitypub.urls; addressing comes from activitypub.audience, which
refuses `local` posts, so a local-only post cannot be rendered for federation at all.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from activitypub.audience import addressing_for
from activitypub.builders import (
    Document,
    build_accept,
    build_actor,
    build_announce,
    build_block,
    build_create,
    build_delete,
    build_flag,
    build_follow,
    build_like,
    build_move,
    build_note,
    build_poll_vote,
    build_question,
    build_reject,
    build_tombstone,
    build_undo,
    build_update,
)
from activitypub.constants import AS_PUBLIC
from activitypub.model import Attachment, EmployeeInfo, Field, Hashtag, Mention, Poll, PollOption
from activitypub.urls import Urls
from federation.instance import Instance
from storage.db import Row
from storage.hydrate import StatusBundle


class RenderError(ValueError):
    """The row cannot be federated (a local-only post, a remote object, a missing part)."""


def moment(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


def precise_time(ms: int) -> str:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ`: our `published` keeps its milliseconds.

    Peers order posts by `published`; with whole seconds, posts made in the same second would
    land in any order (Mastodon and Atrium both read the fraction).
    """
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def _stamp(document: Document, key: str, ms: int | None) -> Document:
    if ms is not None and key in document:
        document[key] = precise_time(int(ms))
    return document


def handle_domain(account: Row, instance: Instance) -> str:
    return str(account["domain"] or instance.domain)


# --- posts ---------------------------------------------------------------------------------------

def status_addressing(bundle: StatusBundle, instance: Instance) -> tuple[list[str], list[str]]:
    """(to, cc) of a local status; RenderError for a local-only one."""
    status = bundle.status
    if status["visibility"] == "local":
        raise RenderError("local-only posts are never federated")
    mentions = [str(m["uri"]) for m in bundle.mentions]
    return addressing_for(
        status["visibility"], str(bundle.account["followers_url"]), mentions, instance.company_audience
    )


def note_object(bundle: StatusBundle, instance: Instance) -> Document:
    """The Note (or Question, for a poll) of one of our statuses."""
    status, account = bundle.status, bundle.account
    if not status["local"]:
        raise RenderError("only our own statuses are rendered")
    if status["reblog_of_id"] is not None:
        raise RenderError("a boost is an Announce, not a Note")
    to, cc = status_addressing(bundle, instance)
    urls = instance.urls
    note = build_note(
        note_id=str(status["uri"]),
        attributed_to=str(account["uri"]),
        content_html=str(status["content"] or ""),
        published=moment(int(status["created_at"])) or datetime.now(UTC),
        updated=moment(status["edited_at"]),
        to=to,
        cc=cc,
        url=status["url"],
        summary=status["spoiler_text"] or None,
        sensitive=bool(status["sensitive"]),
        in_reply_to=status["in_reply_to_uri"],
        language=status["language"],
        mentions=[
            Mention(href=str(m["uri"]), name=f"@{m['username']}@{handle_domain(m, instance)}") for m in bundle.mentions
        ],
        hashtags=[Hashtag(name=name, href=urls.tag(name)) for name in bundle.tags],
        attachments=[_attachment(media, urls) for media in bundle.media],
    )
    if bundle.poll is not None:
        note = build_question(note, _poll(bundle))
    _stamp(note, "published", status["created_at"])
    return _stamp(note, "updated", status["edited_at"])


def _attachment(media: Row, urls: Urls) -> Attachment:
    url = media["remote_url"] or urls.media(str(media["file_path"]))
    focus = (float(media["focus_x"]), float(media["focus_y"])) if media["focus_x"] is not None else None
    return Attachment(
        url=str(url),
        type="Document",
        media_type=media["mime_type"],
        name=media["description"],
        blurhash=media["blurhash"],
        width=media["width"],
        height=media["height"],
        focal_point=focus,
    )


def _poll(bundle: StatusBundle) -> Poll:
    assert bundle.poll is not None
    poll = bundle.poll.poll
    names = json.loads(poll["options"])
    counts = bundle.poll.counts
    expires = moment(poll["expires_at"])
    closed = expires is not None and expires <= datetime.now(UTC)
    return Poll(
        options=tuple(PollOption(name=n, votes=counts[i] if i < len(counts) else 0) for i, n in enumerate(names)),
        multiple=bool(poll["multiple"]),
        end_time=expires,
        closed=closed,
        closed_at=expires if closed else None,
        voters_count=int(poll["voters_count"] or 0),
    )


def create_activity(bundle: StatusBundle, instance: Instance) -> Document:
    """`Create` of one of our statuses, addressed like it."""
    note = note_object(bundle, instance)
    create = build_create(
        f"{bundle.status['uri']}/activity", str(bundle.account["uri"]), note,
        published=moment(int(bundle.status["created_at"])),
    )
    return _stamp(create, "published", bundle.status["created_at"])


def update_activity(bundle: StatusBundle, instance: Instance) -> Document:
    """`Update` of an edited status (its id names the edit, so each edit is a new activity)."""
    note = note_object(bundle, instance)
    edited = bundle.status["edited_at"] or bundle.status["created_at"]
    return build_update(
        f"{bundle.status['uri']}#updates/{edited}", str(bundle.account["uri"]), note, published=moment(int(edited))
    )


def delete_activity(bundle: StatusBundle, instance: Instance) -> Document:
    """`Delete` of a status, with its Tombstone, addressed to everyone who could see it."""
    to, cc = status_addressing(bundle, instance)
    tombstone = build_tombstone(str(bundle.status["uri"]), former_type="Note", deleted=datetime.now(UTC))
    return build_delete(f"{bundle.status['uri']}#delete", str(bundle.account["uri"]), tombstone, to=to, cc=cc)


def announce_activity(boost: StatusBundle, instance: Instance) -> Document:
    """`Announce` of a boost: `boost.reblog` is the boosted status."""
    if boost.reblog is None:
        raise RenderError("not a boost")
    original = boost.reblog
    visibility = boost.status["visibility"]
    if visibility == "local" or original.status["visibility"] not in ("public", "unlisted", "company"):
        raise RenderError("this boost cannot be federated")
    followers = str(boost.account["followers_url"])
    to, cc = addressing_for(visibility, followers, [str(original.account["uri"])], instance.company_audience)
    announce = build_announce(
        str(boost.status["uri"]), str(boost.account["uri"]), str(original.status["uri"]),
        published=moment(int(boost.status["created_at"])) or datetime.now(UTC), to=to, cc=cc,
    )
    return _stamp(announce, "published", boost.status["created_at"])


def undo_announce_activity(boost: StatusBundle, instance: Instance) -> Document:
    announce = announce_activity(boost, instance)
    return build_undo(f"{boost.status['uri']}#undo", str(boost.account["uri"]), announce)


def status_audience(bundle: StatusBundle) -> dict[str, Any]:
    """The outbox audience of a status's Create/Update/Delete (storage.outbox.enqueue's `audience`).

    Empty for local-only posts. Replies also go to the author replied to when the post is public.
    """
    visibility = bundle.status["visibility"]
    remote_mentions = [int(m["id"]) for m in bundle.mentions if m["domain"]]
    if visibility == "local":
        return {}
    if visibility == "direct":
        return {"accounts": remote_mentions}
    if visibility == "company":
        return {"company": True, "accounts": remote_mentions}
    accounts = list(remote_mentions)
    parent_author = bundle.in_reply_to_account
    if visibility in ("public", "unlisted") and parent_author is not None and parent_author["domain"]:
        accounts.append(int(parent_author["id"]))
    return {"followers": True, "accounts": list(dict.fromkeys(accounts))}


# --- interactions ----------------------------------------------------------------------------------

def like_activity(account: Row, status: Row, status_author: Row, like_id: str | None = None) -> Document:
    """`Like` of a status, addressed to its author."""
    return build_like(
        like_id or f"{account['uri']}#likes/{status['id']}", str(account["uri"]), str(status["uri"]),
        to=[str(status_author["uri"])],
    )


def undo_like_activity(account: Row, status: Row, status_author: Row, like_id: str | None = None) -> Document:
    like = like_activity(account, status, status_author, like_id)
    return build_undo(f"{like['id']}/undo", str(account["uri"]), like)


def follow_activity(follower: Row, target: Row, follow_uri: str) -> Document:
    return build_follow(follow_uri, str(follower["uri"]), str(target["uri"]))


def undo_follow_activity(follower: Row, target: Row, follow_uri: str) -> Document:
    follow = follow_activity(follower, target, follow_uri)
    return build_undo(f"{follow_uri}/undo", str(follower["uri"]), follow, to=[str(target["uri"])])


def accept_follow_activity(target: Row, follower: Row, follow_uri: str) -> Document:
    """`Accept` of a Follow of `target` by `follower`, the Follow embedded (Mastodon expects it)."""
    follow = build_follow(follow_uri, str(follower["uri"]), str(target["uri"]))
    return build_accept(f"{target['uri']}#accepts/{_tail(follow_uri)}", str(target["uri"]), follow)


def reject_follow_activity(target: Row, follower: Row, follow_uri: str) -> Document:
    follow = build_follow(follow_uri, str(follower["uri"]), str(target["uri"]))
    return build_reject(f"{target['uri']}#rejects/{_tail(follow_uri)}", str(target["uri"]), follow)


def _tail(uri: str) -> str:
    # A stable, URL-safe suffix from the Follow's id.
    return hashlib.sha256(uri.encode()).hexdigest()[:24]


def block_activity(account: Row, target: Row, block_uri: str) -> Document:
    return build_block(block_uri, str(account["uri"]), str(target["uri"]))


def undo_block_activity(account: Row, target: Row, block_uri: str) -> Document:
    block = block_activity(account, target, block_uri)
    return build_undo(f"{block_uri}/undo", str(account["uri"]), block, to=[str(target["uri"])])


def vote_activities(voter: Row, poll_status: StatusBundle, choices: list[int]) -> list[Document]:
    """One `Create{Note}` per chosen option, addressed to the poll's author (Mastodon's form)."""
    if poll_status.poll is None:
        raise RenderError("not a poll")
    names = json.loads(poll_status.poll.poll["options"])
    question = str(poll_status.status["uri"])
    author = str(poll_status.account["uri"])
    activities = []
    for choice in sorted(set(choices)):
        vote_id = f"{voter['uri']}#votes/{poll_status.poll.poll['id']}/{choice}"
        activities.append(
            build_poll_vote(f"{vote_id}/activity", vote_id, str(voter["uri"]), question, author, names[choice])
        )
    return activities


def flag_activity(instance: Instance, target: Row, status_uris: list[str], comment: str, flag_id: str) -> Document:
    """`Flag` (a report) sent from the instance actor, so the reporter stays anonymous."""
    actor = instance.urls.instance_actor
    return build_flag(flag_id, actor, [str(target["uri"]), *status_uris], content=comment or None)


# --- actors ------------------------------------------------------------------------------------------

def actor_document(account: Row, instance: Instance, *, manager_label: str | None = None,
                   manager_uri: str | None = None) -> Document:
    """The actor document of one of our accounts (Person, or the instance actor's Application)."""
    if account["domain"]:
        raise RenderError("only our own accounts are rendered")
    urls = instance.urls
    fields = [Field(name=f["name"], value=f["value"]) for f in _json_list(account["fields"])]
    employee = EmployeeInfo(
        department=account["department"], title=account["title"], manager=manager_uri or account["manager_uri"],
        location=account["location"], pronouns=account["pronouns"],
    )
    avatar = urls.media(str(account["avatar_path"])) if account["avatar_path"] else None
    header = urls.media(str(account["header_path"])) if account["header_path"] else None
    document = build_actor(
        actor_id=str(account["uri"]),
        username=str(account["username"]),
        inbox=str(account["inbox_url"]),
        outbox=str(account["outbox_url"]),
        followers=str(account["followers_url"]),
        following=str(account["following_url"]),
        featured=account["featured_url"],
        shared_inbox=account["shared_inbox_url"] or urls.shared_inbox,
        public_key_pem=str(account["public_key_pem"]),
        key_id=account["public_key_id"],
        actor_type=str(account["actor_type"]),
        name=account["display_name"] or None,
        summary_html=account["note"] or None,
        url=account["url"],
        icon_url=avatar,
        image_url=header,
        manually_approves_followers=bool(account["locked"]),
        discoverable=bool(account["discoverable"]),
        fields=fields,
        employee=employee,
        manager_label=manager_label,
        published=moment(account["created_at"]),
        also_known_as=[str(a) for a in _json_list(account["also_known_as"])],
    )
    return document


def _json_list(value: Any) -> list[Any]:
    try:
        items = json.loads(value) if isinstance(value, str) else (value or [])
    except ValueError:
        return []
    return items if isinstance(items, list) else []


def update_actor_activity(account: Row, instance: Instance, document: Document | None = None) -> Document:
    """`Update` of our actor after a profile change, addressed to Public (Mastodon's form)."""
    doc = document or actor_document(account, instance)
    stamp = account["updated_at"] or 0
    return build_update(f"{account['uri']}#updates/{stamp}", str(account["uri"]), doc, to=[AS_PUBLIC])


def delete_actor_activity(account: Row) -> Document:
    return build_delete(f"{account['uri']}#delete", str(account["uri"]), str(account["uri"]), to=[AS_PUBLIC])


def move_activity(account: Row, target_uri: str) -> Document:
    return build_move(f"{account['uri']}#moves/{account['updated_at'] or 0}", str(account["uri"]), target_uri)
