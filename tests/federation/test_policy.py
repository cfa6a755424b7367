"""federation.policy: host normalisation and who this instance federates with."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from federation.policy import FederationPolicy, domain_of, split_domain
from storage import peers
from storage.db import SQLiteDatabase


def test_domains_are_normalised_as_actor_ids_write_them() -> None:
    assert domain_of("https://Paris.Example:443/users/a") == "paris.example"
    assert domain_of("http://paris.example:80/x") == "paris.example"
    assert domain_of("http://127.0.0.1:8001/users/a") == "127.0.0.1:8001"
    assert domain_of("https://[::1]:8443/x") == "[::1]:8443"
    assert domain_of("https://paris.example./x") == "paris.example"
    for bad in ("ftp://paris.example/", "/users/a", "https://", "https://x:99999/", "javascript:alert(1)", ""):
        assert domain_of(bad) == ""
    assert split_domain("paris.example:8443") == ("paris.example", 8443)
    assert split_domain("[::1]:80") == ("::1", 80)
    assert split_domain("paris.example") == ("paris.example", None)


@given(st.text(max_size=200))
def test_domain_of_never_raises(value: str) -> None:
    result = domain_of(value)
    assert result == result.lower()


def test_closed_mode_allows_only_peers_and_never_ourselves() -> None:
    policy = FederationPolicy(mode="closed", own_domain="paris.example", static_peers=("lyon.example",))
    assert policy.allow("lyon.example") and policy.is_peer("lyon.example")
    assert not policy.allow("evil.example")
    assert not policy.allow("paris.example")
    assert not policy.allow("")
    assert policy.peer_domains() == ["lyon.example"]


def test_open_mode_allows_the_fediverse_minus_suspended_domains_and_their_subdomains() -> None:
    policy = FederationPolicy(mode="open", own_domain="paris.example")
    policy.replace([], [{"domain": "spam.example", "severity": "suspend"}, {"domain": "loud.example", "severity": "silence"}])
    assert policy.allow("mastodon.social")
    assert not policy.allow("spam.example") and not policy.allow("a.b.spam.example")
    assert policy.allow("loud.example") and policy.is_silenced("x.loud.example")
    assert not policy.is_peer("mastodon.social")


async def test_peers_from_the_database_join_the_settings_and_can_be_suspended(db: SQLiteDatabase) -> None:
    policy = FederationPolicy(
        mode="closed", own_domain="paris.example", static_peers=("lyon.example",),
        peer_addresses={"lyon.example": "10.1.0.2:8443"},
    )
    await peers.add(db, "montreal.example", allowed_cidrs=["10.2.0.0/16", "garbage"])
    await peers.add(db, "lyon.example", address="10.9.9.9")
    await peers.add(db, "old.example")
    await peers.set_suspended(db, "old.example", True)
    await policy.reload(db)
    assert policy.peer_domains() == ["lyon.example", "montreal.example"]
    assert not policy.allow("old.example")
    lyon = policy.peer("lyon.example")
    assert lyon is not None and lyon.pinned_address == "10.1.0.2:8443"  # the settings win
    montreal = policy.peer("montreal.example")
    assert montreal is not None and montreal.pinned_address is None
    assert montreal.cidrs == (ipaddress.ip_network("10.2.0.0/16"),)


def test_a_peer_named_by_its_ip_is_pinned_to_it() -> None:
    policy = FederationPolicy(mode="closed", own_domain="127.0.0.1:8000", static_peers=("127.0.0.1:8001",))
    peer = policy.peer("127.0.0.1:8001")
    assert peer is not None and peer.pinned_address == "127.0.0.1:8001"
