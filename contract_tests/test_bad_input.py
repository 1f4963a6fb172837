"""Bad input never makes the server fail (docs/contract.md#bad-input): a corpus of hostile inputs, sent to every
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
from contract_tests.client import UNSET
from contract_tests.contract import types_of
from contract_tests.transport import TargetUnreachable

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
    return api.id_of(api.create())


def judge(contract, answer) -> None:
    rules.no_server_error_on_bad_input(answer)
    if answer.status >= 400:
        rules.error_is_envelope(contract, answer)


def path_of(api, contract, operation, own, **tenant):
    return api.path(operation, own if contract.targets_one(operation) else None, tenant=tenant or None)


def send(api, contract, operation, own, **kwargs):
    """The request, or a failure of the rule when the server drops it without an answer."""
    path = path_of(api, contract, operation, own)
    try:
        return api.request(operation.method, path, **kwargs)
    except TargetUnreachable as exc:
        rules.fail("no_server_error_on_bad_input", f"{operation.method} {path} with bad input got no answer: {exc}")


def test_no_server_error_on_bad_input_body(api, contract, own, body_operation):
    member = next(iter(contract.body_members(body_operation)), "x")
    for raw in hostile_bodies(member).values():
        judge(contract, send(api, contract, body_operation, own, data=raw, headers={"Content-Type": "application/json"}))


def test_no_server_error_on_bad_input_charset(api, contract, own, body_operation):
    import json

    body = api.ownership.marked(contract.example_body(body_operation), creating=body_operation is contract.create)
    payload = json.dumps(body).encode()
    for charset in ODD_CHARSETS:
        content_type = f"application/json; charset={charset}".encode()
        judge(contract, send(api, contract, body_operation, own, data=payload, headers={"Content-Type": content_type}))


# Ids with non-ASCII, control and encoded characters; each stands for the id in the path.
HOSTILE_IDS = ("%C3%A9t%C3%A9", "%00", "%FF%FE", "%ED%A0%80", "a" * 5000, "abc%0A", "%E2%80%AE", "%2E%2E",
               "%25%32%65", "\u0661\u0662")
HOSTILE_TENANTS = ("%C3%A9", "%00", "b" * 5000)


def test_no_server_error_on_bad_input_path(api, contract, one_operation):
    prefix = contract.resource.id_template.split("{", 1)[0]  # the ids' fixed part, if any
    for hostile in HOSTILE_IDS:
        path = api.path(one_operation, "ID").replace("/ID", "/" + prefix + hostile)
        judge(contract, api.request(one_operation.method, path))
    absent = api.absent_id("path")
    for level in contract.resource.tenancy:
        for hostile in HOSTILE_TENANTS:
            path = api.path(one_operation, absent, tenant={level: "TENANT"}).replace("TENANT", hostile)
            judge(contract, api.request(one_operation.method, path))


def hostile_queries(contract, operation) -> list[str]:
    """Query strings that break naive parsing, for each query parameter by its schema's type."""
    found = []
    for parameter in operation.parameters:
        if parameter.location != "query":
            continue
        kinds = types_of(contract.resolve(parameter.schema))
        name = parameter.name
        if "integer" in kinds:
            found += [f"{name}={'9' * 5000}", f"{name}=%C2%B2", f"{name}=%D9%A1", f"{name}=-0", f"{name}=1e3", f"{name}=0x10"]
        elif "boolean" in kinds:
            found += [f"{name}=%00", f"{name}={'t' * 5000}", f"{name}=%ED%A0%80", f"{name}=%FF"]
        elif "array" in kinds:
            found += [f"{name}=%ED%A0%80", "&".join(f"{name}={'t' * 64}{i}" for i in range(100))]
        else:
            found += [f"{name}=YQ.%C3%A9", f"{name}={'A' * 10_000}", f"{name}=%FF", f"{name}="]
    return found


def test_no_server_error_on_bad_input_query(api, contract, own, query_operation):
    path = path_of(api, contract, query_operation, own)
    for query in hostile_queries(contract, query_operation):
        judge(contract, api.request(query_operation.method, f"{path}?{query}"))


HEADERS = (
    {"Prefer": "code=\u00b2".encode()},
    {"Prefer": "code=" + "4" * 5000},
    {"Prefer": "code=404, type=" + "x" * 5000},
    {"Authorization": b"Bearer \xc3\xa9\xff"},
    {"Authorization": "Bearer " + "c" * 8000},
    {"Authorization": "Bearer"},
    {"Accept": "application/json; q=\u00e9".encode()},
)


def test_no_server_error_on_bad_input_headers(api, contract, own, operation):
    body = contract.example_body(operation) if operation.body_pointer else UNSET
    if body is not UNSET:
        body = api.ownership.marked(body, creating=operation is contract.create)
    for headers in HEADERS:
        record = own if contract.targets_one(operation) else None
        judge(contract, api.call(operation, record, body=body, headers=headers))


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
