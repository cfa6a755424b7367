"""Request parameters as apps send them (Rails-style nested keys, JSON, odd booleans), and hostile ones."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.api.params import MAX_LIST_ITEMS, Params, nest, to_bool, to_id
from server.errors import HTTPError


def test_rails_style_keys_become_nested_values() -> None:
    pairs = [("status", "hi"), ("media_ids[]", "1"), ("media_ids[]", "2"), ("poll[options][]", "a"),
             ("poll[options][]", "b"), ("poll[expires_in]", "300"), ("fields_attributes[0][name]", "Team"),
             ("fields_attributes[0][value]", "Infra"), ("fields_attributes[1][name]", "Desk")]
    data = nest(pairs)
    assert data["status"] == "hi"
    assert data["media_ids"] == ["1", "2"]
    assert data["poll"] == {"options": ["a", "b"], "expires_in": "300"}
    params = Params(data)
    assert params.list("fields_attributes") == [{"name": "Team", "value": "Infra"}, {"name": "Desk"}]
    assert params.ids("media_ids") == [1, 2]


def test_arrays_of_objects_as_rails_reads_a_form() -> None:
    # Mastodon's filter form: keywords_attributes[][keyword]=…&keywords_attributes[][whole_word]=…
    pairs = [("keywords_attributes[][keyword]", "dragon"), ("keywords_attributes[][whole_word]", "true"),
             ("keywords_attributes[][keyword]", "#got"), ("keywords_attributes[][whole_word]", "false"),
             ("keywords_attributes[][keyword]", "spoiler")]
    assert nest(pairs)["keywords_attributes"] == [
        {"keyword": "dragon", "whole_word": "true"}, {"keyword": "#got", "whole_word": "false"}, {"keyword": "spoiler"}]
    many = nest([("k[][x]", str(i)) for i in range(400)])
    assert len(many["k"]) == MAX_LIST_ITEMS


def test_malformed_bracket_keys_stay_flat() -> None:
    assert nest([("a[b", "1"), ("c]d[", "2"), ("e[f]g", "3")]) == {"a[b": "1", "c]d[": "2", "e[f]g": "3"}


@pytest.mark.parametrize("value, expected", [
    (True, True), ("true", True), ("1", True), ("on", True), (1, True),
    (False, False), ("false", False), ("0", False), ("off", False), (0, False),
])
def test_booleans_as_apps_send_them(value: object, expected: bool) -> None:
    assert to_bool(value, "x") is expected


def test_wrong_values_are_422_naming_the_parameter() -> None:
    with pytest.raises(HTTPError) as bool_error:
        to_bool("maybe", "sensitive")
    assert bool_error.value.status == 422 and "sensitive" in bool_error.value.message
    for bad in ("12a", "-3", "0", "", "99999999999999999999", True):
        with pytest.raises(HTTPError) as id_error:
            to_id(bad, "in_reply_to_id")
        assert id_error.value.status == 422


@given(st.lists(st.tuples(st.text(max_size=30), st.text(max_size=10)), max_size=60))
def test_any_form_nests_without_crashing_and_within_bounds(pairs: list[tuple[str, str]]) -> None:
    data = nest(pairs)

    def walk(value: object, depth: int) -> None:
        assert depth <= 8
        if isinstance(value, dict):
            for item in value.values():
                walk(item, depth + 1)
        elif isinstance(value, list):
            assert len(value) <= MAX_LIST_ITEMS
            for item in value:
                walk(item, depth + 1)

    walk(data, 0)


def test_too_many_parameters_are_refused() -> None:
    with pytest.raises(HTTPError) as error:
        nest([(f"k{i}", "v") for i in range(10_000)])
    assert error.value.status == 400


def test_list_parameters_are_bounded() -> None:
    data = nest([("id[]", str(i)) for i in range(1, 400)])
    assert len(data["id"]) == MAX_LIST_ITEMS
