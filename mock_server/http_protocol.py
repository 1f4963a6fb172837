"""The HTTP/1.1 connection handling under the mock: uvicorn's httptools protocol, bounded.

uvicorn answers what it cannot parse itself (a bad request line, invalid bytes, a URL too long
for the parser) with a text/plain 400, out of the application's reach; it closes an idle
keep-alive connection after `timeout_keep_alive`, but only once a first request was answered and
only while no byte arrives, so a client that connects and says nothing, or sends its headers a
byte at a time, holds a connection forever; and it reads headers of any size. This protocol adds:

- a header timeout: a request's line and headers must arrive whole within `header_timeout`
  seconds of the connection opening or of the previous answer, else the connection is closed;
- a size limit on the request line and headers together (`max_header_bytes`);
- the API's error envelope on every answer the HTTP layer gives itself (always a 400
  then the connection closes).

The answer's head is sent with its body in one write (uvicorn writes them apart: two sends, two
packets), and the header timeout is one timer per connection, moved on by a deadline rather than
set and cancelled for every request (each costs a timer handle, measurably, at thousands a second).

What the layer cannot answer at all (a client that never completes a request line) is closed
without an answer, as HTTP allows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

# (detail, instance) -> (content type, body) of a 400 in the API's envelope
ErrorBody = Callable[[str, str], tuple[bytes, bytes]]

DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_MAX_HEADER_BYTES = 64 * 1024


class HeadersTooLarge(Exception):
    """Raised in a parser callback to stop reading a request whose headers pass the limit."""


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"  # written by uvicorn before the answer, sent at once


class HeadJoiningTransport:
    """One write per answer, not two: its status line and headers held until its first body bytes
    (one send, one packet). The connection's transport as one request-response cycle sees it;
    uvicorn writes the body of every answer but HEAD's, an empty one included."""

    __slots__ = ("transport", "head", "joined")

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.head: bytes | None = None
        self.joined = False

    def write(self, data: bytes) -> None:
        if self.joined or data == CONTINUE:
            self.transport.write(data)
        elif self.head is None:
            self.head = data
        else:
            self.transport.write(self.head + data)
            self.head, self.joined = None, True

    def close(self) -> None:
        if self.head is not None:  # an answer cut short after its head: sent as it was
            self.transport.write(self.head)
            self.head, self.joined = None, True
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, error_body: ErrorBody, header_timeout: float = DEFAULT_HEADER_TIMEOUT,
                 max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.error_body = error_body
        self.header_timeout = header_timeout
        self.max_header_bytes = max_header_bytes
        self.header_bytes = 0  # bytes received while the request's headers are awaited
        self.awaiting_headers = True
        self.header_deadline = 0.0  # loop time by which the awaited headers must be complete
        self.header_timer: asyncio.TimerHandle | None = None  # fires at or before the deadline

    # -- the header timeout ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def _await_headers(self) -> None:
        self.awaiting_headers, self.header_bytes = True, 0
        self.header_deadline = self.loop.time() + self.header_timeout
        if self.header_timer is None:
            self.header_timer = self.loop.call_at(self.header_deadline, self._header_timer_fired)

    def _cancel_header_timer(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _header_timer_fired(self) -> None:
        """Close a connection whose headers are late; otherwise wait for the current deadline (a
        request being served has none: answering it sets the next)."""
        self.header_timer = None
        if not self.awaiting_headers or self.transport.is_closing():
            return
        if self.loop.time() < self.header_deadline:
            self.header_timer = self.loop.call_at(self.header_deadline, self._header_timer_fired)
        else:
            self.transport.close()

    def head_size(self) -> int:
        """Bytes of the request's target and headers as parsed so far (uvicorn collects both; they
        are measured when needed rather than in a callback of ours for every header)."""
        headers = getattr(self, "headers", ())
        return len(getattr(self, "url", b"")) + sum(len(name) + len(value) + 4 for name, value in headers)

    def on_headers_complete(self) -> None:
        if self.head_size() > self.max_header_bytes:
            raise HeadersTooLarge  # stops the parser: the request never reaches the application
        self.awaiting_headers = False
        super().on_headers_complete()
        if self.scope["method"] != "HEAD":  # whose answer has no body bytes to join the head to
            self.cycle.transport = HeadJoiningTransport(self.transport)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    # -- the header size limit and the envelope ------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self.awaiting_headers:
            self.header_bytes += len(data)
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError as exc:
            if self.awaiting_headers and max(self.head_size(), self.header_bytes) > self.max_header_bytes:
                self.send_400_response(self._too_large())
            else:
                reason = str(exc).rstrip(".") or "unreadable"
                self.send_400_response(f"The HTTP request cannot be read: {reason}.")
            return
        # Checked after feeding too: one chunk may hold the headers and the start of a body. A chunk is
        # at most what the transport reads at once, so the parser never holds much more than the limit.
        if self.awaiting_headers and self.header_bytes > self.max_header_bytes:
            self.send_400_response(self._too_large())

    def _too_large(self) -> str:
        return f"The request line and headers are longer than {self.max_header_bytes} bytes."

    def send_400_response(self, msg: str) -> None:
        if self.transport.is_closing():
            return
        self._cancel_header_timer()
        content_type, body = self.error_body(msg, self._instance())
        head = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.extend([b"content-type: ", content_type, b"\r\ncontent-length: ", str(len(body)).encode(),
                     b"\r\nconnection: close\r\n\r\n", body])
        self.transport.write(b"".join(head))
        self.transport.close()

    def _instance(self) -> str:
        """The request path, as far as it could be read."""
        url = getattr(self, "url", b"") or b""
        path = url.split(b"?", 1)[0][:2048].decode("latin-1")
        return path if path.startswith("/") else "/"


def bounded_protocol(error_body: ErrorBody, *, header_timeout: float = DEFAULT_HEADER_TIMEOUT,
                     max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES) -> Callable[..., BoundedHttpToolsProtocol]:
    """The protocol factory for `uvicorn.Config(http=...)`."""
    return partial(BoundedHttpToolsProtocol, error_body=error_body, header_timeout=header_timeout,
                   max_header_bytes=max_header_bytes)
