"""The `atrium` command, as a sysadmin scripts it: exit codes and messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ATRIUM = str(Path(sys.executable).parent / "atrium")


def atrium(tmp_path, *args, input_text=None, **env):
    environment = {"PATH": "/usr/bin:/bin", "ATRIUM_DATA_DIR": str(tmp_path / "data")}
    environment.update(env)
    return subprocess.run([ATRIUM, *args], env=environment, cwd=tmp_path, input=input_text, capture_output=True,
                          text=True, timeout=60)


def test_users_are_created_listed_and_refused_when_taken(tmp_path):
    made = atrium(tmp_path, "users", "create", "alice", "--password-stdin", "--department", "Sales",
                  input_text="a long password\n")
    assert made.returncode == 0, made.stderr
    assert "created @alice@127.0.0.1:8000" in made.stdout
    report = atrium(tmp_path, "users", "create", "bob", "--manager", "alice", "--title", "Engineer")
    assert report.returncode == 0
    assert "one-time password:" in report.stdout
    again = atrium(tmp_path, "users", "create", "ALICE", "--password-stdin", input_text="another password\n")
    assert again.returncode == 1
    assert again.stderr.strip() == "atrium: The username 'ALICE' is already taken"
    listing = atrium(tmp_path, "users", "list")
    assert listing.returncode == 0
    assert "alice" in listing.stdout and "Sales" in listing.stdout and "Engineer" in listing.stdout


def test_bad_input_gets_a_message_and_an_exit_code_not_a_traceback(tmp_path):
    weak = atrium(tmp_path, "users", "create", "carol", "--password-stdin", input_text="short\n")
    assert weak.returncode == 1 and "at least 8 characters" in weak.stderr
    bad_name = atrium(tmp_path, "users", "create", "no spaces")
    assert bad_name.returncode == 1 and "Username" in bad_name.stderr
    no_manager = atrium(tmp_path, "users", "create", "dan", "--manager", "ghost")
    assert no_manager.returncode == 1 and "ghost" in no_manager.stderr
    bad_config = atrium(tmp_path, "users", "list", ATRIUM_DOMAIN="not a host")
    assert bad_config.returncode == 2
    assert bad_config.stderr.startswith("atrium: ATRIUM_DOMAIN:")
    for result in (weak, bad_name, no_manager, bad_config):
        assert "Traceback" not in result.stderr


def test_migrate_is_idempotent_and_check_reports_pending(tmp_path):
    first = atrium(tmp_path, "migrate")
    assert first.returncode == 0 and "applied" in first.stdout
    assert atrium(tmp_path, "migrate").stdout.startswith("applied 0 migration(s)")
    assert atrium(tmp_path, "migrate", "--check").returncode == 0


def test_invites_are_links_to_this_instance(tmp_path):
    result = atrium(tmp_path, "invites", "create", "--max-uses", "5")
    assert result.returncode == 0
    assert result.stdout.startswith("http://127.0.0.1:8000/invite/")


def test_a_database_cannot_silently_change_domain(tmp_path):
    assert atrium(tmp_path, "migrate").returncode == 0
    assert atrium(tmp_path, "users", "list").returncode == 0
    moved = atrium(tmp_path, "users", "list", ATRIUM_DOMAIN="paris.example.com")
    assert moved.returncode == 2
    assert "this database belongs to http://127.0.0.1:8000" in moved.stderr
