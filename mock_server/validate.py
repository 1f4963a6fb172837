"""Validate stage: the request body (read by `request_body`: 413, 415, 400), then path, query and
body schemas.

It takes the place of connexion's request validation to follow the contract's precedence
(415 and 400 on the body before 422) and to report every path, query and body error together
in one 422, each with a `loc`. Schemas are those of the 3.1 document itself (JSON Schema
2020-12), compiled once per operation at start-up with jsonschema-rs, whose `pattern` follows
ECMA-262 as OpenAPI implies (`$` does not match before a trailing newline, unlike Python's `re`).

Query parameters the operation does not document are ignored, as the contract says, but not
silently: the log line and the `X-Mock-Unknown-Query` header of the answer name them (with a hint
where a name looks like a list in another client's format, `tags[]` for `tags`), so that a UI
whose filter seems to do nothing has a clue. `--strict` makes them 422 errors, located.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

import jsonschema_rs
from starlette.types import Receive, Scope

from api_model import Api, Operation

from .access_log import note
from .envelope import ApiError, field_error
from .request_body import DEFAULT_MAX_BODY_BYTES, MISSING, read_json_body

SPEC_URI = "urn:openapi-document"
MAX_INTEGER_DIGITS = 30  # longer digit strings are out of any range the spec gives (and of int()'s limit)
OUT_OF_RANGE = object()


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    """A query or path string as the schema's type; left as is when it does not parse,
    so the schema reports the type error."""
    kind = schema.get("type")
    if kind == "integer":
        digits = value[1:] if value[:1] in "+-" else value
        if digits.isascii() and digits.isdigit():
            # Past any bound the spec gives, and past what int() converts: reported, not converted.
            return int(value) if len(digits) <= MAX_INTEGER_DIGITS else OUT_OF_RANGE
        return value
    if kind == "boolean":
        return {"true": True, "false": False}.get(value, value)
    return value


UNKNOWN_QUERY_HEADER = "X-Mock-Unknown-Query"  # names the ignored query parameters on the answer
MAX_SHOWN_NAME = 64
MAX_SHOWN_NAMES = 10
SHOWN_NAME_CHARACTERS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in ",%")  # a comma separates names

MAX_MESSAGE = 300  # a message quotes the offending value: keep a 100 000-character prompt out of it


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _describe(error: jsonschema_rs.ValidationError, loc: list[str | int]) -> list[dict[str, Any]]:
    """`errors` entries for one failure; a missing or extra property is located at its own name."""
    location = loc + list(error.instance_path)
    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        return [field_error(location + [kind.property], "Field required", "missing")]
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
        return [field_error(location + [name], f"Unknown property {name!r}", "extra_forbidden") for name in kind.unexpected]
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Enum):
        # jsonschema-rs names only the first two options; a reader needs them all.
        allowed = ", ".join(json.dumps(option) for option in kind.options)
        return [field_error(location, _shorten(f"{json.dumps(error.instance)} is not one of {allowed}"), "enum")]
    return [field_error(location, _shorten(error.message), _snake(type(kind).__name__))]


def schema_errors(validator: jsonschema_rs.Draft202012Validator, value: Any, loc: list[str | int]) -> list[dict[str, Any]]:
    """Every failure of `value`, as `errors` entries located under `loc`."""
    if validator.is_valid(value):
        return []  # the common case, checked at half the cost of looking for errors
    return [entry for error in validator.iter_errors(value) for entry in _describe(error, loc)]


def _shorten(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


class OperationValidator:
    """Compiled validators for one operation's parameters and body."""

    def __init__(self, operation: Operation, registry: jsonschema_rs.Registry, uri: str = SPEC_URI) -> None:
        self.operation = operation
        self.parameters = [
            (parameter, compile_schema(registry, uri, parameter.schema_pointer)) for parameter in operation.parameters
        ]
        self.body = compile_schema(registry, uri, operation.body_pointer) if operation.body_pointer else None
        self.query_schemas = {p.name: p.schema for p in operation.parameters if p.location == "query"}

    def read_parameters(self, scope: Scope, query: dict[str, list[str]] | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The parameters as their schema types (absent ones at their default), and every error."""
        query = query_of(scope) if query is None else query
        headers: dict[str, str] | None = None
        arguments: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for parameter, validator in self.parameters:
            location, name, schema = parameter.location, parameter.name, parameter.schema
            if location == "path":
                raw: Any = scope["path_params"].get(name)
            elif location == "query":
                raw = query.get(name)
                if raw is not None and schema.get("type") != "array":
                    raw = raw[-1]
            else:
                if headers is None:
                    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
                raw = headers.get(name.lower())
            if raw is None:
                if parameter.required:
                    errors.append(field_error([location, name], "Field required", "missing"))
                elif "default" in schema:
                    arguments[name] = schema["default"]
                continue
            if isinstance(raw, list):
                value: Any = [_coerce(item, schema.get("items", {})) for item in raw]
            else:
                value = _coerce(raw, schema)
            if value is OUT_OF_RANGE or (isinstance(value, list) and OUT_OF_RANGE in value):
                errors.append(field_error([location, name], f"More than {MAX_INTEGER_DIGITS} digits: out of range", "int_out_of_range"))
                continue
            errors.extend(schema_errors(validator, value, [location, name]))
            arguments[name] = value
        return arguments, errors

    def unknown_query(self, query: dict[str, list[str]]) -> list[str]:
        """The query parameters the operation does not document."""
        return [name for name in query if name not in self.query_schemas]

    def hint(self, name: str) -> str | None:
        """What the client probably meant by an unknown query parameter: `tags[]=x` (the bracket
        format of axios, qs, PHP) or `tags[0]=x` for a list parameter, `Tags` for `tags`."""
        bracketed = re.fullmatch(r"(.+?)\[[^\]]*\]", name)
        base = bracketed.group(1) if bracketed else name
        known = next((k for k in self.query_schemas if k == base or k.lower() == base.lower()), None)
        if known is None:
            return None
        if bracketed and self.query_schemas[known].get("type") == "array":
            return f"a list is sent as {known}=a&{known}=b"
        return f"did you mean {known}?"

    def unknown_error(self, name: str) -> dict[str, Any]:
        hint = self.hint(name)
        return field_error(["query", name], f"Unknown query parameter{f'; {hint}' if hint else ''}", "extra_forbidden")

    def body_errors(self, body: Any) -> list[dict[str, Any]]:
        if self.body is None:
            return []
        if body is MISSING:
            if self.operation.body_required:
                return [field_error(["body"], "A JSON request body is required", "missing")]
            return []
        return schema_errors(self.body, body, ["body"])


def query_of(scope: Scope) -> dict[str, list[str]]:
    """The query string's values by name, in order."""
    query: dict[str, list[str]] = {}
    raw = scope.get("query_string", b"")
    if not raw:
        return query
    for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        query.setdefault(key, []).append(value)
    return query


def shown_name(name: str) -> str:
    """A query parameter's name fit for a log line or a header: escaped as on the wire, and short."""
    shown = quote(name[:MAX_SHOWN_NAME], safe=SHOWN_NAME_CHARACTERS)
    return shown if len(name) <= MAX_SHOWN_NAME else shown + "..."


def compile_schema(registry: jsonschema_rs.Registry, uri: str, pointer: str) -> jsonschema_rs.Draft202012Validator:
    """A validator for the schema at `pointer` in the document registered as `uri`."""
    return jsonschema_rs.Draft202012Validator({"$ref": f"{uri}#{quote(pointer, safe='/~')}"}, registry=registry)


def compile_validators(
    api: Api, registry: jsonschema_rs.Registry | None = None, uri: str = SPEC_URI
) -> dict[str, OperationValidator]:
    """Every operation's validators, by operationId (at start-up, so a bad schema fails early).
    `registry` holds `api.document` as `uri`, and any document its `$ref`s point into."""
    registry = registry or jsonschema_rs.Registry([(uri, api.document)])
    return {op_id: OperationValidator(op, registry, uri) for op_id, op in api.operations.items()}


CursorCheck = Callable[[Operation, dict[str, Any], dict[str, Any]], list[dict[str, Any]]]


@dataclass(slots=True)
class Validated:
    """A valid request as the handle stage takes it."""

    arguments: dict[str, Any]  # parameters by name, as their schema types, defaults applied
    body: Any  # the parsed JSON body; MISSING when none was sent
    headers: dict[str, str]  # for the answer, whatever it is: the unknown query parameters named


class RequestValidator:
    def __init__(self, validators: dict[str, OperationValidator], *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 cursor_errors: CursorCheck | None = None, strict: bool = False) -> None:
        self.validators = validators
        self.max_body_bytes = max_body_bytes
        # The contract ignores unknown query parameters; strict, they are 422 errors like the others.
        self.strict = strict
        # A cursor is valid only if this list issued it, which no schema says: when the request has
        # other errors, the list's own check adds the cursor's, so that one 422 names them all.
        self.cursor_errors = cursor_errors

    async def read(self, scope: Scope, receive: Receive, operation: Operation) -> Validated:
        """The request's parameters and body, or one 422 naming every error (413, 415, 400 first)."""
        validator = self.validators[operation.operation_id]
        body: Any = MISSING
        errors: list[dict[str, Any]] = []
        if validator.body is not None:
            read = await read_json_body(scope, receive, self.max_body_bytes)
            body, errors = read.value, read.errors
        query = query_of(scope)
        arguments, parameter_errors = validator.read_parameters(scope, query)
        unknown_header: dict[str, str] = {}
        unknown = validator.unknown_query(query) if query else []
        if unknown:
            unknown_header = self.report_unknown(scope, validator, unknown)
            if self.strict:
                parameter_errors += [validator.unknown_error(name) for name in unknown]
        # Strings that are no Unicode text are reported alone: the schema validator cannot read them.
        errors = parameter_errors + (errors or validator.body_errors(body))
        if errors and self.cursor_errors is not None and not any(e["loc"][:1] == ["path"] for e in errors):
            located = {tuple(e["loc"]) for e in errors}  # a cursor its schema refused is reported once
            errors += [e for e in self.cursor_errors(operation, arguments, scope["path_params"])
                       if tuple(e["loc"]) not in located]
        if errors:
            summary = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:3])
            raise ApiError(422, f"The request is invalid: {summary}.", errors=errors, headers=dict(unknown_header))
        return Validated(arguments, body, unknown_header)

    @staticmethod
    def report_unknown(scope: Scope, validator: OperationValidator, unknown: list[str]) -> dict[str, str]:
        """Note the unknown parameters for the log line; the header that names them on the answer."""
        shown = [shown_name(name) for name in unknown[:MAX_SHOWN_NAMES]]
        more = f" and {len(unknown) - MAX_SHOWN_NAMES} more" if len(unknown) > MAX_SHOWN_NAMES else ""
        hints = [f"{name} ({hint})" if (hint := validator.hint(raw)) else name for name, raw in zip(shown, unknown)]
        note(scope, f"unknown query: {', '.join(hints)}{more}")
        return {UNKNOWN_QUERY_HEADER: ",".join(shown) + (",..." if more else "")}
