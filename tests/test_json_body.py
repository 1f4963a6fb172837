"""JSON bytes of answers: orjson, and the standard library for what orjson refuses."""

from __future__ import annotations

import json

import pytest

from mock_server.json_body import encoded, json_bytes, json_size, json_value


STORABLE = [
    {"n": 2**70},  # past 64 bits: a client may store one in a free-form member
    {"text": "\ud800 alone"},  # a lone surrogate, from a JSON "\ud800" escape
    {"plain": ["é", 1.5, None, True]},
]


@pytest.mark.parametrize("value", STORABLE)
def test_every_value_a_client_can_store_is_encoded_and_read_back(value):
    content = json_bytes(value)
    assert json_value(content) == value == json.loads(content)


@pytest.mark.parametrize("value", STORABLE)
def test_the_size_of_a_value_is_that_of_its_bytes(value):
    assert json_size(value) == len(json_bytes(value))


def test_an_encoded_value_is_embedded_as_it_is():
    page = {"items": [encoded({"a": 1}), encoded({"b": "é"})], "next": None}
    assert json_value(json_bytes(page)) == {"items": [{"a": 1}, {"b": "é"}], "next": None}


def test_bytes_that_are_no_json_are_a_value_error():
    with pytest.raises(ValueError):
        json_value(b"{")
