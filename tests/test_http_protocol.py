"""The HTTP layer under the mock: what uvicorn answers by itself is in the envelope, request headers
are bounded in size and time, and idle connections are closed."""

from __future__ import annotations

import json
import socket
import time

import pytest

from conftest import ADMIN, SESSIONS
from mock_server import build
from mock_server.app import MockConfig
from mock_server.faults import Latency
from mock_server.http_protocol import CONTINUE, HeadJoiningTransport
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


def test_answers_carry_a_date_and_no_server_header(server):
    with connect(server) as sock:
        sock.sendall(f"GET {SESSIONS} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        status, headers, _ = answer(sock)
    assert status == 401 and "date" in headers and "server" not in headers


def test_a_request_slower_to_answer_than_the_header_timeout_is_answered_and_the_next_one_timed():
    """The header timeout bounds the wait for headers only: an answer that takes longer (here the
    injected latency) is sent whole, and the next request on the connection gets a fresh deadline."""
    mock = build(MockConfig(latency=Latency(900, 900)))
    with BackgroundServer(mock.app, header_timeout=0.5, **mock.serve_options()) as slow, connect(slow) as sock:
        sock.sendall(f"GET {SESSIONS} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        assert answer(sock)[0] == 401
        sock.sendall(f"GET {SESSIONS} HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".encode())  # never completed
        started = time.monotonic()
        assert closed_by_server(sock)
        assert time.monotonic() - started < 2


def test_a_head_request_gets_its_head_and_a_continue_comes_before_the_body(server):
    with connect(server) as sock:
        sock.sendall(b"HEAD /openapi.yaml HTTP/1.1\r\nHost: localhost\r\n\r\n")
        status, headers, _ = answer_head(sock)
        assert status == 200 and int(headers["content-length"]) > 0
        sock.sendall(f"POST {SESSIONS} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     f"Authorization: {ADMIN['Authorization']}\r\n"
                     "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n".encode())
        assert answer_head(sock)[0] == 100  # before any byte of the body is sent
        sock.sendall(b"{}")
        assert answer(sock)[0] == 422  # the body is read: a prompt is required


def answer_head(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status and headers of an answer without a body (HEAD, 100 Continue)."""
    data = b""
    while not data.endswith(b"\r\n\r\n"):
        chunk = sock.recv(1)
        assert chunk, "closed before the head was complete"
        data += chunk
    lines = data.decode("latin-1").split("\r\n")
    return int(lines[0].split()[1]), {n.lower(): v.strip() for n, _, v in (x.partition(":") for x in lines[1:] if x)}, b""


class RecordingTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def test_an_answer_is_one_write_its_head_joined_to_its_body():
    transport = RecordingTransport()
    joined = HeadJoiningTransport(transport)  # type: ignore[arg-type]
    joined.write(CONTINUE)
    assert transport.writes == [CONTINUE]  # an interim answer is not held
    joined.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    assert transport.writes == [CONTINUE]
    joined.write(b"{}")
    joined.write(b"more")
    assert transport.writes == [CONTINUE, b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}", b"more"]


def test_an_answer_cut_short_after_its_head_still_sends_the_head_before_closing():
    transport = RecordingTransport()
    joined = HeadJoiningTransport(transport)  # type: ignore[arg-type]
    joined.write(b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n")
    joined.close()
    assert transport.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n"] and transport.closed
