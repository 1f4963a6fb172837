"""The canonical error envelope: every error, from every stage, leaves the mock through here.

Stages raise `ApiError`; connexion's exception middleware hands it (and connexion's, starlette's
and unexpected errors) to the handlers registered by `register_error_handlers`, which render an
RFC 9457 problem document. Nothing here knows about sessions: the envelope serves any API.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("mock_server")


@dataclass(frozen=True)
class ErrorKind:
    status: int
    title: str


# The closed list of error types (the spec's ErrorType enum): status and fixed title per type.
ERROR_KINDS: dict[str, ErrorKind] = {
    "bad_request": ErrorKind(400, "Bad request"),
    "unauthenticated": ErrorKind(401, "Unauthenticated"),
    "forbidden": ErrorKind(403, "Forbidden"),
    "not_found": ErrorKind(404, "Not found"),
    "session_not_found": ErrorKind(404, "Session not found"),
    "method_not_allowed": ErrorKind(405, "Method not allowed"),
    "session_archived": ErrorKind(409, "Session archived"),
    "session_terminated": ErrorKind(409, "Session terminated"),
    "limit_exceeded": ErrorKind(409, "Limit exceeded"),
    "payload_too_large": ErrorKind(413, "Payload too large"),
    "unsupported_media_type": ErrorKind(415, "Unsupported media type"),
    "validation_error": ErrorKind(422, "Validation error"),
    "upgrade_required": ErrorKind(426, "Upgrade required"),
    "rate_limited": ErrorKind(429, "Rate limited"),
    "internal_error": ErrorKind(500, "Internal server error"),
    "bad_gateway": ErrorKind(502, "Bad gateway"),
    "gateway_timeout": ErrorKind(504, "Gateway timeout"),
}

# The type a bare status maps to, for errors raised by libraries that only know the status.
TYPE_FOR_STATUS: dict[int, str] = {}
for _type, _kind in ERROR_KINDS.items():
    TYPE_FOR_STATUS.setdefault(_kind.status, _type)


@dataclass
class ApiError(Exception):
    """An error answer: `type` from ERROR_KINDS, a human `detail`, per-field `errors` on 422."""

    type: str
    detail: str
    errors: list[dict[str, Any]] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.type}: {self.detail}")

    @property
    def status(self) -> int:
        return ERROR_KINDS[self.type].status


def field_error(loc: list[str | int], msg: str, type_: str) -> dict[str, Any]:
    """One entry of a 422's `errors` list."""
    return {"loc": loc, "msg": msg, "type": type_}


MAX_DETAIL = 1000  # a detail may quote the request: never echo a megabyte back


def problem_body(error: ApiError, instance: str) -> dict[str, Any]:
    kind = ERROR_KINDS[error.type]
    detail = error.detail if len(error.detail) <= MAX_DETAIL else error.detail[: MAX_DETAIL - 1] + "…"
    return {
        "type": error.type,
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
        "instance": instance,
        "errors": error.errors if error.type == "validation_error" else None,
    }


def bad_request_body(detail: str, instance: str) -> tuple[bytes, bytes]:
    """A 400 `bad_request` as (content type, body), for answers the HTTP layer gives itself."""
    return PROBLEM_JSON.encode(), json.dumps(problem_body(ApiError("bad_request", detail), instance)).encode()


def render(error: ApiError, instance: str) -> ConnexionResponse:
    return ConnexionResponse(
        status_code=error.status,
        mimetype=PROBLEM_JSON,
        content_type=PROBLEM_JSON,
        body=json.dumps(problem_body(error, instance)).encode(),
        headers=error.headers,
    )


def from_status(status: int, detail: str | None, headers: dict[str, str] | None = None) -> ApiError:
    """The envelope for an error that a library raised with only a status code."""
    if status not in TYPE_FOR_STATUS:
        status = 500 if status >= 500 else 400
    error_type = TYPE_FOR_STATUS[status]
    return ApiError(error_type, detail or ERROR_KINDS[error_type].title, headers=dict(headers or {}))


def _instance(request: ConnexionRequest) -> str:
    # scope["path"] as received: URL parsing would drop a %0A, and `instance` is the request path.
    return request.scope.get("path") or request.url.path


async def _handle_api_error(request: ConnexionRequest, exc: ApiError) -> ConnexionResponse:
    return render(exc, _instance(request))


async def _handle_problem(request: ConnexionRequest, exc: ProblemException) -> ConnexionResponse:
    # connexion's own problems, e.g. a response that fails response validation (500).
    if exc.status >= 500:
        logger.error("%s %s: %s", request.method, request.url.path, exc.detail)
    return render(from_status(exc.status, exc.detail, exc.headers), _instance(request))


async def _handle_http_exception(request: ConnexionRequest, exc: HTTPException) -> ConnexionResponse:
    return render(from_status(exc.status_code, exc.detail, exc.headers), _instance(request))


async def _handle_unexpected(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return render(ApiError("internal_error", "The mock failed to answer; see its log."), _instance(request))


def register_error_handlers(app: Any) -> None:
    """Route every error class the stack can raise to the envelope (async handlers: connexion
    would run plain functions in a thread pool, on the path of every error answer)."""
    app.add_error_handler(ApiError, _handle_api_error)
    app.add_error_handler(ProblemException, _handle_problem)
    app.add_error_handler(HTTPException, _handle_http_exception)
    app.add_error_handler(Exception, _handle_unexpected)
