"""CORS for frontends served from the developer's machine, with starlette's CORSMiddleware.

Any port of http(s)://localhost, 127.0.0.1 and [::1] is allowed by default; `--cors-origin`
adds exact origins. The middleware is the outermost stage, so that preflights are answered
before routing (OPTIONS is not a documented method) and error answers carry the CORS headers
too: a browser hides the body of an error that lacks them, and the UI could not show it.
A refused preflight is answered in the envelope (a 400), saying how to allow the origin.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial
from typing import Any

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .envelope import ApiError, Envelope

LOCAL_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"
# Headers a frontend must be able to read from the mock's answers.
EXPOSED_HEADERS = ("Retry-After", "WWW-Authenticate", "Allow")


class EnvelopedCORSMiddleware(CORSMiddleware):
    """starlette's CORS middleware, whose refused preflights (text/plain) leave in the envelope."""

    def __init__(self, app: Any, *, envelope: Envelope, **options: Any) -> None:
        super().__init__(app, **options)
        self.envelope = envelope

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            if origin is not None and "access-control-request-method" in headers:
                response = self.preflight_response(request_headers=headers)
                if response.status_code >= 400:
                    response = self.refused(origin, headers, scope["path"])
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


    def refused(self, origin: str, headers: Headers, path: str) -> Response:
        if not self.is_allowed_origin(origin):
            detail = f"CORS: origin {origin!r} may not call this mock; start it with --cors-origin {origin} to allow it."
        elif headers.get("access-control-request-private-network") is not None:
            detail = "CORS: a public web page may not call this mock on the private network."
        else:
            detail = "CORS: the preflight asks for a method or headers this mock does not allow."
        status, body = self.envelope.encode(ApiError(400, detail), path)
        return Response(body, status_code=status, media_type=self.envelope.media_type, headers={"Vary": "Origin"})


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
        allow_headers=["*"],
        expose_headers=EXPOSED_HEADERS,
    )


def is_origin(value: str) -> bool:
    """`scheme://host[:port]`, the shape of a browser's Origin header."""
    return re.fullmatch(r"https?://[^/\s]+", value.rstrip("/")) is not None
