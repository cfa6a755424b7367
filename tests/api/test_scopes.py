"""Mastodon's scope model: top-level scopes imply their granular ones, `follow` its legacy set."""

from __future__ import annotations

import pytest

from server.oauth import scopes


def test_top_level_scopes_imply_their_granular_scopes() -> None:
    granted = scopes.expand(["read", "write:statuses"])
    assert scopes.allows(granted, ["read:notifications"])
    assert scopes.allows(granted, ["write:statuses"])
    assert not scopes.allows(granted, ["write:media"])
    assert not scopes.allows(granted, ["admin:read:accounts"])


def test_follow_grants_follows_blocks_and_mutes() -> None:
    granted = scopes.expand(["follow"])
    for scope in ("read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes", "write:mutes"):
        assert scopes.allows(granted, [scope])
    assert not scopes.allows(granted, ["read:statuses"])


def test_admin_scopes_are_their_own_tree() -> None:
    granted = scopes.expand(["admin:read"])
    assert scopes.allows(granted, ["admin:read:reports"])
    assert not scopes.allows(granted, ["admin:write:reports"])
    assert not scopes.allows(scopes.expand(["read", "write"]), ["admin:read:accounts"])


def test_profile_is_only_profile() -> None:
    assert scopes.expand(["profile"]) == frozenset({"profile"})


def test_parsing_accepts_spaces_and_pluses_and_refuses_unknown_scopes() -> None:
    assert scopes.parse("read+write  follow read") == ["read", "write", "follow"]
    assert scopes.parse("") == ["read"]
    with pytest.raises(scopes.InvalidScope):
        scopes.parse("read write:everything")


def test_granular_requests_fit_within_a_top_level_registration() -> None:
    assert scopes.is_subset(["read:lists", "write:media"], ["read", "write"])
    assert not scopes.is_subset(["write"], ["write:statuses"])
