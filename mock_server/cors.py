"""CORS for frontends served from the developer's machine, with starlette's CORSMiddleware.

Any port of http(s)://localhost, 127.0.0.1 and [::1] is allowed by default; `--cors-origin`
adds exact origins. The middleware is the outermost stage, so that preflights are answered
before routing (OPTIONS is not a documented method) and error answers carry the CORS headers
too: a browser hides the body of an error that lacks them, and the UI could not show it.
A refused preflight is answered in the envelope (a 400), saying how to allow the origin; its log
line says it too, as does the line of any request from a refused origin (served, but hidden from
the page by the browser). Credentials (cookies, `credentials: "include"`) are allowed for the
allowed origins, whose own name is then echoed, never `*`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Message, Receive, Scope, Send

from .access_log import note
from .envelope import ApiError, Envelope
from .validate import UNKNOWN_QUERY_HEADER

LOCAL_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"
# Headers a frontend must be able to read from the mock's answers.
EXPOSED_HEADERS = ("Retry-After", "WWW-Authenticate", "Allow", UNKNOWN_QUERY_HEADER)


class EnvelopedCORSMiddleware(CORSMiddleware):
    """starlette's CORS middleware, whose refused preflights (text/plain) leave in the envelope."""

    def __init__(self, app: Any, *, envelope: Envelope, **options: Any) -> None:
        super().__init__(app, **options)
        self.envelope = envelope

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not any(name == b"origin" for name, _ in scope["headers"]):
            # Not from a page: nothing to allow, but the answer varies by Origin all the same (what
            # starlette adds, without its per-answer header parsing, a tenth of a list's time).
            await self.app(scope, receive, partial(send_varying_by_origin, send))
            return
        if scope["type"] == "http" and "origin" in (headers := Headers(scope=scope)):
            origin = headers["origin"]
            if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
                response = self.preflight_response(request_headers=headers)
                if response.status_code >= 400:
                    await self.envelope.send(self.refusal(scope, origin, headers), scope["path"], send)
                    return
                await response(scope, receive, send)
                return
            if not self.is_allowed_origin(origin) and not same_origin(origin, headers.get("host", "")):
                # Served, but the browser will hide the answer from the page: the log line says why.
                note(scope, refused_origin_note(origin))
        await super().__call__(scope, receive, send)

    def refusal(self, scope: Scope, origin: str, headers: Headers) -> ApiError:
        """The envelope's 400 for a refused preflight, saying why (and noting it for the log line)."""
        if not self.is_allowed_origin(origin):
            detail = f"CORS: origin {origin!r} may not call this mock; start it with --cors-origin {origin} to allow it."
            note(scope, refused_origin_note(origin))
        elif headers.get("access-control-request-private-network") is not None:
            detail = "CORS: a public web page may not call this mock on the private network."
            note(scope, "refused preflight: a public web page may not call this mock on the private network")
        else:
            detail = "CORS: the preflight asks for a method or headers this mock does not allow."
            note(scope, "refused preflight: a method or headers this mock does not allow")
        return ApiError(400, detail, headers={"Vary": "Origin"})


async def send_varying_by_origin(send: Send, message: Message) -> None:
    if message["type"] == "http.response.start":
        message["headers"] = varying_by_origin(message.get("headers", ()))
    await send(message)


def varying_by_origin(headers: Sequence[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` with Origin named in their Vary header: one Vary header, Origin last."""
    for name, _ in headers:
        if name.lower() == b"vary":
            break
    else:
        return [*headers, VARY_ORIGIN]  # the common case: the answer has no Vary of its own
    vary = [value for name, value in headers if name.lower() == b"vary"]
    others = [(name, value) for name, value in headers if name.lower() != b"vary"]
    return [*others, (b"vary", b", ".join([*vary, b"Origin"]))]


VARY_ORIGIN = (b"vary", b"Origin")


def refused_origin_note(origin: str) -> str:
    """How to allow a refused origin, for the log line."""
    shown = origin[:200]
    if is_origin(origin):
        return f"refused origin {shown}: start with --cors-origin {shown.rstrip('/')}"
    # `null`: a page opened from a file, or a sandboxed frame; no option can allow it.
    return f"refused origin {shown!r}: serve the page from http://localhost (any port) to call this mock"


def same_origin(origin: str, host: str) -> bool:
    """Whether a page of `origin` is the mock's own (its docs page): no CORS there."""
    return urlsplit(origin).netloc.lower() == host.strip().lower() != ""


def origin_allowed(origin: str, extra_origins: Sequence[str] = ()) -> bool:
    """Whether a page of `origin` may call the mock: a local origin, or one given with --cors-origin."""
    return re.fullmatch(LOCAL_ORIGINS, origin) is not None or origin.rstrip("/") in extra_origins


def cors_stage(envelope: Envelope, extra_origins: Sequence[str] = ()) -> Any:
    """The CORS middleware, ready for the app's middleware list."""
    return partial(
        EnvelopedCORSMiddleware,
        envelope=envelope,
        allow_origin_regex=LOCAL_ORIGINS,
        allow_origins=[origin.rstrip("/") for origin in extra_origins],
        allow_methods=["*"],
        allow_headers=["*"],  # with credentials, starlette answers the requested names, never `*`
        allow_credentials=True,  # fetch(..., {credentials: "include"}) from the allowed origins
        expose_headers=EXPOSED_HEADERS,
    )


def is_origin(value: str) -> bool:
    """`scheme://host[:port]`, the shape of a browser's Origin header."""
    return re.fullmatch(r"https?://[^/\s]+", value.rstrip("/")) is not None
