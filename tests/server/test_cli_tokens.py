"""`atrium tokens create`: an admin mints an API token for a script; the token works, once printed."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from server.config import load_settings
from server.services.oauth import hash_secret
from storage import oauth as oauth_store
from storage.db import connect

ATRIUM = str(Path(sys.executable).parent / "atrium")


def atrium(tmp_path: Path, *args: str, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": "/usr/bin:/bin", "ATRIUM_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run([ATRIUM, *args], env=environment, cwd=tmp_path, input=input_text, capture_output=True,
                          text=True, timeout=60)


def stored_token(tmp_path: Path, token: str) -> dict[str, object] | None:
    async def read() -> dict[str, object] | None:
        settings = load_settings({"ATRIUM_DATA_DIR": str(tmp_path / "data")}, persist_secret=False)
        db = await connect(settings.database_url)
        try:
            row = await oauth_store.get_token(db, hash_secret(token))
            return dict(row) if row is not None else None
        finally:
            await db.close()

    return asyncio.run(read())


def test_an_admin_mints_a_token_with_the_scopes_asked_for(tmp_path: Path) -> None:
    # Given an employee account
    assert atrium(tmp_path, "users", "create", "bot", "--password-stdin", input_text="a long password\n").returncode == 0
    # When an admin mints a token for it
    made = atrium(tmp_path, "tokens", "create", "bot", "--scopes", "read", "write:statuses", "--name", "Deploy bot")
    # Then the token alone is printed, and it is stored (hashed) with those scopes
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert len(token) >= 40 and "\n" not in token
    assert "read write:statuses" in made.stderr
    row = stored_token(tmp_path, token)
    assert row is not None and row["scopes"] == "read write:statuses" and row["revoked_at"] is None


def test_unknown_users_and_scopes_are_refused_with_a_message(tmp_path: Path) -> None:
    assert atrium(tmp_path, "users", "create", "bot", "--password-stdin", input_text="a long password\n").returncode == 0
    nobody = atrium(tmp_path, "tokens", "create", "ghost")
    assert nobody.returncode == 1 and "no local account named 'ghost'" in nobody.stderr
    bad_scope = atrium(tmp_path, "tokens", "create", "bot", "--scopes", "read", "launch")
    assert bad_scope.returncode == 2 and "unknown scope launch" in bad_scope.stderr
    assert not bad_scope.stdout
