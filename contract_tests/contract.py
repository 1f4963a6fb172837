"""The contract the suite checks, as it reads it from the spec: operations, their roles, the
representation, the error catalog, the envelope, the page shape and the lifecycle declaration.

Every fact a rule or a test needs comes from here, so the suite checks whichever API its spec
describes. It reads through the shared reader (`api_model`) and interprets with its own code.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import api_model
from api_model import Api, Behaviour, Operation, properties, resolve_ref, schema

OPEN = "x-kit-open"  # the bounds of a schema the contract leaves to the server (docs/declaration.md)


@dataclass(frozen=True)
class Member:
    """A property of a schema: its name and its resolved schema."""

    name: str
    schema: dict[str, Any]


def types_of(node: dict[str, Any]) -> set[str]:
    kinds = node.get("type")
    found = set(kinds) if isinstance(kinds, list) else {kinds} if kinds else set()
    for option in node.get("anyOf", []) + node.get("oneOf", []):
        found |= types_of(option)
    if "enum" in node and not found:
        found = {type(v).__name__.replace("str", "string").replace("NoneType", "null") for v in node["enum"]}
    return found


class Contract:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.document = api.document
        self.kit = api.kit
        self.resource = api.kit.resource
        self.errors = api.errors
        self.envelope = api.kit.envelope
        self.page = api.kit.page

    @classmethod
    def load(cls, path: str | Path) -> Contract:
        return cls(api_model.load(path))

    # -- operations ------------------------------------------------------------------------

    @property
    def operations(self) -> dict[str, Operation]:
        return self.api.operations

    def behaviour(self, op_id: str) -> Behaviour:
        return self.kit.behaviours[op_id]

    def of_kind(self, *kinds: str) -> list[Operation]:
        return [op for op in self.operations.values() if self.behaviour(op.operation_id).kind in kinds]

    def one(self, kind: str) -> Operation:
        found = self.of_kind(kind)
        if not found:
            raise LookupError(f"the API has no {kind} operation")
        return found[0]

    @property
    def create(self) -> Operation:
        return self.one("create")

    @property
    def read(self) -> Operation:
        return self.one("read")

    @property
    def list(self) -> Operation:
        return self.one("list")

    def role(self, role: str) -> Operation | None:
        """The operation that archives or unarchives (the declaration's lifecycle roles)."""
        op_id = self.kit.lifecycle.get(role)
        return self.operations[op_id] if op_id else None

    def targets_one(self, operation: Operation) -> bool:
        return operation.parameter(self.resource.id_parameter) is not None

    def writes(self) -> list[Operation]:
        """Operations that change one existing resource."""
        return self.of_kind("update", "transition", "append")

    def answers_representation(self, operation: Operation) -> bool:
        return operation.success_schema == self.resource.schema

    def methods_of(self, template: str) -> set[str]:
        return next(set(p.operations) for p in self.api.paths if p.template == template)

    @property
    def templates(self) -> list[str]:
        return [p.template for p in self.api.paths]

    # -- schemas ---------------------------------------------------------------------------

    def members(self, schema_name: str) -> dict[str, dict[str, Any]]:
        return {name: self._member(node) for name, node in properties(self.document, schema(self.document, schema_name)).items()}

    def _member(self, node: Any) -> dict[str, Any]:
        """A member's schema, `$ref` resolved; keywords beside the `$ref` (a `default`) win, as in 3.1."""
        resolved = resolve_ref(self.document, node)
        siblings = {k: v for k, v in node.items() if k != "$ref"} if isinstance(node, dict) else {}
        return {**resolved, **siblings} if isinstance(resolved, dict) else siblings

    @cached_property
    def representation(self) -> dict[str, dict[str, Any]]:
        return self.members(self.resource.schema)

    def body_schema(self, operation: Operation) -> dict[str, Any] | None:
        if operation.body_pointer is None:
            return None
        return resolve_ref(self.document, {"$ref": f"#{operation.body_pointer}"})

    def body_members(self, operation: Operation) -> dict[str, dict[str, Any]]:
        body = self.body_schema(operation)
        return {name: self._member(node) for name, node in properties(self.document, body).items()} if body else {}

    def example_body(self, operation: Operation) -> dict[str, Any] | None:
        """A valid body: the schema's first example, else one made of its required members."""
        body = self.body_schema(operation)
        if body is None:
            return None
        examples = body.get("examples") or ([body["example"]] if "example" in body else [])
        if examples and isinstance(examples[0], dict):
            return dict(examples[0])
        return {name: minimal_value(node) for name, node in self.body_members(operation).items()
                if name in body.get("required", [])}

    def resolve(self, node: Any) -> dict[str, Any]:
        """A schema with its `$ref` followed."""
        resolved = resolve_ref(self.document, node)
        return resolved if isinstance(resolved, dict) else {}

    def bounds(self, node: dict[str, Any]) -> dict[str, Any]:
        """A member's schema as one set of keywords: its own, merged with those of its non-null
        `anyOf`/`oneOf` options (where a nullable member keeps its bounds), `x-kit-open` joined."""
        merged = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
        for option in node.get("anyOf", []) + node.get("oneOf", []):
            option = self.resolve(option)
            if option.get("type") != "null":
                merged.update({**option, OPEN: [*merged.get(OPEN, []), *option.get(OPEN, [])]})
        return merged

    @cached_property
    def relaxed_document(self) -> dict[str, Any]:
        """The document without the bounds it marks open: what a server of the contract may accept."""
        document = copy.deepcopy(self.document)
        for pointer, keywords in self.kit.open_bounds.items():
            node: Any = document
            for token in pointer.removeprefix("/").split("/"):
                token = token.replace("~1", "/").replace("~0", "~")
                node = node[int(token)] if isinstance(node, list) else node[token]
            for keyword in (*keywords, OPEN):
                node.pop(keyword, None)
        return document

    def parameter_schema(self, operation: Operation, name: str) -> dict[str, Any]:
        parameter = operation.parameter(name)
        return resolve_ref(self.document, parameter.schema) if parameter else {}

    def largest_page(self, operation: Operation | None = None) -> int:
        """The largest page size `operation` (by default the resource list) takes."""
        size = self.parameter_schema(operation or self.list, self.page.size)
        return int(size.get("maximum", size.get("default", 20)))

    def path_pattern(self, name: str) -> re.Pattern[str] | None:
        """The pattern of a path parameter of the read operation, for `fullmatch` (ECMA-262 reads
        `^...$` as the whole string; Python's `$` would also take a trailing newline)."""
        pattern = self.parameter_schema(self.read, name).get("pattern")
        return re.compile(pattern.removeprefix("^").removesuffix("$")) if pattern else None

    @cached_property
    def id_pattern(self) -> re.Pattern[str] | None:
        return self.path_pattern(self.resource.id_parameter)

    def tenancy_patterns(self) -> dict[str, re.Pattern[str] | None]:
        return {name: self.path_pattern(name) for name in self.resource.tenancy}

    def is_instant(self, member: str) -> bool:
        node = self.representation.get(member, {})
        return member in (self.resource.created, self.resource.updated) or self._date_time(node)

    def _date_time(self, node: dict[str, Any]) -> bool:
        """A `date-time` member, itself or through its `anyOf`/`oneOf` options (`$ref`s followed)."""
        options = [resolve_ref(self.document, o) for o in node.get("anyOf", []) + node.get("oneOf", [])]
        return node.get("format") == "date-time" or any(isinstance(o, dict) and self._date_time(o) for o in options)

    def instant_as_number(self, member: str) -> bool:
        return "integer" in types_of(self.representation.get(member, {}))


def minimal_value(node: dict[str, Any]) -> Any:
    """A small value a schema accepts (for bodies the spec gives no example of)."""
    if "const" in node:
        return node["const"]
    if node.get("enum"):
        return node["enum"][0]
    if "default" in node:
        return node["default"]
    kinds = types_of(node) - {"null"}
    if "string" in kinds:
        return "x" * max(1, node.get("minLength", 1))
    if "integer" in kinds or "number" in kinds:
        return node.get("minimum", 1)
    if "boolean" in kinds:
        return False
    if "array" in kinds:
        return []
    if "object" in kinds:
        return {}
    return None


def means_archived(value: Any) -> bool:
    """What the declared archived member says: a boolean, or an instant that is null unless archived."""
    return value is not None and value is not False
