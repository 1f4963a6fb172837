"""Side routes: the mock's own surfaces (the documents, the docs page, the dashboard, the admin API)
beside the API, each one stage of its own.

A request for one of their paths goes through them; an API request goes straight on to the API's
pipeline without passing four stages that would only look at its path and let it by.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send


class SideRoutes:
    def __init__(self, app: ASGIApp, *, claims: Callable[[str], bool], stages: Sequence[Callable[[ASGIApp], Any]]) -> None:
        self.app = app  # the API's pipeline, and where a side stage lets a request by (a POST to a document)
        self.claims = claims  # whether a path is one of the side routes'
        side = app
        for stage in reversed(stages):
            side = stage(side)
        self.side = side

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.claims(scope["path"]):
            await self.side(scope, receive, send)
        else:
            await self.app(scope, receive, send)
