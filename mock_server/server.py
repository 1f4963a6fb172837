"""Serving an ASGI app with uvicorn: in the foreground (the CLI) or on a background thread
(the contract suite's embedded target and the kit's own tests)."""

from __future__ import annotations

import gc
import json
import socket
import threading
from types import TracebackType
from typing import Any

import uvicorn

from .http_protocol import DEFAULT_HEADER_TIMEOUT, ErrorBody, bounded_protocol

KEEP_ALIVE_SECONDS = 5  # an idle keep-alive connection is closed after this


def tune_collector() -> None:
    """For a process that only serves the mock (the CLI; not a test process that embeds it).

    Answering a request allocates and frees many small objects, and Python's cyclic
    collector, run every 700 net allocations by default, then scans the young ones a few hundred
    times a second and, now and then, everything the mock holds: measured here, 5% of the time and
    pauses of 60-90 ms on a list (its p99). Almost nothing the mock allocates forms cycles, so
    the young generation may grow far larger before a collection, and what exists at start (the
    documents, the compiled schemas) is frozen out of every collection.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def listen(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket (port 0: a free one); OSError says why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def plain_error_body(detail: str, instance: str) -> tuple[bytes, bytes]:
    """The HTTP layer's 400 for an app that brings no envelope of its own."""
    return b"application/json", json.dumps({"status": 400, "detail": detail, "instance": instance}).encode()


def make_server(app: Any, *, error_body: ErrorBody = plain_error_body, header_timeout: float = DEFAULT_HEADER_TIMEOUT,
                **options: Any) -> uvicorn.Server:
    """uvicorn with the bounded HTTP protocol: header and keep-alive timeouts, header size limit,
    and `error_body` (the API's envelope) on the HTTP layer's own 400s. Access logging is the mock's
    own. Neither X-Forwarded-* headers (nothing in the mock reads the client's address or scheme but
    the rate limit of requests without a token) nor a `Server` header: together they cost every
    request 2% of a create's instructions (measured) for nothing the mock uses."""
    protocol = bounded_protocol(error_body, header_timeout=header_timeout)
    return uvicorn.Server(uvicorn.Config(app, http=protocol, access_log=False, log_level="warning",
                                         timeout_keep_alive=KEEP_ALIVE_SECONDS, proxy_headers=False,
                                         server_header=False, **options))


class BackgroundServer:
    """`with BackgroundServer(app) as server: ... server.url ...` serves `app` on loopback."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, **server_options: Any) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.server_options = server_options
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> BackgroundServer:
        sock = listen(self.host, self.port)
        self.url = url_of(sock)
        self._server = make_server(self.app, **self.server_options)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the server on {self.url} failed to start")
            self._thread.join(0.01)
        return self

    def __exit__(self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
