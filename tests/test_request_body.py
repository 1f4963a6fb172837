"""Reading request bodies: every hostile body is a 4xx in the envelope, never a 500, and an oversize
body is refused without being held in memory."""

from __future__ import annotations

import asyncio

import pytest

from conftest import ADMIN, SESSIONS
from mock_server import MockConfig, build
from mock_server.envelope import ApiError
from mock_server.request_body import MAX_DEPTH, non_text_errors, parse_json, read_limited

JSON = {**ADMIN, "Content-Type": "application/json"}


def post(client, raw: bytes, content_type: str = "application/json", path: str = SESSIONS):
    return client.post(path, content=raw, headers={**ADMIN, "Content-Type": content_type})


def assert_problem(response, status: int, error_type: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["type"]) == (status, error_type)
    return body


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 256, 300, 1000, 100_000])
def test_deep_nesting_is_a_400(client, depth):
    raw = b'{"prompt": "x", "tags": ' + b"[" * depth + b"]" * depth + b"}"
    body = assert_problem(post(client, raw), 400, "bad_request")
    assert f"deeper than {MAX_DEPTH}" in body["detail"]


def test_nesting_within_the_limit_reaches_validation(client):
    raw = b'{"prompt": "x", "tags": ' + b"[" * 10 + b"]" * 10 + b"}"
    assert_problem(post(client, raw), 422, "validation_error")


def test_brackets_inside_strings_do_not_count(client):
    response = post(client, b'{"prompt": "' + b"[" * 500 + b'"}')
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("charset", ["rot13", "base64", "hex", "zlib", "bz2", "idna", "unicode_escape", "x-nonsense"])
def test_a_charset_that_is_no_text_encoding_is_a_415(client, charset):
    body = assert_problem(post(client, b'{"prompt": "x"}', f"application/json; charset={charset}"), 415, "unsupported_media_type")
    assert charset in body["detail"]


@pytest.mark.parametrize(("charset", "encoding"), [("utf-8", "utf-8"), ("UTF-8", "utf-8"), ("utf-16", "utf-16"),
                                                   ("latin-1", "latin-1"), ('"utf-8"', "utf-8")])
def test_text_encodings_are_read(client, charset, encoding):
    response = post(client, '{"prompt": "café"}'.encode(encoding), f"application/json; charset={charset}")
    assert response.status_code == 200, response.text
    assert client.get(f"{SESSIONS}/{response.json()['session_id']}/messages", headers=ADMIN).json()["items"][0]["message"] == "café"


@pytest.mark.parametrize(("raw", "loc"), [
    (b'{"prompt": "\\ud800"}', ["body", "prompt"]),
    (b'{"prompt": "x", "tags": ["ok", "a\\udfffb"]}', ["body", "tags", 1]),
    (b'{"prompt": "x", "\\udc00": 1}', ["body"]),
])
def test_lone_surrogates_are_a_422_located_at_the_string(client, raw, loc):
    body = assert_problem(post(client, raw), 422, "validation_error")
    assert [e["loc"] for e in body["errors"]] == [loc]
    assert body["errors"][0]["type"] == "string_unicode"


def test_lone_surrogates_are_reported_with_path_errors(client):
    response = client.post(f"{SESSIONS}/devin_bad!/messages", content=b'{"message": "\\ud800"}', headers=JSON)
    body = assert_problem(response, 422, "validation_error")
    assert [e["loc"] for e in body["errors"]] == [["path", "devin_id"], ["body", "message"]]


def test_non_text_errors_finds_nested_strings():
    assert non_text_errors({"a": [{"b": "\ud800"}], "ok": "é"}, ["body"])[0]["loc"] == ["body", "a", 0, "b"]
    assert non_text_errors({"a": ["fine", 1, None]}, ["body"]) == []


@pytest.mark.parametrize("raw", [b'{"prompt": "x", "max_acu_limit": ' + b"9" * 5000 + b"}",
                                 b'{"prompt": NaN}', b'{"prompt": "x"', b'{"prompt": "\xff"}'])
def test_unreadable_json_is_a_400(client, raw):
    assert_problem(post(client, raw), 400, "bad_request")


def test_a_body_over_the_limit_is_a_413_by_content_length(client):
    body = assert_problem(post(client, b'{"prompt": "' + b"x" * (3 * 1024 * 1024) + b'"}'), 413, "payload_too_large")
    assert "2097152" in body["detail"]


def test_the_body_limit_is_a_setting():
    with build(MockConfig(max_body_bytes=100)).app.test_client() as client:
        assert_problem(post(client, b'{"prompt": "' + b"x" * 200 + b'"}'), 413, "payload_too_large")
        assert post(client, b'{"prompt": "short"}').status_code == 200


def test_a_streamed_body_stops_being_read_at_the_limit():
    chunks = [b"x" * 1000] * 50
    read: list[int] = []

    async def receive():
        read.append(1)
        return {"type": "http.request", "body": chunks[len(read) - 1], "more_body": len(read) < len(chunks)}

    with pytest.raises(ApiError) as raised:
        asyncio.run(read_limited({"headers": []}, receive, limit=4500))
    assert raised.value.status == 413
    assert len(read) == 5  # never the 50 chunks: the rest stays unread


@pytest.mark.parametrize(("method", "suffix"), [("POST", ""), ("POST", "/devin-abc/messages"), ("PUT", "/devin-abc/tags")])
def test_the_limit_applies_to_every_operation_with_a_body(client, method, suffix):
    response = client.request(method, SESSIONS + suffix, content=b"x" * (3 * 1024 * 1024), headers=JSON)
    assert_problem(response, 413, "payload_too_large")


@pytest.mark.parametrize("raw", [
    b'{"a": 18446744073709551616, "b": -9223372036854775809}',  # integers past 64 bits stay exact
    b'{"a": 1, "a": 2}',  # the last duplicate wins
    b'{"f": [1.0000000000000001, 1e308, -0.0, 5E-324], "s": "\\u00e9\\ud83d\\ude00 \\"q\\""}',
    b'{"n": null, "t": true, "e": {}, "l": [[], [{}]]}',
    b'  {"spaced" : [ 1 , 2 ] }\r\n',
    b'{"big": 1e400}',  # read as the standard library reads it (infinity), for the schema to judge
])
def test_a_body_reads_as_the_standard_library_reads_it(raw):
    import json

    assert repr(parse_json(raw)) == repr(json.loads(raw))
