"""Prefer stage: `Prefer: code=<status>` answers the operation's documented error at once.

The convention Prism users know, for showing a UI every error screen. The stage sits right
after routing, because it needs the operation's documented statuses, and before auth, so that
any error (401 included) can be forced without a token and nothing else runs: a forced answer
replaces the whole processing and changes no state. It is rendered in the envelope like a real
one, with the headers the spec requires (429 with `Retry-After`, 401 with `WWW-Authenticate`).

- `code=404` on an operation that addresses one resource is the declaration's `no-resource`
  type, elsewhere its `no-route` type; otherwise the first type of that status.
  `type=<error type>` picks another type of the same status (`Prefer: code=409, type=...`).
- The answer carries the headers the spec requires on it (`Retry-After`, `WWW-Authenticate`...).
- A documented success status (`code=200`) is no error: the request is served normally.
- A code the operation does not document (405, 418, ...) is a 400 that lists the
  codes it does document.
"""

from __future__ import annotations

from starlette.types import Scope

from api_model import Api, Operation, resolve_ref

from .auth import CHALLENGE
from .envelope import ApiError, field_error

# Values for the headers the spec requires on a forced answer (others get "forced").
HEADER_VALUES = {"retry-after": "1", **{name.lower(): value for name, value in CHALLENGE.items()}}


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


def required_headers(api: Api, operation: Operation, status: int) -> list[str]:
    """The headers the spec requires on this operation's `status` answer."""
    raw = resolve_ref(api.document, {"$ref": f"#{operation.pointer}"}).get("responses", {}).get(str(status), {})
    headers = resolve_ref(api.document, raw).get("headers", {})
    return [name for name, header in headers.items() if resolve_ref(api.document, header).get("required")]


class Prefer:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.catalog = api.errors
        self.id_parameter = api.kit.resource.id_parameter
        self.roles = api.kit.errors

    def check(self, scope: Scope, operation: Operation) -> None:
        """Raise the error a `Prefer: code=` header forces, if any."""
        header = _prefer_header(scope)
        wanted = preferences(header) if header else {}
        if "code" in wanted:
            error = self.forced_error(operation, wanted, self.id_parameter in scope["path_params"])
            if error is not None:
                raise error

    def forced_error(self, operation: Operation, wanted: dict[str, str], names_a_resource: bool) -> ApiError | None:
        """The error that `Prefer` asks for, None to serve normally; a bad preference is a 400."""
        code_text = wanted["code"]
        errors = [status for status in operation.statuses if status >= 400]
        # isascii: `²` is a digit to str.isdigit() but not to int(); three digits: every HTTP status.
        code = int(code_text) if code_text.isascii() and code_text.isdigit() and len(code_text) <= 3 else None
        if code is None or code not in operation.statuses:
            shown = code_text if len(code_text) <= 10 else code_text[:10] + "…"
            raise ApiError(400, f"'Prefer: code={shown}' is not a documented response of {operation.operation_id}; "
                                f"documented error codes: {', '.join(map(str, errors))}.")
        if code < 400:
            return None
        types = self.catalog.of_status(code)
        default = self.roles["no-resource" if names_a_resource else "no-route"] if code == 404 else types[0]
        error_type = wanted.get("type") or default
        if error_type not in types:
            raise ApiError(400, f"'Prefer: type={error_type[:100]}' is not a type of status {code}; "
                                f"use one of {', '.join(types)}.")
        detail = f"Forced by 'Prefer: code={code}'."
        headers = {name: HEADER_VALUES.get(name.lower(), "forced")
                   for name in required_headers(self.api, operation, code)}
        errors_list = [field_error(["header", "prefer"], detail, "forced")] if code == 422 else None
        return ApiError(code, detail, errors=errors_list, headers=headers, type=error_type)
