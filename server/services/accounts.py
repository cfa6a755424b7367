"""Creating and managing employees' accounts (and the instance actor)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from federation import instance as federation_instance
from federation.keys import generate_rsa_keypair
from storage import accounts as account_store
from storage.accounts import NewLocalAccount
from storage.db import IntegrityError, Row
from storage.ids import now_ms

from ..context import Context
from .passwords import WeakPassword, generate_password, hash_password

USERNAME = re.compile(r"^[A-Za-z0-9_]{1,30}$")
RESERVED = {"actor", "inbox", "api", "oauth", "static", "media", "users", "tags", "well-known",
            "instance", "nodeinfo", "settings", "about", "root", "system", "atrium"}


# Kept for callers that filter it out of lists; the instance actor is named after the host.
INSTANCE_ACTOR = "atrium.internal"


class AccountError(ValueError):
    """An account cannot be created or changed; the message is for the person who asked."""


@dataclass(frozen=True)
class CreatedAccount:
    account_id: int
    username: str
    password: str | None   # the generated one-time password, when one was made


def validate_username(username: str) -> str:
    if not USERNAME.match(username):
        raise AccountError("Username must be 1-30 letters, digits or underscores")
    if username.lower() in RESERVED:
        raise AccountError(f"The username {username!r} is reserved")
    return username


async def create_account(
    ctx: Context,
    username: str,
    *,
    password: str | None = None,
    generate: bool = False,
    admin: bool = False,
    display_name: str = "",
    department: str | None = None,
    title: str | None = None,
    manager: str | None = None,
    location: str | None = None,
    email: str | None = None,
    invite_id: int | None = None,
    locked: bool = False,
) -> CreatedAccount:
    """Create an employee account with its RSA key pair and login."""
    validate_username(username)
    if password is None and generate:
        password = generate_password()
    try:
        password_hash = hash_password(password) if password else None
    except WeakPassword as exc:
        raise AccountError(str(exc)) from None
    manager_id = None
    if manager:
        manager_row = await account_store.get_local_by_username(ctx.db, manager.lstrip("@"))
        if manager_row is None:
            raise AccountError(f"No local account named {manager!r} to be the manager")
        manager_id = int(manager_row["id"])
    private_pem, public_pem = generate_rsa_keypair()
    urls = ctx.urls
    try:
        async with ctx.db.transaction() as tx:
            if await account_store.get_by_handle(tx, username, None):
                raise AccountError(f"The username {username!r} is already taken")
            account_id = await account_store.create_local_account(
                tx,
                NewLocalAccount(
                    username=username, uri=urls.actor(username), url=urls.profile(username),
                    inbox_url=urls.inbox(username), outbox_url=urls.outbox(username),
                    followers_url=urls.followers(username), following_url=urls.following(username),
                    featured_url=urls.featured(username), shared_inbox_url=urls.shared_inbox,
                    public_key_pem=public_pem, private_key_pem=private_pem,
                    display_name=display_name or username, department=department, title=title,
                    manager_id=manager_id, location=location, locked=locked,
                ),
            )
            await account_store.create_user(
                tx, account_id, password_hash=password_hash, role="admin" if admin else "user", email=email,
                must_change_password=generate, invite_id=invite_id,
            )
            if invite_id is not None and not await account_store.use_invite(tx, invite_id):
                raise AccountError("This invite has been used up")
    except IntegrityError:
        raise AccountError(f"The username {username!r} is already taken") from None
    return CreatedAccount(account_id, username, password if generate else None)


async def ensure_instance_actor(ctx: Context) -> Row:
    """The instance's own `Application` actor, which signs fetches (for authorized-fetch peers)."""
    other = await ctx.db.fetchone(
        "SELECT uri FROM accounts WHERE domain IS NULL AND actor_type = 'Application' AND uri <> ?",
        (ctx.urls.instance_actor,),
    )
    if other is not None:
        # Actor ids embed the domain and peers cache them: an instance cannot silently change domain.
        raise AccountError(
            f"ATRIUM_DOMAIN: this database belongs to {other['uri'].rsplit('/actor', 1)[0]}, not {ctx.urls.base};"
            " set ATRIUM_DOMAIN and ATRIUM_SCHEME back, or start from a new data folder"
        )
    await federation_instance.ensure_instance_actor(ctx.db, ctx.instance)
    row = await account_store.get_by_uri(ctx.db, ctx.urls.instance_actor)
    assert row is not None
    return row


async def create_invite(
    ctx: Context, *, created_by_id: int | None, max_uses: int | None = 1, expires_in_days: int | None = 7
) -> str:
    code = secrets.token_urlsafe(12)
    expires_at = now_ms() + expires_in_days * 86_400_000 if expires_in_days else None
    await account_store.create_invite(ctx.db, code, created_by_id=created_by_id, max_uses=max_uses, expires_at=expires_at)
    return code


def invite_url(ctx: Context, code: str) -> str:
    return ctx.urls.base + f"/invite/{code}"
