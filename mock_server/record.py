"""Record stage: each request observed once, outermost, for two readers: its line in the access log
(access_log.py) and its entry in the request journal (journal.py), which leaves out the mock's own
surfaces (`skip`: the docs page, the documents, the admin API).

Outermost, so the time covers the whole pipeline (injected latency included) and every answer is
seen as the client gets it, from whichever stage gave it. Bodies stream through untouched while
the journal keeps their first bytes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .access_log import AccessLog, log_line
from .journal import Capture, Entry, Journal


class RecordMiddleware:
    def __init__(self, app: ASGIApp, *, log: AccessLog | None = None, journal: Journal | None = None,
                 skip: Callable[[str], bool] = lambda path: False) -> None:
        self.app = app
        self.log = log
        self.journal = journal
        self.skip = skip  # paths that are no API request: logged, not journaled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Made here, so that the stages' notes and the operation land in this dict.
        state = scope.setdefault("state", {})
        entry = None
        if self.journal is not None and not self.skip(scope["path"]):
            cap = self.journal.body_cap
            entry = Entry(time.time(), scope["method"], scope["path"], scope.get("query_string", b""),
                          scope.get("headers", []), Capture(cap), Capture(cap))
            receive = _keeping_request_body(receive, entry)
        status: int | None = None  # None: the client went away before any answer

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if entry is not None:
                    entry.response_headers = message.get("headers", [])
            elif entry is not None and message["type"] == "http.response.body":
                entry.response_body.add(message.get("body", b""), message.get("more_body", False))
            await send(message)

        log = self.log
        if log is not None:
            log.in_flight += 1
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_and_record)
        except BaseException:
            status = status or 500
            raise
        finally:
            duration = time.perf_counter() - started
            if log is not None:
                log.in_flight -= 1
                log.write(log_line(scope, "-" if status is None else status, duration))
            if entry is not None:
                entry.status, entry.duration = status, duration
                entry.operation = state.get("operation")
                entry.notes = state.get("notes", entry.notes)
                self.journal.record(entry)  # type: ignore[union-attr]


def _keeping_request_body(receive: Receive, entry: Entry) -> Receive:
    async def receive_and_keep() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            entry.request_body.add(message.get("body", b""), message.get("more_body", False))
        return message

    return receive_and_keep
