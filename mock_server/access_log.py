"""Access log stage: one readable line per request, `GET /api/sessions 200 3.1ms`, and after it what
the stages noted (`... 200 3.1ms unknown query: tags[] (...)`).

It is the outermost stage, so the time covers the whole pipeline (injected latency included)
and every answer is logged: API, CORS preflight, docs and admin alike. The target is logged as
it came on the wire (percent-encoded), with anything unprintable escaped, so a request cannot
write a line of its own into the log (`%0A` in a path, a raw control byte).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO
from urllib.parse import quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

VISIBLE_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))  # kept as is; other bytes logged as %XX


def printable(text: str) -> str:
    """`text` with every unprintable character (controls, line breaks, ...) as a visible escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def note(scope: Scope, text: str) -> None:
    """Add a remark to the request's log line (and its journal entry): what a stage noticed that the
    developer should know, such as an ignored query parameter or a refused origin."""
    scope.setdefault("state", {}).setdefault("notes", []).append(text)


def log_line(scope: Scope, status: int | str, seconds: float) -> str:
    path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
    query = scope.get("query_string", b"")
    target = quote(path + b"?" + query if query else path, safe=VISIBLE_ASCII)
    notes = "; ".join(printable(text) for text in scope.get("state", {}).get("notes", ()))
    notes = f" {notes}" if notes else ""
    return f"{printable(scope['method'])} {target} {status} {seconds * 1000:.1f}ms{notes}\n"


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp, *, stream: TextIO | None = None) -> None:
        self.app = app
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})  # shared with the inner stages' scopes (some pass on a copy), for their notes
        started = time.perf_counter()
        status: int | str = "-"  # the client went away before any answer

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        except BaseException:
            status = status if status != "-" else 500
            raise
        finally:
            stream = self.stream or sys.stdout  # looked up late, so a redirected stdout is honoured
            stream.write(log_line(scope, status, time.perf_counter() - started))
            stream.flush()
