"""The shipped OpenAPI 3.1 document, read once and indexed for the request pipeline.

Every stage (route, auth, validate) reads its rules from here, so the spec stays the single
source of truth: a path, a permission or a schema changes in the YAML, not in code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sessions_spec import OPENAPI_PATH as DEFAULT_SPEC

from .yaml_files import FileError, read_yaml

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


class SpecError(FileError):
    """The spec file cannot be read or is not an OpenAPI 3.1 document."""


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
    path: str  # template, e.g. /v3/organizations/{org_id}/sessions
    pointer: str  # JSON pointer of the operation object in the document
    parameters: tuple[Parameter, ...]  # path-level ones included
    body_pointer: str | None  # JSON pointer of the application/json body schema
    body_required: bool
    permission: str | None
    secured: bool
    statuses: tuple[int, ...]  # documented response statuses


@dataclass
class PathTemplate:
    template: str
    regex: re.Pattern[str]
    operations: dict[str, Operation] = field(default_factory=dict)  # by method


@dataclass
class ApiSpec:
    document: dict[str, Any]
    operations: dict[str, Operation]
    paths: list[PathTemplate]


def read_document(path: str | Path) -> dict[str, Any]:
    try:
        document = read_yaml(path, "spec")
    except FileError as exc:
        raise SpecError(str(exc)) from exc
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3.1"):
        raise SpecError(f"spec {path} is not an OpenAPI 3.1 document")
    return document


def escape_pointer(token: str) -> str:
    """`token` as one JSON pointer segment."""
    return token.replace("~", "~0").replace("/", "~1")


def resolve_ref(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow local `$ref`s (`#/components/...`) until a concrete object."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for token in node["$ref"].removeprefix("#/").split("/"):
            target = target[token.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _template_regex(template: str) -> re.Pattern[str]:
    # A path parameter is one whole segment; [^/] also matches a newline, so `devin-x%0A`
    # reaches validation (and is refused there) instead of looking like an unknown route.
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(pattern)


def index(document: dict[str, Any]) -> ApiSpec:
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
            has_json_body = "application/json" in body.get("content", {})
            operation = Operation(
                operation_id=op["operationId"],
                method=method.upper(),
                path=template,
                pointer=pointer,
                parameters=tuple(parameters.values()),
                body_pointer=f"{pointer}/requestBody/content/application~1json/schema" if has_json_body else None,
                body_required=bool(body.get("required")),
                permission=op.get("x-required-permission"),
                secured=bool(op.get("security", global_security)),
                statuses=tuple(sorted(int(code) for code in op.get("responses", {}) if code.isdigit())),
            )
            if has_json_body and "$ref" in op.get("requestBody", {}):
                raise SpecError(f"{operation.operation_id}: inline the requestBody, not a $ref")
            operations[operation.operation_id] = operation
            path_template.operations[operation.method] = operation
        paths.append(path_template)
    return ApiSpec(document, operations, paths)


def load(path: str | Path = DEFAULT_SPEC) -> ApiSpec:
    return index(read_document(path))
