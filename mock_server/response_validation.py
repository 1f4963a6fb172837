"""Response validation: the mock checks its own answers against the spec before they leave.

An answer that would break the spec (an undocumented status, another content type, a missing
required header, a body off its schema) is never served: it becomes a 500 in the
envelope, which names what broke, and the mock logs it.

It replaces connexion's response validation, which builds a new (pure Python) validator for
every response and cost three quarters of the mock's time per request: here the schemas are
those of the 3.1 document itself, compiled once at start-up with jsonschema-rs, per operation
and status. The pipeline checks what the handle stage answers; errors raised by the stages are
the envelope's own.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from api_model import MISSING, Api, Operation, escape_pointer, resolve_ref

from .envelope import ApiError
from .json_body import json_value
from .validate import MAX_MESSAGE, SPEC_URI, compile_schema

logger = logging.getLogger("mock_server")


@dataclass(frozen=True)
class ResponseRule:
    """What one documented status of one operation must look like."""

    media_types: dict[str, jsonschema_rs.Draft202012Validator | None]  # media type -> body schema
    required_headers: frozenset[str]  # lower case


def compile_rules(api: Api, registry: jsonschema_rs.Registry | None = None, uri: str = SPEC_URI) -> dict[str, dict[int, ResponseRule]]:
    """Every operation's response rules, by operationId and status (at start-up)."""
    registry = registry or jsonschema_rs.Registry([(uri, api.document)])
    rules: dict[str, dict[int, ResponseRule]] = {}
    for operation in api.operations.values():
        responses = resolve_ref(api.document, {"$ref": f"#{operation.pointer}"}).get("responses", {})
        rules[operation.operation_id] = by_status = {}
        for code, raw in responses.items():
            if not code.isdigit():
                continue
            pointer = f"{operation.pointer}/responses/{code}"
            if "$ref" in raw:
                pointer = raw["$ref"].removeprefix("#")
            response = resolve_ref(api.document, raw)
            media_types = {
                media_type.lower(): (
                    compile_schema(registry, uri, f"{pointer}/content/{escape_pointer(media_type)}/schema") if "schema" in content else None
                )
                for media_type, content in response.get("content", {}).items()
            }
            headers = frozenset(
                name.lower() for name, header in response.get("headers", {}).items() if resolve_ref(api.document, header).get("required")
            )
            by_status[int(code)] = ResponseRule(media_types, headers)
    return rules


UNSEEN = object()


class Verdicts:
    """What a schema said of each body lately, by the body's bytes: the same answer sent again (a
    list polled, an archive repeated) is not validated again. Validation is a pure function of the
    schema and the bytes, so this changes no verdict; it bounds the memory it keeps."""

    def __init__(self, max_bytes: int = 8 * 1024 * 1024, max_body_bytes: int = 256 * 1024) -> None:
        self.max_bytes = max_bytes
        self.max_body_bytes = max_body_bytes  # larger bodies are rare and validated each time
        self.held = 0
        self._verdicts: OrderedDict[tuple[int, bytes], str | None] = OrderedDict()

    def of(self, validator: jsonschema_rs.Draft202012Validator, body: bytes) -> str | None:
        if len(body) > self.max_body_bytes:
            return schema_problem(validator, body)
        key = (id(validator), body)  # the validators live as long as the app: their ids are stable
        verdict = self._verdicts.get(key, UNSEEN)
        if verdict is not UNSEEN:
            self._verdicts.move_to_end(key)
            return verdict  # type: ignore[return-value]
        verdict = self._verdicts[key] = schema_problem(validator, body)
        self.held += len(body)
        while self.held > self.max_bytes:
            (_, dropped), _ = self._verdicts.popitem(last=False)
            self.held -= len(dropped)
        return verdict


def schema_problem(validator: jsonschema_rs.Draft202012Validator, body: bytes, value: Any = MISSING) -> str | None:
    """Where the body breaks its schema, or None. `value`, when given, is what `body` encodes, and is
    validated as it is: parsing the bytes back would cost a create a quarter of its answer check. (Only
    what JSON cannot carry is judged apart: a NaN, which the bytes would carry as null, fails.)"""
    document = value
    if document is MISSING:
        try:
            document = json_value(body)
        except ValueError as exc:
            return f"the body is not JSON: {exc}"
    try:
        if validator.is_valid(document):
            return None  # the common case, without building an error
        error = next(validator.iter_errors(document))
    except ValueError:
        if value is MISSING:
            raise
        return schema_problem(validator, body)  # a value the validator cannot read as it is (an encoded fragment)
    where = "/".join(map(str, error.instance_path)) or "(body)"
    return f"{where}: {error.message[:MAX_MESSAGE]}"


def problem_with(rule: ResponseRule | None, status: int, headers: list[tuple[bytes, bytes]], body: bytes,
                 verdicts: Verdicts | None = None, value: Any = MISSING) -> str | None:
    """What breaks the spec in this answer, or None (`value`: see `schema_problem`)."""
    if rule is None:
        return f"status {status} is not documented"
    if rule.required_headers:
        missing = rule.required_headers - {name.decode("latin-1").lower() for name, _ in headers}
        if missing:
            return f"required header(s) {', '.join(sorted(missing))} missing"
    if not rule.media_types:
        return "a body was sent where none is documented" if body else None
    content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
    media_type = content_type.decode("latin-1").split(";")[0].strip().lower()
    if media_type not in rule.media_types:
        return f"content type {media_type or '(none)'} is not one of {', '.join(rule.media_types)}"
    validator = rule.media_types[media_type]
    if validator is None:
        return None
    return schema_problem(validator, body, value) if verdicts is None else verdicts.of(validator, body)


class AnswerCheck:
    """The handle stage's answers, checked before they leave: a bad one is never sent."""

    def __init__(self, rules: dict[str, dict[int, ResponseRule]], unrepeated: Iterable[str] = ()) -> None:
        self.rules = rules
        self.verdicts = Verdicts()
        # Operations whose answers never repeat (a create's holds a record made now): remembering
        # their verdicts would only push out the ones that serve again, and churn memory.
        self.unrepeated = frozenset(unrepeated)

    def check(self, operation: Operation, status: int, headers: list[tuple[bytes, bytes]], body: bytes,
              value: Any = MISSING) -> None:
        """The 500 that replaces an answer breaking the spec (the mock's log says what broke).
        `value` is what `body` encodes, if the caller has it: see `schema_problem`."""
        verdicts = None if operation.operation_id in self.unrepeated else self.verdicts
        problem = problem_with(self.rules[operation.operation_id].get(status), status, headers, body, verdicts, value)
        if problem is not None:
            logger.error("%s answered %s against the spec: %s", operation.operation_id, status, problem)
            raise ApiError(500, f"The mock's answer to {operation.operation_id} broke the spec ({problem}); see its log.")
