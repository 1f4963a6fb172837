"""The error envelope: every error, from every stage, leaves the mock through here.

Stages raise `ApiError` with an HTTP status (and the type, where one status has several);
connexion's exception middleware hands it (and connexion's, starlette's and unexpected errors)
to the handlers `register_error_handlers` installs, which render the API's envelope: its media
type, its members and its types come from the spec and its declaration, so the same code
renders an RFC 9457 problem for one API and `{type, status, message, details}` for another.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

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

    def render(self, error: ApiError, instance: str) -> ConnexionResponse:
        status, content = self.encode(error, instance)
        return ConnexionResponse(status_code=status, mimetype=self.media_type, content_type=self.media_type,
                                 body=content, headers=error.headers)

    def bad_request_body(self, detail: str, instance: str) -> tuple[bytes, bytes]:
        """A 400 as (content type, body), for answers the HTTP layer gives itself."""
        return self.media_type.encode(), self.encode(ApiError(400, detail), instance)[1]


def from_status(status: int, detail: str | None, headers: dict[str, str] | None = None) -> ApiError:
    """The error of a library that raised only a status code."""
    return ApiError(status, detail or f"HTTP {status}", headers=dict(headers or {}))


def _instance(request: ConnexionRequest) -> str:
    # scope["path"] as received: URL parsing would drop a %0A, and `instance` is the request path.
    return request.scope.get("path") or request.url.path


def register_error_handlers(app: Any, envelope: Envelope) -> None:
    """Route every error class the stack can raise to the envelope (async handlers: connexion
    would run plain functions in a thread pool, on the path of every error answer)."""

    async def api_error(request: ConnexionRequest, exc: ApiError) -> ConnexionResponse:
        return envelope.render(exc, _instance(request))

    async def problem(request: ConnexionRequest, exc: ProblemException) -> ConnexionResponse:
        # connexion's own problems, e.g. a response that fails response validation (500).
        if exc.status >= 500:
            logger.error("%s %s: %s", request.method, request.url.path, exc.detail)
        return envelope.render(from_status(exc.status, exc.detail, exc.headers), _instance(request))

    async def http_exception(request: ConnexionRequest, exc: HTTPException) -> ConnexionResponse:
        return envelope.render(from_status(exc.status_code, exc.detail, exc.headers), _instance(request))

    async def unexpected(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return envelope.render(ApiError(500, "The mock failed to answer; see its log."), _instance(request))

    app.add_error_handler(ApiError, api_error)
    app.add_error_handler(ProblemException, problem)
    app.add_error_handler(HTTPException, http_exception)
    app.add_error_handler(Exception, unexpected)
