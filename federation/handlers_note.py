"""Create, Update and Delete of posts (Note, Article, Page, Question…): replies, mentions,
hashtags, content warnings, attachments by reference, polls, edits with history, tombstones.

The inbox already checked that the object's id is on the actor's host; here the post's author
(`attributedTo`) must be the actor, and for Update/Delete the stored owner too (SECURITY-CASES 3).
A post's visibility comes from its addressing; the company audience counts only from a company
peer (SECURITY-CASES 28). An older Update never overwrites a newer one (SECURITY-CASES 30).
"""

from __future__ import annotations

from dataclasses import replace

from activitypub.audience import visibility_from_addressing
from activitypub.constants import ACTOR_TYPES
from activitypub.parse_activity import ParsedActivity
from activitypub.parse_actor import ParsedActor
from activitypub.parse_object import ParsedObject
from activitypub.values import DocumentError
from federation import convert
from federation.handling import Apply, Context, Ignored, RetryLater
from federation.policy import domain_of
from storage import accounts, media, polls, remote, statuses
from storage.db import Executor, Row
from storage.ids import now_ms

MAX_MENTIONS = 50


async def object_of(ctx: Context) -> ParsedObject:
    """The post an activity is about: embedded, or fetched from its origin when only an id came."""
    embedded = ctx.activity.object
    if isinstance(embedded, ParsedObject):
        return embedded
    if isinstance(embedded, ParsedActor | ParsedActivity) or not ctx.activity.object_id:
        raise Ignored(f"{ctx.activity.type} of something that is not a post")
    return parse_post(await ctx.fetch_document(ctx.activity.object_id))


def parse_post(document: dict[str, object]) -> ParsedObject:
    try:
        return ParsedObject.from_document(document)
    except DocumentError as error:
        raise Ignored(f"not a usable post: {error}") from None


def note_visibility(ctx: Context, obj: ParsedObject, author: Row) -> str:
    to, cc = obj.to, obj.cc
    if not to and not cc:
        to, cc = ctx.activity.to, ctx.activity.cc  # some servers address only the activity
    company = ctx.instance.company_audience if ctx.instance.policy.is_peer(domain_of(str(author["uri"]))) else None
    return visibility_from_addressing(to, cc, author["followers_url"], company)


async def mention_ids(ctx: Context, obj: ParsedObject) -> list[int]:
    """Known accounts the post mentions, and our accounts it is addressed to (direct messages)."""
    uris = [m.href for m in obj.mentions]
    uris += [address for address in (*obj.to, *obj.cc) if ctx.instance.is_local(address)]
    found: list[int] = []
    for uri in list(dict.fromkeys(uris))[:MAX_MENTIONS]:
        row = await accounts.get_by_uri(ctx.db, uri)
        if row is not None and row["actor_type"] != "Application":
            found.append(int(row["id"]))
    return found


def is_vote(obj: ParsedObject) -> bool:
    """Mastodon's poll vote: a Note with a `name` (the option) and no content, replying to the poll."""
    return obj.type == "Note" and bool(obj.name) and bool(obj.in_reply_to) and not (obj.content or "").strip()


async def prepare_note(
    ctx: Context, obj: ParsedObject, author: Row, *, depth: int = 0, group_id: int | None = None
) -> Apply | None:
    """Everything needed to store a remote post, fetched now; the writes happen in the returned Apply.
    `group_id`: the FEP-1b12 group it was posted to, when a group relayed it."""
    if domain_of(obj.id) != domain_of(str(author["uri"])):
        raise Ignored("a post must live on its author's host")
    if ctx.instance.is_local(obj.id):
        raise Ignored("a remote post cannot have an id on this instance")
    known = ctx.known_posts
    if known is not None and obj.id in known.checked:
        tombstoned, stored = obj.id in known.tombstoned, obj.id in known.stored
    else:
        tombstoned = await statuses.is_tombstoned(ctx.db, obj.id)
        stored = not tombstoned and await statuses.get_by_uri(ctx.db, obj.id) is not None
    if tombstoned:
        raise Ignored("this post was deleted")
    if stored:
        return None  # already stored (another activity brought it)
    visibility = note_visibility(ctx, obj, author)
    parent_apply = None
    if obj.in_reply_to and depth == 0:
        parent_apply = await _prepare_parent(ctx, obj.in_reply_to)
    mentioned = await mention_ids(ctx, obj)
    content = convert.note_content(obj)
    options = convert.poll_options(obj)[: polls.MAX_OPTIONS]
    created_at = convert.clamp_published(convert.to_ms(obj.published), now_ms())
    author_id = int(author["id"])

    new = statuses.NewStatus(
        account_id=author_id,
        uri=obj.id,
        url=content.url,
        visibility=visibility,
        local=False,
        content=content.content,
        spoiler_text=content.spoiler_text,
        sensitive=content.sensitive,
        language=content.language,
        in_reply_to_uri=obj.in_reply_to,
        mention_ids=mentioned,
        tag_names=content.tag_names,
        group_id=group_id,
        created_at=created_at,
    )

    async def apply(tx: Executor) -> None:
        if parent_apply is not None:
            await parent_apply(tx)
            if await statuses.get_by_uri(tx, obj.id) is not None:
                return  # the parent's thread already brought it
        parent = await statuses.get_by_uri(tx, obj.in_reply_to) if obj.in_reply_to else None
        media_ids = [
            await media.create(tx, account_id=author_id, **convert.attachment_values(a)) for a in obj.attachments
        ]
        status_id = await statuses.create(
            tx,
            replace(
                new,
                in_reply_to_id=int(parent["id"]) if parent is not None else None,
                media_ids=media_ids,
            ),
        )
        if obj.poll is not None and options:
            await polls.create(
                tx,
                account_id=author_id,
                status_id=status_id,
                options=options,
                expires_at=convert.to_ms(obj.poll.end_time),
                multiple=obj.poll.multiple,
                cached_counts=[o.votes or 0 for o in obj.poll.options][: len(options)],
                voters_count=obj.poll.voters_count or 0,
            )

    if parent_apply is None and not obj.attachments and not (obj.poll is not None and options):
        # Nothing but the post's own rows: a round of these is stored by statuses.create_many
        # (federation.batch), which finds the parent by `in_reply_to_uri` as `apply` does.
        return NoteApply(apply, new)
    return apply


class NoteApply:
    """A remote post's writes (`apply`) that `statuses.create_many` can also do, with its round's."""

    def __init__(self, apply: Apply, new: statuses.NewStatus) -> None:
        self.apply = apply
        self.new = new

    async def __call__(self, tx: Executor) -> None:
        await self.apply(tx)


async def _prepare_parent(ctx: Context, parent_uri: str) -> Apply | None:
    """Fetch the post replied to when we do not have it, so the thread holds together.

    Best effort and one level only: a reply whose parent cannot be fetched is stored anyway,
    with the parent's id kept for later.
    """
    if ctx.instance.is_local(parent_uri) or await statuses.get_by_uri(ctx.db, parent_uri) is not None:
        return None
    if await statuses.is_tombstoned(ctx.db, parent_uri) or not ctx.instance.policy.allow(domain_of(parent_uri)):
        return None
    try:
        parent = parse_post(await ctx.fetch_document(parent_uri))
        if not parent.attributed_to or is_vote(parent):
            return None
        author = await ctx.account(parent.attributed_to)
        return await prepare_note(ctx, parent, author, depth=1)
    except (Ignored, RetryLater):
        return None


def is_actor_update(ctx: Context) -> bool:
    return isinstance(ctx.activity.object, ParsedActor) or bool(set(ctx.activity.object_types) & ACTOR_TYPES)


async def on_create_note(ctx: Context, obj: ParsedObject) -> Apply | None:
    if obj.attributed_to is None:
        # Zap and a few others leave the author out: it is the actor creating it (Mastodon agrees).
        obj = replace(obj, attributed_to=str(ctx.actor["uri"]))
    if obj.attributed_to != ctx.actor["uri"]:
        raise Ignored("the post's author is not the actor")
    return await prepare_note(ctx, obj, ctx.actor)


async def on_update_note(ctx: Context) -> Apply | None:
    obj = await object_of(ctx)
    if obj.attributed_to != ctx.actor["uri"]:
        raise Ignored("the post's author is not the actor")
    status = await statuses.get_by_uri(ctx.db, obj.id)
    if status is None:
        # An Update overtaking its Create (or of a post we missed): the origin's latest version.
        return await prepare_note(ctx, obj, ctx.actor)
    if int(status["account_id"]) != ctx.actor_id or status["local"]:
        raise Ignored("Update of someone else's post")
    updated_at = convert.to_ms(obj.updated) or convert.to_ms(ctx.activity.published) or now_ms()
    if (status["remote_updated_at"] or 0) >= updated_at:
        raise Ignored("an older or repeated Update")
    content = convert.note_content(obj)
    mentioned = await mention_ids(ctx, obj)
    existing_media = {str(r["remote_url"]): int(r["id"]) for r in await remote.media_of_status(ctx.db, int(status["id"]))}
    author_id = ctx.actor_id
    changed = (
        content.content != status["content"]
        or content.spoiler_text != status["spoiler_text"]
        or content.sensitive != bool(status["sensitive"])
        or [a.url for a in obj.attachments] != list(existing_media)
    )

    async def apply(tx: Executor) -> None:
        if changed:
            media_ids = [
                existing_media.get(a.url)
                or await media.create(tx, account_id=author_id, **convert.attachment_values(a))
                for a in obj.attachments
            ]
            await statuses.edit(
                tx,
                int(status["id"]),
                content=content.content,
                source_text=None,
                spoiler_text=content.spoiler_text,
                sensitive=content.sensitive,
                language=content.language,
                tag_names=content.tag_names,
                mention_ids=mentioned,
                media_ids=media_ids,
                remote_updated_at=updated_at,
            )
        if obj.poll is not None and status["poll_id"] is not None:
            # A poll's results change without an edit of the post (Mastodon sends them so).
            await polls.update_remote_counts(
                tx, int(status["poll_id"]), [o.votes or 0 for o in obj.poll.options], obj.poll.voters_count
            )

    return apply


async def on_delete_object(ctx: Context) -> Apply | None:
    object_id = ctx.activity.object_id
    if not object_id:
        raise Ignored("Delete of nothing")
    status = await statuses.get_by_uri(ctx.db, object_id)
    if status is None:
        if await accounts.get_by_uri(ctx.db, object_id) is not None:
            raise Ignored("Delete of another actor")
        actor_id = ctx.actor_id

        async def remember(tx: Executor) -> None:
            # Not seen yet (or already gone): a late Create must not bring it back.
            await remote.add_tombstone(tx, object_id, actor_id)

        return remember
    if int(status["account_id"]) != ctx.actor_id or status["local"]:
        raise Ignored("Delete of someone else's post")

    async def apply(tx: Executor) -> None:
        await statuses.delete(tx, int(status["id"]))

    return apply
