"""CORS for frontends served from the developer's machine, with starlette's CORSMiddleware.

Any port of http(s)://localhost, 127.0.0.1 and [::1] is allowed by default; `--cors-origin`
adds exact origins. The middleware is the outermost stage, so that preflights are answered
before routing (OPTIONS is not a documented method) and error answers carry the CORS headers
too: a browser hides the body of an error that lacks them, and the UI could not show it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial
from typing import Any

from starlette.middleware.cors import CORSMiddleware

LOCAL_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"
# Headers a frontend must be able to read from the mock's answers.
EXPOSED_HEADERS = ("Retry-After", "WWW-Authenticate", "Allow")


def cors_stage(extra_origins: Sequence[str] = ()) -> Any:
    """The CORS middleware, ready for the app's middleware list."""
    return partial(
        CORSMiddleware,
        allow_origin_regex=LOCAL_ORIGINS,
        allow_origins=[origin.rstrip("/") for origin in extra_origins],
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=EXPOSED_HEADERS,
    )


def is_origin(value: str) -> bool:
    """`scheme://host[:port]`, the shape of a browser's Origin header."""
    return re.fullmatch(r"https?://[^/\s]+", value.rstrip("/")) is not None
