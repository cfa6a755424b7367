"""Visibility ↔ addressing: Mastodon's shapes, Atrium's company scope, and what must never leak."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from activitypub.audience import (
    FEDERATED_VISIBILITIES,
    VISIBILITIES,
    AddressingError,
    addressing_for,
    visibility_from_addressing,
)
from activitypub.constants import AS_PUBLIC, PUBLIC_SPELLINGS
from activitypub.values import is_public

FOLLOWERS = "https://paris.example/users/alice/followers"
COMPANY = "https://paris.example/company"
BOB = "https://lyon.example/users/bob"
CAROL = "https://paris.example/users/carol"


@pytest.mark.parametrize(
    ("visibility", "to", "cc"),
    [
        ("public", [AS_PUBLIC], [FOLLOWERS, BOB, CAROL]),
        ("unlisted", [FOLLOWERS], [AS_PUBLIC, BOB, CAROL]),
        ("followers", [FOLLOWERS], [BOB, CAROL]),
        ("direct", [BOB, CAROL], []),
        ("company", [COMPANY], [BOB, CAROL]),
    ],
)
def test_addressing_like_mastodon_plus_company(visibility, to, cc):
    assert addressing_for(visibility, FOLLOWERS, [BOB, CAROL, BOB], COMPANY) == (to, cc)


def test_local_is_never_addressable():
    with pytest.raises(AddressingError, match="never federated"):
        addressing_for("local", FOLLOWERS, [BOB], COMPANY)


@pytest.mark.parametrize(("visibility", "company"), [("company", None), ("secret", COMPANY)])
def test_company_without_iri_and_unknown_visibilities_raise(visibility, company):
    with pytest.raises(AddressingError):
        addressing_for(visibility, FOLLOWERS, [], company)


@pytest.mark.parametrize(
    ("to", "cc", "expected"),
    [
        (["as:Public"], [], "public"),
        ([FOLLOWERS], ["http://www.w3.org/ns/activitystreams#Public"], "unlisted"),
        ([COMPANY, FOLLOWERS], [], "company"),
        ([], [FOLLOWERS], "followers"),
        ([BOB], [], "direct"),
        ([], [], "direct"),
    ],
)
def test_visibility_from_addressing(to, cc, expected):
    assert visibility_from_addressing(to, cc, FOLLOWERS, COMPANY) == expected


def test_unknown_followers_collection_reads_as_direct():
    assert visibility_from_addressing([FOLLOWERS], [], None, None) == "direct"


def distinct_iris() -> st.SearchStrategy[list[str]]:
    return st.lists(
        st.from_regex(r"https://[a-c]\.example/[a-z0-9]{1,6}", fullmatch=True),
        min_size=2,
        max_size=8,
        unique=True,
    )


def hostile_mentions() -> st.SearchStrategy[list[str]]:
    return st.lists(
        st.sampled_from(sorted(PUBLIC_SPELLINGS | {"Public", FOLLOWERS, COMPANY, BOB, CAROL}))
        | st.from_regex(r"https://[a-c]\.example/[a-z]{1,4}", fullmatch=True),
        max_size=10,
    )


@given(st.sampled_from(FEDERATED_VISIBILITIES), distinct_iris(), st.lists(st.integers(0, 7), max_size=5))
def test_visibility_round_trips(visibility, iris, mention_picks):
    # Given a followers collection, a company collection and mentions, all distinct
    followers, company, *others = iris
    assume(others or not mention_picks)
    mentions = [others[i % len(others)] for i in mention_picks] if others else []
    # When a post is addressed and the addressing read back
    to, cc = addressing_for(visibility, followers, mentions, company)
    # Then the same visibility comes out
    assert visibility_from_addressing(to, cc, followers, company) == visibility


@given(st.sampled_from(["followers", "direct", "company"]), hostile_mentions())
def test_limited_addressing_never_contains_public(visibility, mentions):
    to, cc = addressing_for(visibility, FOLLOWERS, mentions, COMPANY)
    assert not any(is_public(address) for address in to + cc)


@given(st.sampled_from(["followers", "direct"]), hostile_mentions())
def test_followers_and_direct_never_reach_the_company_collection(visibility, mentions):
    to, cc = addressing_for(visibility, FOLLOWERS, mentions, COMPANY)
    assert COMPANY not in to + cc


@given(hostile_mentions())
def test_direct_reaches_only_people(mentions):
    to, cc = addressing_for("direct", FOLLOWERS, mentions, COMPANY)
    assert cc == []
    assert FOLLOWERS not in to


@given(hostile_mentions())
def test_local_is_never_addressable_whatever_the_mentions(mentions):
    with pytest.raises(AddressingError):
        addressing_for("local", FOLLOWERS, mentions, COMPANY)


@given(
    st.lists(st.text(max_size=20) | st.sampled_from(sorted(PUBLIC_SPELLINGS))), st.lists(st.text(max_size=20))
)
def test_received_addressing_never_reads_as_local(to, cc):
    visibility = visibility_from_addressing(to, cc, FOLLOWERS, COMPANY)
    assert visibility in FEDERATED_VISIBILITIES
    assert visibility in VISIBILITIES
