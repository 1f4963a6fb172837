"""The HTTP layer under the mock: what uvicorn answers by itself is in the envelope, request headers
are bounded in size and time, and idle connections are closed."""

from __future__ import annotations

import json
import socket
import time

import pytest

from conftest import SESSIONS
from mock_server import build
from mock_server.server import BackgroundServer


@pytest.fixture(scope="module")
def server():
    mock = build()
    with BackgroundServer(mock.app, header_timeout=0.5, **mock.serve_options()) as running:
        yield running


def connect(server) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    return sock


def answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    while len(body) < int(headers.get("content-length", 0)):
        body += sock.recv(65536)
    return int(lines[0].split()[1]), headers, body


def closed_by_server(sock: socket.socket, within: float = 5.0) -> bool:
    sock.settimeout(within)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


@pytest.mark.parametrize(("request_bytes", "detail"), [
    (b"GET /\x00\x01 HTTP/1.1\r\nHost: localhost\r\n\r\n", "cannot be read"),
    (b"G\xffT / HTTP/1.1\r\nHost: localhost\r\n\r\n", "cannot be read"),
    (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", "longer than 65536 bytes"),
    (b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"h" * 70_000 + b"\r\n\r\n", "longer than 65536 bytes"),
])
def test_what_the_http_layer_refuses_is_a_400_in_the_envelope(server, request_bytes, detail):
    with connect(server) as sock:
        try:
            sock.sendall(request_bytes)
        except ConnectionResetError:
            pass
        status, headers, body = answer(sock)
    assert status == 400 and headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert (problem["type"], problem["status"], problem["errors"]) == ("bad_request", 400, None)
    assert detail in problem["detail"]


def test_a_connection_that_says_nothing_is_closed(server):
    with connect(server) as sock:
        assert closed_by_server(sock)


def test_headers_sent_a_byte_at_a_time_are_cut_off(server):
    with connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        deadline = time.monotonic() + 5
        closed = False
        while time.monotonic() < deadline and not closed:
            try:
                sock.sendall(b"a")
            except OSError:
                closed = True
                break
            sock.settimeout(0.1)
            try:
                closed = sock.recv(1) == b""
            except TimeoutError:
                pass
        assert closed


def test_a_keep_alive_connection_serves_requests_then_closes_when_idle(server):
    with connect(server) as sock:
        for _ in range(3):
            sock.sendall(f"GET {SESSIONS} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            assert answer(sock)[0] == 401
        assert closed_by_server(sock)
