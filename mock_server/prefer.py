"""Prefer stage: `Prefer: code=<status>` answers the operation's documented error at once.

The convention Prism users know, for showing a UI every error screen. The stage sits right
after routing, because it needs the operation's documented statuses, and before auth, so that
any error (401 included) can be forced without a token and nothing else runs: a forced answer
replaces the whole processing and changes no state. It is rendered in the envelope like a real
one, with the headers the spec requires (429 with `Retry-After`, 401 with `WWW-Authenticate`).

- `code=404` on an operation that addresses one session is `session_not_found`; otherwise the
  first type of that status. `type=<error type>` picks another type of the same status
  (`Prefer: code=409, type=session_terminated`).
- A documented success status (`code=200`) is no error: the request is served normally.
- A code the operation does not document (405, 418, ...) is a 400 `bad_request` that lists the
  codes it does document.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from .auth import CHALLENGE
from .envelope import ERROR_KINDS, TYPE_FOR_STATUS, ApiError, field_error
from .route import operation_of
from .spec import Operation

RETRY_AFTER_SECONDS = "1"


def preferences(header: str) -> dict[str, str]:
    """RFC 7240 preferences and their parameters, flattened: `code=404, type=x; y=z` -> {code, type, y}."""
    found: dict[str, str] = {}
    for item in header.replace(";", ",").split(","):
        name, _, value = item.partition("=")
        if name.strip():
            found.setdefault(name.strip().lower(), value.strip().strip('"'))
    return found


def _prefer_header(scope: Scope) -> str | None:
    values = [value.decode("latin-1") for name, value in scope["headers"] if name == b"prefer"]
    return ", ".join(values) if values else None


def forced_error(operation: Operation, wanted: dict[str, str], instance_has_session: bool) -> ApiError | None:
    """The error that `Prefer` asks for, None to serve normally; a bad preference is a 400."""
    code_text = wanted["code"]
    errors = [status for status in operation.statuses if status >= 400]
    # isascii: `²` is a digit to str.isdigit() but not to int(); three digits: every HTTP status.
    code = int(code_text) if code_text.isascii() and code_text.isdigit() and len(code_text) <= 3 else None
    if code is None or code not in operation.statuses:
        shown = code_text if len(code_text) <= 10 else code_text[:10] + "…"
        raise ApiError(
            "bad_request",
            f"'Prefer: code={shown}' is not a documented response of {operation.operation_id}; "
            f"documented error codes: {', '.join(map(str, errors))}.",
        )
    if code < 400:
        return None
    types = [name for name, kind in ERROR_KINDS.items() if kind.status == code]
    error_type = wanted.get("type") or ("session_not_found" if code == 404 and instance_has_session else TYPE_FOR_STATUS[code])
    if error_type not in types:
        raise ApiError("bad_request", f"'Prefer: type={error_type}' is not a type of status {code}; use one of {', '.join(types)}.")
    detail = f"Forced by 'Prefer: code={code}'."
    if error_type == "validation_error":
        return ApiError(error_type, detail, errors=[field_error(["header", "prefer"], detail, "forced")])
    if error_type == "rate_limited":
        return ApiError(error_type, detail, headers={"Retry-After": RETRY_AFTER_SECONDS})
    if error_type == "unauthenticated":
        return ApiError(error_type, detail, headers=dict(CHALLENGE))
    return ApiError(error_type, detail)


class PreferMiddleware:
    def __init__(self, app: ASGIApp, *, session_parameter: str = "devin_id") -> None:
        self.app = app
        self.session_parameter = session_parameter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation = operation_of(scope) if scope["type"] == "http" else None
        if operation is not None:
            header = _prefer_header(scope)
            wanted = preferences(header) if header else {}
            if "code" in wanted:
                error = forced_error(operation, wanted, self.session_parameter in scope["path_params"])
                if error is not None:
                    raise error
        await self.app(scope, receive, send)
