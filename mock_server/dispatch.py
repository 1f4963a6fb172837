"""Dispatch stage: hand the request to the handlers and send their answer.

It ends the pipeline. By the time a request gets here the route stage has named the operation
and the validate stage has turned its parameters into typed `arguments` (defaults applied) and
parsed its body, so the handlers get them directly: connexion's own routing and parameter
parsing would do that work a second time per request (its AsyncApp alone tops out near 2.9k
requests/s here).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from .auth import credential_of
from .handlers import Handlers
from .json_body import json_bytes
from .route import operation_of

JSON = b"application/json"


class DispatchMiddleware:
    def __init__(self, app: ASGIApp, *, handlers: Handlers) -> None:
        self.app = app  # reached only by what is not an HTTP request (lifespan)
        self.handlers = handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation = operation_of(scope) if scope["type"] == "http" else None
        if operation is None:
            await self.app(scope, receive, send)
            return
        state = scope["state"]
        status, body = await self.handlers(operation, state.get("arguments", {}), state.get("body"), credential_of(scope))
        content = b"" if body is None else json_bytes(body)
        headers = [(b"content-length", str(len(content)).encode())]
        if body is not None:
            headers.insert(0, (b"content-type", JSON))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})
