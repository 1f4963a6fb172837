"""The error envelope: every error, from every stage, leaves the mock through here.

Stages raise `ApiError` with an HTTP status (and the type, where one status has several); the
envelope stage (`EnvelopeMiddleware`, outside every stage that raises) renders it in the API's
envelope: its media type, its members and its types come from the spec and its declaration, so
the same code renders an RFC 9457 problem for one API and `{type, status, message, details}` for
another. Anything else raised is a fault of the mock: logged with its traceback and answered as the
envelope's 500.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api_model import Api, SpecError

from .json_body import json_bytes

logger = logging.getLogger("mock_server")
MAX_DETAIL = 1000  # a detail may quote the request: never echo a megabyte back


@dataclass
class ApiError(Exception):
    """An error answer: its HTTP status, a human `detail`, located `errors` on 422, headers, and
    its type where the status has several (else the catalog's one type of that status)."""

    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    type: str | None = None

    def __post_init__(self) -> None:
        super().__init__(f"{self.status} {self.type or ''}: {self.detail}")


def field_error(loc: list[str | int], msg: str, type_: str) -> dict[str, Any]:
    """One entry of a 422's located list."""
    return {"loc": loc, "msg": msg, "type": type_}


class Envelope:
    """The API's envelope, ready to render any ApiError."""

    def __init__(self, api: Api) -> None:
        declared = api.kit.envelope
        catalog = api.errors
        self.media_type = declared.media_type
        self.content_type = self.media_type.encode()
        self.members = declared.members
        self.titles = declared.titles
        self.status_of = dict(catalog.status)
        # The type of an error raised with a status alone (by a stage or a library): the status's
        # one type; where it has several, the one a declared role names (a library's 404 is no
        # route; a 409 of the mock's own is a limit), else the first.
        self.default_type = {status: catalog.of_status(status)[0] for status in set(catalog.status.values())}
        roles = api.kit.errors
        self.default_type[self.status_of[roles["no-route"]]] = roles["no-route"]
        if "limit" in roles:
            self.default_type[self.status_of[roles["limit"]]] = roles["limit"]
        for fallback in (400, 500):
            if fallback not in self.default_type:
                raise SpecError(f"the error catalog has no type of status {fallback}, which the mock answers "
                                "for any status the API does not document")

    def type_of(self, error: ApiError) -> tuple[str, int]:
        """The error's type and status, as the catalog has them."""
        if error.type is not None:
            return error.type, self.status_of[error.type]
        if error.status in self.default_type:
            return self.default_type[error.status], error.status
        fallback = 500 if error.status >= 500 else 400  # a status the API never answers
        return self.default_type[fallback], fallback

    def body(self, error: ApiError, instance: str) -> dict[str, Any]:
        error_type, status = self.type_of(error)
        detail = error.detail if len(error.detail) <= MAX_DETAIL else error.detail[: MAX_DETAIL - 1] + "…"
        m = self.members
        body: dict[str, Any] = {m["type"]: error_type}
        if "title" in m:
            body[m["title"]] = self.titles[error_type]
        body[m["status"]] = status
        body[m["message"]] = detail
        if "instance" in m:
            body[m["instance"]] = instance
        body[m["details"]] = error.errors if error.errors and status == 422 else None
        return body

    def encode(self, error: ApiError, instance: str) -> tuple[int, bytes]:
        return self.type_of(error)[1], json_bytes(self.body(error, instance))

    async def send(self, error: ApiError, instance: str, send: Send) -> None:
        """`error` as the answer, with its headers; `instance` is the request path as received
        (scope["path"]: URL parsing would drop a %0A)."""
        status, content = self.encode(error, instance)
        headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in error.headers.items()]
        headers += [(b"content-type", self.content_type), (b"content-length", str(len(content)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    def bad_request_body(self, detail: str, instance: str) -> tuple[bytes, bytes]:
        """A 400 as (content type, body), for answers the HTTP layer gives itself."""
        return self.content_type, self.encode(ApiError(400, detail), instance)[1]


class EnvelopeMiddleware:
    """The stage errors leave through. One ASGI stage of its own rather than connexion's and
    starlette's error middlewares: those cost every request four frames, a `Request` and two `send`
    wrappers, for the one thing the mock needs of them."""

    def __init__(self, app: ASGIApp, *, envelope: Envelope) -> None:
        self.app = app
        self.envelope = envelope

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            if started:  # part of an answer is out: nothing can replace it, the server drops the connection
                logger.exception("error on %s %s after its answer began", scope["method"], scope["path"])
                raise
            if not isinstance(exc, ApiError):
                logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
                exc = ApiError(500, "The mock failed to answer; see its log.")
            await self.envelope.send(exc, scope["path"], send)
