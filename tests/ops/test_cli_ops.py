"""`atrium backup`, `restore`, `export` and `migrate sqlite-to-postgres`, as a sysadmin runs them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
import sqlite3
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import PG_URL, drop_schema, open_test_database
from tests.ops.populate import PHOTO, cli_env, populated_instance

ATRIUM = str(Path(sys.executable).parent / "atrium")


def atrium(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ATRIUM, *args], env=cli_env(tmp_path, **env), cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)


def table_dump(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table of an SQLite file, sorted."""
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        conn.close()


# --- backup and restore ----------------------------------------------------------------------------

def test_backup_then_restore_gives_back_the_same_instance(tmp_path):
    # Given a populated instance, with a write in progress while the backup runs
    populated_instance(tmp_path)
    data = tmp_path / "data"
    database = data / "atrium.db"
    before = table_dump(database)
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO instance_settings (key, value) VALUES ('uncommitted', 'x')")
    archive = tmp_path / "nightly.tar.gz"
    made = atrium(tmp_path, "backup", "--output", str(archive))
    writer.execute("ROLLBACK")
    writer.close()
    assert made.returncode == 0, made.stderr
    assert f"backup written to {archive}" in made.stdout
    assert archive.stat().st_mode & 0o777 == 0o600
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))
    assert {"manifest.json", "atrium.db", "media/alice/photo.png", "secret_key"} <= names
    assert manifest["engine"] == "sqlite" and manifest["base_url"] == "http://paris.test"
    assert manifest["tables"]["statuses"] == len(before["statuses"])

    # When the instance is damaged
    assert atrium(tmp_path, "users", "create", "mallory", "--password-stdin").returncode in (0, 1)
    (data / "media" / "alice" / "photo.png").unlink()
    secret = (data / "secret_key").read_text()
    # Then restoring over it needs --force
    refused = atrium(tmp_path, "restore", str(archive))
    assert refused.returncode == 1 and "--force" in refused.stderr
    restored = atrium(tmp_path, "restore", str(archive), "--force")
    assert restored.returncode == 0, restored.stderr
    # And the instance is exactly as it was at the backup, the uncommitted write excluded
    assert table_dump(database) == before
    assert (data / "media" / "alice" / "photo.png").read_bytes() == PHOTO
    assert (data / "secret_key").read_text() == secret
    assert list(data.glob("atrium.db.before-restore-*")), "the replaced database is kept aside"
    listing = atrium(tmp_path, "users", "list")
    assert "alice" in listing.stdout and "mallory" not in listing.stdout


def test_restore_refuses_a_running_instance_another_domain_and_a_hostile_archive(tmp_path):
    populated_instance(tmp_path)
    archive = tmp_path / "b.tar.gz"
    assert atrium(tmp_path, "backup", "--output", str(archive)).returncode == 0

    reader = sqlite3.connect(tmp_path / "data" / "atrium.db")
    reader.execute("SELECT COUNT(*) FROM accounts").fetchall()
    try:
        busy = atrium(tmp_path, "restore", str(archive), "--force")
    finally:
        reader.close()
    assert busy.returncode == 1 and "stop atrium" in busy.stderr

    elsewhere = atrium(tmp_path, "restore", str(archive), "--force", ATRIUM_DOMAIN="lyon.test")
    assert elsewhere.returncode == 1 and "this backup is of http://paris.test" in elsewhere.stderr

    hostile = tmp_path / "hostile.tar.gz"
    with tarfile.open(hostile, "w:gz") as tar:
        tar.add(tmp_path / "data" / "secret_key", "manifest.json")
        info = tarfile.TarInfo("media/../../escape")
        tar.addfile(info, io.BytesIO(b""))
    bad = atrium(tmp_path, "restore", str(hostile), "--force")
    assert bad.returncode == 1 and "not an Atrium backup" in bad.stderr
    assert not (tmp_path / "escape").exists()
    for result in (busy, elsewhere, bad):
        assert "Traceback" not in result.stderr


def test_backup_on_postgresql_prints_the_pg_dump_command_without_the_password(tmp_path):
    (tmp_path / "data" / "media").mkdir(parents=True)
    (tmp_path / "data" / "media" / "a.png").write_bytes(PHOTO)
    url = "postgresql://atrium:s3cr3t@db.internal:5432/atrium"
    made = atrium(tmp_path, "backup", "--output", str(tmp_path / "pg.tar.gz"), ATRIUM_DATABASE_URL=url)
    assert made.returncode == 0, made.stderr
    assert "PGPASSWORD=… pg_dump --format=custom --no-owner" in made.stdout
    assert "--dbname=postgresql://atrium@db.internal:5432/atrium" in made.stdout
    assert "s3cr3t" not in made.stdout
    with tarfile.open(tmp_path / "pg.tar.gz") as tar:
        assert json.load(tar.extractfile("manifest.json"))["database"] is None
        assert "media/a.png" in tar.getnames()


# --- export ----------------------------------------------------------------------------------------

def test_export_is_an_activitypub_archive_of_the_employee(tmp_path):
    population = populated_instance(tmp_path)
    made = atrium(tmp_path, "export", "alice", "--output", "alice.zip")
    assert made.returncode == 0, made.stderr
    assert "6 post(s)" in made.stdout
    with zipfile.ZipFile(tmp_path / "alice.zip") as zf:
        names = set(zf.namelist())
        assert {"actor.json", "outbox.json", "likes.json", "bookmarks.json", "followers.json", "following.json",
                "following_accounts.csv", "blocked_accounts.csv", "muted_accounts.csv",
                "media/alice/photo.png"} <= names
        actor = json.loads(zf.read("actor.json"))
        outbox = json.loads(zf.read("outbox.json"))
        likes = json.loads(zf.read("likes.json"))
        bookmarks = json.loads(zf.read("bookmarks.json"))
        followers = json.loads(zf.read("followers.json"))
        following = json.loads(zf.read("following.json"))
        follows_csv = list(csv.reader(io.StringIO(zf.read("following_accounts.csv").decode())))
        blocked = zf.read("blocked_accounts.csv").decode().split()
        muted = list(csv.reader(io.StringIO(zf.read("muted_accounts.csv").decode())))
        photo = zf.read("media/alice/photo.png")

    base = "http://paris.test"
    assert actor["id"] == f"{base}/users/alice" and actor["type"] == "Person"
    assert actor["preferredUsername"] == "alice"
    assert "privateKeyPem" not in json.dumps(actor)

    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 6
    items = outbox["orderedItems"]
    assert [i["type"] for i in items].count("Create") == 5
    assert [i["type"] for i in items].count("Announce") == 1
    assert all("@context" not in i for i in items)
    by_object = {i["object"]["id"] if isinstance(i["object"], dict) else i["id"]: i for i in items}
    local = by_object[f"{base}/users/alice/statuses/{population.local_post}"]
    public_collection = "https://www.w3.org/ns/activitystreams#Public"
    assert public_collection not in json.dumps(local), "a local-only post is never addressed to the public"
    photo_note = by_object[f"{base}/users/alice/statuses/{population.photo_post}"]["object"]
    assert photo_note["attachment"][0]["url"] == "media/alice/photo.png"
    assert photo == PHOTO

    assert likes["orderedItems"] == ["https://lyon.test/users/carol/statuses/1"]
    assert set(bookmarks["orderedItems"]) == {"https://lyon.test/users/carol/statuses/1",
                                              f"{base}/users/alice/statuses/{population.public_post}"}
    assert followers["orderedItems"] == ["https://lyon.test/users/carol"]
    assert set(following["orderedItems"]) == {f"{base}/users/bob", "https://lyon.test/users/carol"}
    assert follows_csv[0] == ["Account address", "Show boosts", "Notify on new posts", "Languages"]
    assert {row[0] for row in follows_csv[1:]} == {"bob@paris.test", "carol@lyon.test"}
    assert blocked == ["dave@lyon.test"]
    assert muted[1:] == [["bob@paris.test", "false"]]


def test_export_of_an_unknown_employee_is_refused(tmp_path):
    populated_instance(tmp_path)
    result = atrium(tmp_path, "export", "nobody")
    assert result.returncode == 1
    assert result.stderr.strip() == "atrium: no local account named 'nobody'"


# --- SQLite to PostgreSQL --------------------------------------------------------------------------

@pytest.fixture
def pg_schema(tmp_path):
    """An empty PostgreSQL schema for the command to fill (skipped when no server answers)."""
    async def make() -> str | None:
        db, schema = await open_test_database("postgresql", tmp_path)
        await db.close()
        return schema

    schema = asyncio.run(make())
    assert schema is not None
    yield schema
    asyncio.run(drop_schema(schema))


def _rows(url: str, schema: str, table: str, columns: list[str]) -> list[tuple]:
    async def fetch() -> list[tuple]:
        conn = await asyncpg.connect(url, server_settings={"search_path": schema})
        try:
            cols = ", ".join(f'"{c}"' for c in columns)
            return [tuple(r) for r in await conn.fetch(f'SELECT {cols} FROM "{table}"')]
        finally:
            await conn.close()

    return asyncio.run(fetch())


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=1e-6)
    return a == b


def test_sqlite_to_postgres_moves_every_row_of_every_table(tmp_path, pg_schema):
    # Given a populated SQLite instance
    populated_instance(tmp_path)
    database = tmp_path / "data" / "atrium.db"
    # When it is moved to PostgreSQL in small batches
    moved = atrium(tmp_path, "migrate", "sqlite-to-postgres", f"sqlite:///{database}", PG_URL,
                   "--schema", pg_schema, "--batch-size", "4")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert "every table matches" in moved.stdout
    assert "MISMATCH" not in moved.stdout
    # Then every table holds the same rows on both engines (checked here independently of the tool)
    source = sqlite3.connect(database)
    try:
        tables = [r[0] for r in source.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        for table in tables:
            columns = [r[1] for r in source.execute(f'PRAGMA table_info("{table}")')]
            if table == "schema_migrations":
                columns = ["version", "name"]
            expected = sorted(source.execute(f'SELECT {", ".join(columns)} FROM "{table}"').fetchall(), key=repr)
            actual = sorted(_rows(PG_URL, pg_schema, table, columns), key=repr)
            assert len(actual) == len(expected), table
            for want, got in zip(expected, actual, strict=True):
                assert all(_same(w, g) for w, g in zip(want, got, strict=True)), (table, want, got)
            assert f"{table:<28}" in moved.stdout
    finally:
        source.close()
    # And a second run refuses to copy into a database that now has data
    again = atrium(tmp_path, "migrate", "sqlite-to-postgres", str(database), PG_URL, "--schema", pg_schema)
    assert again.returncode == 1 and "not empty" in again.stderr


def test_sqlite_to_postgres_refuses_what_it_cannot_copy(tmp_path):
    missing = atrium(tmp_path, "migrate", "sqlite-to-postgres", str(tmp_path / "nope.db"), PG_URL)
    assert missing.returncode == 1 and "no SQLite database" in missing.stderr
    wrong = atrium(tmp_path, "migrate", "sqlite-to-postgres", str(tmp_path / "nope.db"), "mysql://x")
    assert wrong.returncode == 2 and "not a PostgreSQL URL" in wrong.stderr
    # `atrium migrate` itself still works as before
    assert atrium(tmp_path, "migrate").returncode == 0
    assert atrium(tmp_path, "migrate", "--check").returncode == 0
