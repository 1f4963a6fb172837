"""Access log stage: one readable line per request, `GET /v3/organizations/org-mock/sessions 200 3.1ms`.

It is the outermost stage, so the time covers the whole pipeline (injected latency included)
and every answer is logged: API, CORS preflight, docs and admin alike.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def log_line(scope: Scope, status: int | str, seconds: float) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    target = f"{scope['path']}?{query}" if query else scope["path"]
    return f"{scope['method']} {target} {status} {seconds * 1000:.1f}ms\n"


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp, *, stream: TextIO | None = None) -> None:
        self.app = app
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
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
