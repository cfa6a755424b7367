"""storage.credentials answers what storage.oauth.get_token and storage.accounts.get answer, in one
statement (both engines)."""

from __future__ import annotations

from storage import accounts, credentials, oauth
from storage.db import Database

from .helpers import local


async def test_a_token_and_its_account_in_one_statement(db: Database) -> None:
    alice = await local(db, "alice")
    await accounts.create_user(db, alice, password_hash=None)
    app_id = await oauth.create_app(db, client_id="cid", client_secret_hash="h", name="App", website=None,
                                    redirect_uris=["urn:ietf:wg:oauth:2.0:oob"], scopes="read")
    await oauth.create_token(db, token_hash="user", refresh_hash=None, app_id=app_id, account_id=alice, scopes="read")
    await oauth.create_token(db, token_hash="app", refresh_hash=None, app_id=app_id, account_id=None, scopes="read")

    row, account = await credentials.token_and_account(db, "user")
    expected = await oauth.get_token(db, "user")
    assert row is not None and expected is not None and account is not None
    assert {k: row[k] for k in expected.keys()} == dict(expected)
    assert account == dict(await accounts.get(db, alice))
    app_row, no_account = await credentials.token_and_account(db, "app")
    assert app_row is not None and app_row["account_id"] is None and no_account is None
    assert await credentials.token_and_account(db, "unknown") == (None, None)
    await oauth.revoke(db, int(row["id"]))
    revoked, _ = await credentials.token_and_account(db, "user")
    assert revoked is not None and revoked["revoked_at"] is not None
