"""The request pipeline of an API, in the order the contract fixes:

route -> prefer -> faults -> auth -> rate limit -> validate -> progress -> handle -> answer check

Each step is a module of its own with one job (route.py finds the operation, auth.py checks the
token...), called here in turn on the request; a refusal is an `ApiError`, which the envelope
stage outside renders. The steps form one ASGI stage, not a middleware each: a middleware costs
every request a coroutine, and every one that wraps `send` a call per message, for nothing a step
needs. By the time the handler runs, the request is routed, authorized and valid: it gets the
operation, the typed arguments (defaults applied), the parsed body and the credential.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from api_model import MISSING, Credential, Operation

from .auth import Auth
from .envelope import ApiError
from .faults import Faults
from .json_body import MEDIA_TYPE, json_bytes
from .prefer import Prefer
from .progress import Progress
from .rate_limit import RateLimiter
from .response_validation import AnswerCheck
from .route import Router
from .validate import RequestValidator, Validated

# operation, valid request, credential -> status, JSON body (None: no body)
Handler = Callable[[Operation, Validated, Credential | None], Awaitable[tuple[int, Any]]]


class Pipeline:
    def __init__(self, app: ASGIApp, *, router: Router, validator: RequestValidator, handle: Handler,
                 prefer: Prefer | None = None, faults: Faults | None = None, auth: Auth | None = None,
                 rate_limiter: RateLimiter | None = None, progress: Progress | None = None,
                 answers: AnswerCheck | None = None) -> None:
        self.app = app  # reached only by what is not an HTTP request (the lifespan)
        self.router = router
        self.prefer = prefer
        self.faults = faults
        self.auth = auth
        self.rate_limiter = rate_limiter
        self.validator = validator
        self.progress = progress
        self.handle = handle
        self.answers = answers  # None: answers leave unchecked

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})  # shared with the stages outside, which read the operation and notes
        operation = self.router.resolve(scope)
        if self.prefer is not None:
            self.prefer.check(scope, operation)
        fault_after = self.faults.draw(operation) if self.faults is not None else None
        credential = self.auth.authorize(scope, operation) if self.auth is not None else None
        if self.rate_limiter is not None:
            self.rate_limiter.take(scope, operation, credential)
        request = await self.validator.read(scope, receive, operation)
        try:
            if self.progress is not None:
                self.progress.catch_up()  # steps due by now, played before the handler reads
            status, body = await self.handle(operation, request, credential)
            content = b"" if body is None else json_bytes(body)
            headers = [(b"content-type", MEDIA_TYPE)] if body is not None else []
            headers.append((b"content-length", str(len(content)).encode()))
            if self.answers is not None:
                self.answers.check(operation, status, headers, content, MISSING if body is None else body)
            if fault_after is not None:
                raise fault_after  # carried out, and its answer lost on the way back
        except ApiError as error:
            if request.headers:
                error.headers = {**error.headers, **request.headers}
            raise
        if request.headers:
            headers.extend((name.lower().encode(), value.encode()) for name, value in request.headers.items())
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})
