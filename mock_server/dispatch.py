"""Handle stage: call the operation's handler and send its JSON answer.

It ends the pipeline. By the time a request gets here the route stage has named the operation
and the validate stage has turned its parameters into typed `arguments` (defaults applied) and
parsed its body, so the handler is called directly with them: connexion's own routing and
parameter parsing would do that work a second time per request (its AsyncApp alone tops out
near 2.9k requests/s here). Which arguments each handler takes is read once, at start-up.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .auth import credential_of
from .route import operation_of
from .spec import ApiSpec


class DispatchMiddleware:
    def __init__(self, app: ASGIApp, *, api: ApiSpec, handlers: object) -> None:
        self.app = app  # reached only by what is not an HTTP request (lifespan)
        self.handlers = handlers
        self.accepted: dict[str, frozenset[str]] = {
            op_id: frozenset(inspect.signature(getattr(handlers, op_id)).parameters) for op_id in api.operations
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation = operation_of(scope) if scope["type"] == "http" else None
        if operation is None:
            await self.app(scope, receive, send)
            return
        accepted = self.accepted[operation.operation_id]
        state = scope["state"]
        arguments = {name: value for name, value in state.get("arguments", {}).items() if name in accepted}
        if "body" in accepted and "body" in state:
            arguments["body"] = state["body"]
        if "credential" in accepted:
            arguments["credential"] = credential_of(scope)
        handler: Callable[..., Any] = getattr(self.handlers, operation.operation_id)
        body, status, headers = await handler(**arguments)
        content = json.dumps(body).encode()
        raw_headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
        raw_headers.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": content})
