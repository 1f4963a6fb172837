"""Access log: one readable line per request, `GET /api/sessions 200 3.1ms`, and after it what
the stages noted (`... 200 3.1ms unknown query: tags[] (...)`).

The record stage (record.py), outermost, times every request and hands its line here, so the time
covers the whole pipeline (injected latency included) and every answer is logged: API, CORS
preflight, docs and admin alike. The target is logged as it came on the wire (percent-encoded),
with anything unprintable escaped, so a request cannot write a line of its own into the log (`%0A`
in a path, a raw control byte).
"""

from __future__ import annotations

import asyncio
import re
import sys
from typing import TextIO
from urllib.parse import quote

from starlette.types import Scope

VISIBLE_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))  # kept as is; other bytes logged as %XX
NOT_VISIBLE = re.compile(rb"[^\x21-\x7e]")


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
    raw = path + b"?" + query if query else path
    target = quote(raw, safe=VISIBLE_ASCII) if NOT_VISIBLE.search(raw) else raw.decode("ascii")
    remarks = scope.get("state", {}).get("notes")
    notes = f" {'; '.join(printable(text) for text in remarks)}" if remarks else ""
    return f"{printable(scope['method'])} {target} {status} {seconds * 1000:.1f}ms{notes}\n"


class AccessLog:
    """Writes the log lines to `stream` (stdout when None, looked up at each write, so that a
    redirected stdout is honoured). A line is written when its request ends; while other requests
    are still being served, the lines of one turn of the event loop are written together, with one
    write and one flush (a terminal takes a system call for each)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.in_flight = 0  # requests begun and not ended (the record stage counts them)
        self.pending: list[str] = []

    def write(self, line: str) -> None:
        self.pending.append(line)
        if self.in_flight == 0:
            self.flush()
        elif len(self.pending) == 1:
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        if self.pending:
            stream = self.stream or sys.stdout
            stream.write("".join(self.pending))
            stream.flush()
            self.pending.clear()
