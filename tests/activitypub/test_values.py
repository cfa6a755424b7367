"""Tolerant value readers: each odd shape seen in the wild gives a typed answer, never an exception."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from activitypub.constants import AS_PUBLIC
from activitypub.limits import MAX_IRI_LENGTH, MAX_OBJECT_IDS, MAX_RECIPIENTS
from activitypub.values import (
    as_list,
    first_id,
    get_types,
    ids,
    is_http_url,
    is_iri,
    is_public,
    language_map,
    language_tag,
    localized,
    parse_bool,
    parse_count,
    pick_url,
    recipients,
    text,
)

from .strategies import json_values


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, []), ([1, 2], [1, 2]), ((1,), [1]), ("a", ["a"]), ({"id": "x"}, [{"id": "x"}]), (0, [0])],
)
def test_as_list(value, expected):
    assert as_list(value) == expected


def test_as_list_is_bounded():
    assert as_list(list(range(10_000)), 3) == [0, 1, 2]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://a.example/1", "https://a.example/1"),
        ({"id": "https://a.example/1", "type": "Person"}, "https://a.example/1"),
        (["https://a.example/1", "https://a.example/2"], "https://a.example/1"),
        (
            [{"type": "Person", "id": "https://a.example/p"}, {"id": "https://a.example/g"}],
            "https://a.example/p",
        ),
        ([None, 3, {"name": "no id"}, "https://a.example/late"], "https://a.example/late"),
        ("tag:shitposter.club,2017-05-05:noticeId=1", "tag:shitposter.club,2017-05-05:noticeId=1"),
        (None, None),
        ("", None),
        ("relative/path", None),
        ("javascript:alert(1)", None),
        ("https://a.example/with space", None),
        ([[["https://a.example/nested"]]], None),  # nested arrays are not followed
        ({"id": {"id": "https://a.example/1"}}, None),
    ],
)
def test_first_id(value, expected):
    assert first_id(value) == expected


def test_ids_are_distinct_ordered_and_bounded():
    many = [f"https://a.example/{i % 70}" for i in range(10_000)]
    found = ids(many)
    assert len(found) == MAX_OBJECT_IDS
    assert found[:2] == ("https://a.example/0", "https://a.example/1")


def test_an_iri_over_the_length_cap_is_absent_not_cut():
    long_iri = "https://a.example/" + "x" * MAX_IRI_LENGTH
    assert not is_iri(long_iri)
    assert first_id(long_iri) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://a.example/x", True),
        ("http://a.example:8080/x", True),
        ("https://enterprise.lemmy.ml:/pictrs/image/Q79N9oCDEG.png", True),  # empty port, Lemmy 2020
        ("https://a.example:port/", False),
        ("tag:a.example,2020:1", False),
        ("https:///nohost", False),
        ("ftp://a.example/", False),
        (42, False),
    ],
)
def test_is_http_url(value, expected):
    assert is_http_url(value) is expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("https://www.w3.org/ns/activitystreams#Public", True),
        ("http://www.w3.org/ns/activitystreams#Public", True),
        ("as:Public", True),
        ("Public", True),
        ("https://www.w3.org/ns/activitystreams#public", False),
        ("https://a.example/followers", False),
        (None, False),
    ],
)
def test_is_public(address, expected):
    assert is_public(address) is expected


def test_recipients_normalise_public_and_accept_a_single_string():
    assert recipients("as:Public") == (AS_PUBLIC,)
    assert recipients(["as:Public", AS_PUBLIC, "https://a.example/f", None, 7]) == (
        AS_PUBLIC,
        "https://a.example/f",
    )


def test_recipients_are_bounded():
    crowd = [f"https://a.example/u/{i}" for i in range(10_000)]
    assert len(recipients(crowd)) == MAX_RECIPIENTS


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"type": "Note"}, ("Note",)),
        ({"type": ["Place", "geojson:Feature"]}, ("Place", "geojson:Feature")),
        ({"type": "as:Note"}, ("Note",)),
        ({"type": "https://www.w3.org/ns/activitystreams#Note"}, ("Note",)),
        ({"@type": "Note"}, ("Note",)),
        ({"type": ["Note", "Note", 3, None]}, ("Note",)),
        ({"type": []}, ()),
        ({}, ()),
        ("Note", ()),
    ],
)
def test_get_types(doc, expected):
    assert get_types(doc) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("True", True),
        (" false ", False),
        ({"@value": "False", "type": "xsd:boolean"}, False),  # Kroeg
        (1, True),
        (0, False),
        (2, None),
        ("maybe", None),
        (None, None),
        ([True], None),
    ],
)
def test_parse_bool(value, expected):
    assert parse_bool(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3), (0, 0), (-1, None), (True, None), (2.5, None), ("3", None), (2**70, None), ({"@value": 4}, 4)],
)
def test_parse_count(value, expected):
    assert parse_count(value) == expected


def test_text_removes_nul_and_caps_length():
    assert text("a\x00b", 10) == "ab"
    assert text("x" * 50, 10) == "x" * 10
    assert text(5, 10) is None


def test_localized_prefers_the_plain_value_and_finds_its_language():
    assert localized("<p>hi</p>", {"en": "<p>hi</p>"}, 100) == ("<p>hi</p>", "en", {"en": "<p>hi</p>"})


def test_localized_falls_back_to_the_map():
    assert localized(None, {"fr": "salut", "en": "hi"}, 100) == ("salut", "fr", {"fr": "salut", "en": "hi"})


def test_localized_ignores_junk_maps_and_und():
    assert localized("hi", ["en"], 100) == ("hi", None, {})
    assert localized(None, {"und": "hi"}, 100) == ("hi", None, {"und": "hi"})


def test_language_map_is_bounded_and_typed():
    mapping = language_map({f"l{i}": "x" for i in range(1000)} | {"bad": 3}, 100)
    assert len(mapping) == 20
    assert language_tag("pt-BR") == "pt-BR"
    assert language_tag("not a tag") is None


def test_pick_url_prefers_html_links():
    links = [
        {"type": "Link", "mediaType": "video/mp4", "href": "https://a.example/v.mp4"},
        {"type": "Link", "mediaType": "text/html", "href": "https://a.example/watch"},
    ]
    assert pick_url(links) == "https://a.example/watch"
    assert pick_url(links, prefer="video/") == "https://a.example/v.mp4"
    assert pick_url({"type": "Link", "mimeType": "text/html", "href": "https://a.example/p"}) == (
        "https://a.example/p"
    )
    assert pick_url("javascript:alert(1)") is None


@given(json_values())
@settings(max_examples=200)
def test_readers_never_raise(value):
    as_list(value)
    first_id(value)
    ids(value)
    recipients(value)
    get_types(value)
    parse_bool(value)
    parse_count(value)
    text(value, 10)
    localized(value, value, 10)
    pick_url(value)
    is_public(value)
