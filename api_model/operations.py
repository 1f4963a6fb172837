"""The operations of an OpenAPI 3.1 document, indexed: paths, methods, parameters, bodies, answers.

What the document says is read from it, once: a path, a method, a permission, a schema or a
documented status changes in the YAML, not in code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .document import SpecError, escape_pointer, resolve_ref

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
JSON = "application/json"


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path, query or header
    required: bool
    schema: dict[str, Any]
    schema_pointer: str  # JSON pointer of its schema in the document


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    path: str  # template, e.g. /orgs/{org}/sessions
    pointer: str  # JSON pointer of the operation object in the document
    parameters: tuple[Parameter, ...]  # path-level ones included
    body_pointer: str | None  # JSON pointer of the application/json body schema
    body_required: bool
    permission: str | None
    secured: bool
    statuses: tuple[int, ...]  # documented response statuses
    success: int  # the documented 2xx status
    success_schema: str | None  # the name of the 2xx JSON body's schema (components/schemas), if any
    declaration: dict[str, Any] = field(default_factory=dict, compare=False)  # its `x-kit`

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def fill(self, values: dict[str, Any]) -> str:
        """The path with these path parameters' values, each percent-encoded as one segment."""
        path = self.path
        for name, value in values.items():
            path = path.replace(f"{{{name}}}", quote(str(value), safe=""))
        return path


@dataclass
class PathTemplate:
    template: str
    regex: re.Pattern[str]
    operations: dict[str, Operation] = field(default_factory=dict)  # by method


def _template_regex(template: str) -> re.Pattern[str]:
    # A path parameter is one whole segment; [^/] also matches a newline, so `id%0A`
    # reaches validation (and is refused there) instead of looking like an unknown route.
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(pattern)


def _success(document: dict[str, Any], op: dict[str, Any], operation_id: str) -> tuple[int, str | None]:
    codes = sorted(int(code) for code in op.get("responses", {}) if code.isdigit() and code.startswith("2"))
    if not codes:
        raise SpecError(f"{operation_id}: documents no 2xx response")
    raw = op["responses"][str(codes[0])]
    schema_ref = resolve_ref(document, raw).get("content", {}).get(JSON, {}).get("schema", {}).get("$ref", "")
    name = schema_ref.removeprefix("#/components/schemas/") if schema_ref.startswith("#/components/schemas/") else None
    return codes[0], name


def index(document: dict[str, Any]) -> tuple[dict[str, Operation], list[PathTemplate]]:
    """Every operation by operationId, and the path templates in document order."""
    operations: dict[str, Operation] = {}
    paths: list[PathTemplate] = []
    global_security = document.get("security", [])
    for template, path_item in document.get("paths", {}).items():
        path_template = PathTemplate(template, _template_regex(template))
        shared_parameters = path_item.get("parameters", [])
        for method in HTTP_METHODS:
            op = path_item.get(method)
            if op is None:
                continue
            pointer = f"/paths/{escape_pointer(template)}/{method}"
            operation_id = op.get("operationId") or f"{method.upper()} {template}"
            parameters: dict[tuple[str, str], Parameter] = {}
            declared = [(f"/paths/{escape_pointer(template)}/parameters", shared_parameters),
                        (f"{pointer}/parameters", op.get("parameters", []))]
            for list_pointer, raw_parameters in declared:
                for position, raw in enumerate(raw_parameters):
                    at = raw["$ref"].removeprefix("#") if "$ref" in raw else f"{list_pointer}/{position}"
                    parameter = resolve_ref(document, raw)
                    # Operation-level parameters override path-level ones of the same name.
                    parameters[(parameter["in"], parameter["name"])] = Parameter(
                        parameter["name"], parameter["in"], bool(parameter.get("required")),
                        parameter.get("schema", {}), f"{at}/schema",
                    )
            body = resolve_ref(document, op.get("requestBody", {}))
            has_json_body = JSON in body.get("content", {})
            if has_json_body and "$ref" in op.get("requestBody", {}):
                raise SpecError(f"{operation_id}: inline the requestBody, not a $ref")
            success, success_schema = _success(document, op, operation_id)
            operation = Operation(
                operation_id=operation_id,
                method=method.upper(),
                path=template,
                pointer=pointer,
                parameters=tuple(parameters.values()),
                body_pointer=f"{pointer}/requestBody/content/application~1json/schema" if has_json_body else None,
                body_required=bool(body.get("required")),
                permission=op.get("x-required-permission"),
                secured=bool(op.get("security", global_security)),
                statuses=tuple(sorted(int(code) for code in op.get("responses", {}) if code.isdigit())),
                success=success,
                success_schema=success_schema,
                declaration=op.get("x-kit") or {},
            )
            operations[operation.operation_id] = operation
            path_template.operations[operation.method] = operation
        paths.append(path_template)
    return operations, paths
