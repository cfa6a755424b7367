"""A populated instance for the operations tests: employees with a manager, a remote colleague,
posts of every audience (a local-only one, a reply, a boost, a mention, a tag, a photo), likes,
bookmarks, follows both ways, a block, a mute, and federation work in every queue.

Built with the storage functions, as the services would leave it. Some rows point at rows of the
same table that have a *higher* id (a manager created after the employee, a remote reply dated
before the post it answers), which a copy in id order would trip on.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from server.context import Context
from server.services.accounts import create_account
from storage import accounts, follows, interactions, media, outbox, statuses
from storage import inbox as inbox_store
from storage.ids import new_id, now_ms
from storage.statuses import NewStatus

PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Population:
    alice: int
    bob: int
    carol: int          # remote, at lyon.test
    public_post: int
    local_post: int
    photo_post: int
    photo_path: str
    boost: int
    remote_reply: int


async def _post(ctx: Context, account_id: int, username: str, visibility: str, text: str, **extra: object) -> int:
    status_id = new_id()
    async with ctx.db.transaction() as tx:
        await statuses.create(tx, NewStatus(
            account_id=account_id, uri=ctx.urls.status(username, status_id), url=ctx.urls.status_page(username, status_id),
            visibility=visibility, local=True, content=f"<p>{text}</p>", source_text=text, status_id=status_id,
            **extra,  # type: ignore[arg-type]
        ))
    return status_id


async def populate(ctx: Context, media_dir: Path) -> Population:
    """Fill the instance behind `ctx`; photo files go under `media_dir`."""
    bob = (await create_account(ctx, "bob", password="a long password", department="Sales", title="Engineer")).account_id
    alice = (await create_account(ctx, "alice", password="a long password", department="Sales", title="Manager")).account_id
    profile = {"manager_id": alice, "note": "<p>Sales, Paris</p>", "note_source": "Sales, Paris"}
    await accounts.update_profile(ctx.db, bob, profile)
    carol = await accounts.upsert_remote(ctx.db, "https://lyon.test/users/carol", "lyon.test", {
        "username": "carol", "display_name": "Carol", "inbox_url": "https://lyon.test/users/carol/inbox",
        "shared_inbox_url": "https://lyon.test/inbox", "followers_url": "https://lyon.test/users/carol/followers",
        "public_key_id": "https://lyon.test/users/carol#main-key", "public_key_pem": "-----BEGIN PUBLIC KEY-----\nx\n",
        "fields": [{"name": "Team", "value": "Ops"}],
    })
    dave = await accounts.upsert_remote(ctx.db, "https://lyon.test/users/dave", "lyon.test", {"username": "dave"})

    async with ctx.db.transaction() as tx:
        await follows.request(tx, alice, bob, None, accept=True)
        await follows.request(tx, carol, alice, "https://lyon.test/users/carol#follows/1", accept=True)
        await follows.request(tx, alice, carol, ctx.urls.activity("alice", "follows", 1), accept=True)
        await follows.block(tx, alice, dave)
        await follows.mute(tx, alice, bob, notifications_too=False, expires_at=None)

    public_post = await _post(ctx, alice, "alice", "public", "Hello #team, @bob", mention_ids=[bob], tag_names=["team"])
    local_post = await _post(ctx, alice, "alice", "local", "Only for Paris")
    await _post(ctx, alice, "alice", "company", "For the whole company")
    await _post(ctx, alice, "alice", "followers", "For my followers")
    await _post(ctx, bob, "bob", "direct", "Psst @alice", mention_ids=[alice])

    photo_path = "alice/photo.png"
    (media_dir / "alice").mkdir(parents=True, exist_ok=True)
    (media_dir / photo_path).write_bytes(PHOTO)
    media_id = await media.create(ctx.db, account_id=alice, type_="image", file_path=photo_path, mime_type="image/png",
                                  file_size=len(PHOTO), width=1, height=1, description="A photo", focus=(0.1, -0.3))
    photo_post = await _post(ctx, alice, "alice", "public", "A photo", media_ids=[media_id])

    boost = await _post(ctx, alice, "alice", "public", "", reblog_of_id=public_post)
    await _post(ctx, bob, "bob", "public", "Agreed", in_reply_to_id=public_post)

    # A remote reply dated before the post it answers: its id is lower than its parent's.
    early = now_ms() - 3_600_000
    remote_reply = new_id(early)
    async with ctx.db.transaction() as tx:
        await statuses.create(tx, NewStatus(
            account_id=carol, uri="https://lyon.test/users/carol/statuses/1", visibility="public", local=False,
            content="<p>From Lyon</p>", in_reply_to_id=public_post, created_at=early, status_id=remote_reply,
        ))
        await interactions.favourite(tx, alice, {"id": remote_reply, "account_id": carol})
        await interactions.favourite(tx, carol, {"id": public_post, "account_id": alice}, "https://lyon.test/likes/1")
    await interactions.bookmark(ctx.db, alice, remote_reply)
    await interactions.bookmark(ctx.db, alice, public_post)

    async with ctx.db.transaction() as tx:
        await outbox.enqueue(tx, activity_id=f"{ctx.urls.status('alice', public_post)}/activity", activity_type="Create",
                             account_id=alice, body={"type": "Create"}, audience={"followers": True})
    await inbox_store.insert(ctx.db, activity_id="https://lyon.test/activities/1", activity_type="Like",
                             actor_uri="https://lyon.test/users/carol", key_id="https://lyon.test/users/carol#main-key",
                             body='{"type": "Like", "note": "caf\u00e9 \u2615"}')
    await ctx.db.execute("INSERT INTO instance_settings (key, value) VALUES (?, ?)", ("ops.test", "\u00e9t\u00e9 \u2603"))
    return Population(alice, bob, carol, public_post, local_post, photo_post, photo_path, boost, remote_reply)


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of `atrium` commands run against the instance of `make_settings(tmp_path)`."""
    env = {
        "PATH": "/usr/bin:/bin",
        "ATRIUM_DOMAIN": "paris.test",
        "ATRIUM_SCHEME": "http",
        "ATRIUM_DATA_DIR": str(tmp_path / "data"),
        "ATRIUM_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'atrium.db'}",
        "ATRIUM_COMPANY_AUDIENCE": "https://company.atrium.test/ns/members",
    }
    env.update(extra)
    return env


def populated_instance(tmp_path: Path) -> Population:
    """A populated SQLite instance in `tmp_path/data`, closed again (as a stopped server leaves it)."""
    from server.context import make_context
    from server.services.accounts import ensure_instance_actor
    from storage.db import connect
    from storage.migrate import migrate
    from tests.conftest import make_settings

    async def build() -> Population:
        settings = make_settings(tmp_path)
        db = await connect(settings.database_url)
        try:
            await migrate(db)
            ctx = make_context(settings, db)
            await ensure_instance_actor(ctx)
            return await populate(ctx, settings.media_dir)
        finally:
            await db.close()

    return asyncio.run(build())
