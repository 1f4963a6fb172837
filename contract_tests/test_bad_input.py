"""Bad input never makes the server fail (CONTRACT.md §2): a corpus of hostile inputs, sent to every
operation in the body, the path, the query and the headers. Whatever the server answers, it is no
5xx, and an error is the envelope.

The corpus is what breaks parsers and validators in practice: deep nesting, odd charsets, oversize
bodies and numbers, non-ASCII where ASCII is expected, and strings that are no valid Unicode.
"""

from __future__ import annotations

import socket
import ssl
from urllib.parse import urlsplit

import pytest

from contract_tests import rules
from contract_tests.operations import OPERATIONS, call
from contract_tests.transport import TargetUnreachable

OPS = [pytest.param(op, id=op.name) for op in OPERATIONS]
BODY_OPS = [pytest.param(op, id=op.name) for op in OPERATIONS if op.body is not None]
SESSION_OPS = [pytest.param(op, id=op.name) for op in OPERATIONS if op.session_scoped]
OVERSIZE = 8 * 1024 * 1024


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def hostile_bodies(field: str) -> dict[str, bytes]:
    """Bodies that are malformed, hostile, or valid JSON no server should choke on, keyed by name."""
    key = f'"{field}"'.encode()
    return {
        "nested 300 deep": b"{" + key + b": " + nested(300) + b"}",
        "nested 1000 deep": b"{" + key + b": " + nested(1000) + b"}",
        "nested 100000 deep": b"{" + key + b": " + nested(100_000) + b"}",
        "objects nested 5000 deep": b'{"a":' * 5000 + b"1" + b"}" * 5000,
        "integer of 5000 digits": b"{" + key + b": " + b"9" * 5000 + b"}",
        "number 1e400": b"{" + key + b": 1e400}",
        "number -1e400": b"{" + key + b": -1e400}",
        "lone high surrogate": b"{" + key + b': "\\ud800"}',
        "lone low surrogate in a member name": b'{"\\udc00": 1, ' + key + b': "x"}',
        "invalid UTF-8": b"{" + key + b': "\xff\xfe"}',
        "surrogate encoded in UTF-8": b"{" + key + b': "\xed\xa0\x80"}',
        "overlong UTF-8": b"{" + key + b': "\xc0\xaf"}',
        "raw NUL in a string": b"{" + key + b': "a\x00b"}',
        "BOM before the JSON": b"\xef\xbb\xbf{" + key + b': "x"}',
        "top-level array": b"[" + key + b"]",
        "top-level string": key,
        "oversize body (8 MiB)": b"{" + key + b': "' + b"x" * OVERSIZE + b'"}',
    }


ODD_CHARSETS = ("rot13", "base64", "hex", "zlib", "utf-7", "x-no-such-charset", '"', "utf-8; charset=latin-1", "\u00e9")


@pytest.fixture(scope="module")
def own(api):
    created = api.create_session("Bad input target")
    rules.new_session_is_running(created)
    return created.json["session_id"]


def judge(answer) -> None:
    rules.no_server_error_on_bad_input(answer)
    if answer.status >= 400:
        rules.error_is_envelope(answer)


def send(api, op, own, **kwargs):
    """The request, or a failure of the rule when the server drops it without an answer."""
    try:
        return api.request(op.method, op.path(api.org, own if op.session_scoped else None), **kwargs)
    except TargetUnreachable as exc:
        rules.fail("no_server_error_on_bad_input", f"{op.method} {op.path(api.org, own)} with bad input got no answer: {exc}")


@pytest.mark.parametrize("op", BODY_OPS)
def test_no_server_error_on_bad_input_body(api, own, op):
    field = next(iter(op.body))
    for raw in hostile_bodies(field).values():
        judge(send(api, op, own, data=raw, headers={"Content-Type": "application/json"}))


@pytest.mark.parametrize("op", BODY_OPS)
def test_no_server_error_on_bad_input_charset(api, own, op):
    import json

    payload = json.dumps(op.body).encode()
    for charset in ODD_CHARSETS:
        content_type = f"application/json; charset={charset}".encode()
        judge(send(api, op, own, data=payload, headers={"Content-Type": content_type}))


PATH_IDS = ("devin-%C3%A9t%C3%A9", "%00", "%FF%FE", "devin-%ED%A0%80", "devin-" + "a" * 5000, "devin-abc%0A",
            "devin-%E2%80%AE", "%2E%2E", "devin-%25%32%65", "devin-\u0661\u0662")


@pytest.mark.parametrize("op", SESSION_OPS)
def test_no_server_error_on_bad_input_path(api, op):
    for devin_id in PATH_IDS:
        judge(call(api, op, devin_id))
    for org in ("org-%C3%A9", "org-%00", "org-" + "b" * 5000):
        judge(call(api, op, api.absent_id("path"), org=org))


QUERIES = {
    "list_sessions": ("first=" + "9" * 5000, "first=%C2%B2", "first=%D9%A1", "first=-0", "first=1e3", "first=0x10",
                      "after=YQ.%C3%A9", "after=" + "A" * 10_000, "after=%FF", "after=", "is_archived=%00",
                      "is_archived=" + "t" * 5000, "tags=%ED%A0%80", "&".join(f"tags={'t' * 64}{i}" for i in range(100))),
    "list_messages": ("first=" + "9" * 5000, "first=%C2%B2", "after=YQ.%C3%A9", "after=%FF", "after=" + "A" * 10_000),
    "terminate_session": ("archive=%FF", "archive=" + "1" * 5000, "archive=%ED%A0%80"),
}


@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in OPERATIONS if op.name in QUERIES])
def test_no_server_error_on_bad_input_query(api, own, op):
    path = op.path(api.org, own if op.session_scoped else None)
    for query in QUERIES[op.name]:
        judge(api.request(op.method, f"{path}?{query}"))


HEADERS = (
    {"Prefer": "code=\u00b2".encode()},
    {"Prefer": "code=" + "4" * 5000},
    {"Prefer": "code=404, type=" + "x" * 5000},
    {"Authorization": b"Bearer \xc3\xa9\xff"},
    {"Authorization": "Bearer " + "c" * 8000},
    {"Authorization": "Bearer"},
    {"Accept": "application/json; q=\u00e9".encode()},
)


@pytest.mark.parametrize("op", OPS)
def test_no_server_error_on_bad_input_headers(api, own, op):
    for headers in HEADERS:
        judge(call(api, op, own, headers=headers))


RAW_REQUESTS = {
    "invalid bytes in the request line": b"GET /\x00\x01 HTTP/1.1\r\nHost: {host}\r\n\r\n",
    "a method that is no token": b"G\xffT / HTTP/1.1\r\nHost: {host}\r\n\r\n",
    "a 100 KB URL": b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: {host}\r\n\r\n",
    "a 100 KB header": b"GET / HTTP/1.1\r\nHost: {host}\r\nX-Long: " + b"h" * 100_000 + b"\r\n\r\n",
}


def raw_status(base_url: str, request: bytes) -> int | None:
    """The status line's code of the answer to `request` sent as it is, None if the server closed
    the connection without one (which HTTP allows for a request it cannot read)."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    with socket.create_connection((parts.hostname, port), timeout=10) as plain:
        sock = ssl.create_default_context().wrap_socket(plain, server_hostname=parts.hostname) \
            if parts.scheme == "https" else plain
        try:
            sock.sendall(request.replace(b"{host}", parts.netloc.encode()))
            head = sock.recv(64)
        except OSError:
            return None
    fields = head.split(b" ", 2)
    return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None


@pytest.mark.parametrize("name", list(RAW_REQUESTS))
def test_no_server_error_on_bad_input_http_layer(api, name):
    """What the HTTP layer reads before the application: no 5xx (its answers may be its own)."""
    status = raw_status(api.base_url, RAW_REQUESTS[name])
    if status is not None and status >= 500:
        rules.fail("no_server_error_on_bad_input", f"{name} answered {status}")
