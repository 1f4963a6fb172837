"""Derive the OpenAPI 3.0.3 view of the 3.1 spec that connexion can load.

connexion 3.3 validates specs against the OpenAPI 3.0 meta-schema and reads `schema["type"]`
when it parses parameters, so it cannot load `spec/openapi.yaml` (OpenAPI 3.1) as it is.
The 3.1 file stays the single source of truth; this module converts it at load time.
Only schema positions are rewritten; every other part of the document is copied unchanged.
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Callable, Iterator
from typing import Any

Schema = dict[str, Any]

_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# 3.1-only document fields that the 3.0 meta-schema rejects.
_ROOT_ONLY_IN_31 = ("webhooks", "jsonSchemaDialect")

# Schema keywords with no 3.0 equivalent; the 3.0 meta-schema rejects them.
_DROPPED_KEYWORDS = frozenset(
    {
        "prefixItems",
        "$schema",
        "$id",
        "$comment",
        "contentMediaType",
        "contentEncoding",
        "unevaluatedProperties",
        "unevaluatedItems",
        "dependentRequired",
        "dependentSchemas",
        "if",
        "then",
        "else",
        "patternProperties",
        "propertyNames",
        "contains",
        "minContains",
        "maxContains",
    }
)

# (3.1 numeric exclusive bound, 3.0 inclusive bound, "inclusive bound is already stricter").
_EXCLUSIVE_BOUNDS: tuple[tuple[str, str, Callable[[Any, Any], bool]], ...] = (
    ("exclusiveMinimum", "minimum", operator.gt),
    ("exclusiveMaximum", "maximum", operator.lt),
)


def to_openapi30(spec: dict) -> dict:
    """Return an OpenAPI 3.0.3 document equivalent to the 3.1 `spec`, for connexion. Pure: never mutates `spec`."""
    doc = copy.deepcopy(spec)
    _downgrade_root(doc)
    for path_item in _entries(doc.get("paths", {})):
        _convert_path_item(path_item)
    _convert_components(doc.get("components", {}))
    return doc


# --- document walk (mutates the private deep copy made by to_openapi30) ---


def _downgrade_root(doc: dict) -> None:
    # connexion validates the document against the 3.0 meta-schema, which knows none of these.
    doc["openapi"] = "3.0.3"
    for key in _ROOT_ONLY_IN_31:
        doc.pop(key, None)
    info = doc.get("info", {})
    info.pop("summary", None)
    info.get("license", {}).pop("identifier", None)


def _entries(mapping: dict) -> Iterator[Any]:
    # Vendor extensions (`x-*`) in paths/responses/callbacks maps are not objects to convert.
    return (value for key, value in mapping.items() if not str(key).startswith("x-"))


def _convert_path_item(path_item: dict) -> None:
    _convert_parameters(path_item.get("parameters", []))
    for method in _HTTP_METHODS:
        if method in path_item:
            _convert_operation(path_item[method])


def _convert_operation(operation: dict) -> None:
    _convert_parameters(operation.get("parameters", []))
    _convert_content(operation.get("requestBody", {}).get("content", {}))
    for response in _entries(operation.get("responses", {})):
        _convert_response(response)
    for callback in operation.get("callbacks", {}).values():
        _convert_callback(callback)


def _convert_callback(callback: dict) -> None:
    for path_item in _entries(callback):
        _convert_path_item(path_item)


def _convert_parameters(parameters: list[dict]) -> None:
    for parameter in parameters:
        _convert_parameter(parameter)


def _convert_parameter(parameter: dict) -> None:
    if "schema" in parameter:
        parameter["schema"] = _without_nullable(_convert_schema(parameter["schema"]))
    _convert_content(parameter.get("content", {}))


def _without_nullable(schema: Any) -> Any:
    # connexion turns the string "null" in a nullable parameter into None before the handler.
    if isinstance(schema, dict):
        return {key: value for key, value in schema.items() if key != "nullable"}
    return schema


def _convert_response(response: dict) -> None:
    _convert_headers(response.get("headers", {}))
    _convert_content(response.get("content", {}))


def _convert_headers(headers: dict) -> None:
    for header in headers.values():
        if "schema" in header:
            header["schema"] = _convert_schema(header["schema"])
        _convert_content(header.get("content", {}))


def _convert_content(content: dict) -> None:
    for media_type in content.values():
        if "schema" in media_type:
            media_type["schema"] = _convert_schema(media_type["schema"])
        for encoding in media_type.get("encoding", {}).values():
            _convert_headers(encoding.get("headers", {}))


def _convert_components(components: dict) -> None:
    schemas = components.get("schemas", {})
    for name, schema in schemas.items():
        schemas[name] = _convert_schema(schema)
    for parameter in components.get("parameters", {}).values():
        _convert_parameter(parameter)
    for response in components.get("responses", {}).values():
        _convert_response(response)
    for request_body in components.get("requestBodies", {}).values():
        _convert_content(request_body.get("content", {}))
    _convert_headers(components.get("headers", {}))
    for callback in components.get("callbacks", {}).values():
        _convert_callback(callback)


# --- schema conversion (pure: returns new dicts) ---


def _convert_schema(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return schema
    converted = _collapse_null_union(schema)
    converted = _drop_unsupported_keywords(converted)
    converted = _type_list_to_single_type(converted)
    converted = _null_type_to_null_enum(converted)
    converted = _const_to_enum(converted)
    converted = _examples_to_example(converted)
    converted = _exclusive_bounds_to_flags(converted)
    return _convert_subschemas(converted)


def _is_null_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null"


def _collapse_null_union(schema: Schema) -> Schema:
    # 3.0 has no null type, and connexion reads `schema["type"]` where 3.1 puts an anyOf with null.
    for keyword in ("anyOf", "oneOf"):
        members = schema.get(keyword)
        if isinstance(members, list) and any(map(_is_null_schema, members)):
            return _collapse_null_union(_without_null_member(schema, keyword))
    return schema


def _without_null_member(schema: Schema, keyword: str) -> Schema:
    # A lone $ref is merged too: an allOf wrapper around it makes connexion reject null.
    rest = [member for member in schema[keyword] if not _is_null_schema(member)]
    siblings = {key: value for key, value in schema.items() if key != keyword}
    siblings["nullable"] = True
    if not rest:
        return {**siblings, "type": "null"}
    if len(rest) == 1 and _mergeable(rest[0], siblings):
        return {**rest[0], **siblings}
    return {**siblings, keyword: rest}


def _mergeable(member: Any, siblings: Schema) -> bool:
    # Merging must not overwrite a keyword the member and the outer schema both set differently.
    return isinstance(member, dict) and all(
        siblings[key] == value for key, value in member.items() if key in siblings
    )


def _drop_unsupported_keywords(schema: Schema) -> Schema:
    # 3.0 has no equivalent; the 3.1 file stays authoritative for full validation.
    return {key: value for key, value in schema.items() if key not in _DROPPED_KEYWORDS}


def _type_list_to_single_type(schema: Schema) -> Schema:
    # 3.0 `type` is a single string; "null" becomes nullable, several types become anyOf.
    types = schema.get("type")
    if not isinstance(types, list):
        return schema
    converted = {key: value for key, value in schema.items() if key != "type"}
    non_null = [type_ for type_ in types if type_ != "null"]
    if len(non_null) < len(types):
        converted["nullable"] = True
    if len(non_null) == 1:
        converted["type"] = non_null[0]
    elif non_null:
        converted = _with_any_of(converted, [{"type": type_} for type_ in non_null])
    else:
        converted["type"] = "null"
    return converted


def _with_any_of(schema: Schema, alternatives: list[Schema]) -> Schema:
    # An existing anyOf must still hold, so the new one is AND-ed in through allOf.
    if "anyOf" not in schema:
        return {**schema, "anyOf": alternatives}
    return {**schema, "allOf": [*schema.get("allOf", []), {"anyOf": alternatives}]}


def _null_type_to_null_enum(schema: Schema) -> Schema:
    # 3.0 cannot say `type: null`; a nullable enum whose only value is null means the same.
    if schema.get("type") != "null":
        return schema
    converted = {key: value for key, value in schema.items() if key != "type"}
    return {**converted, "enum": [None], "nullable": True}


def _const_to_enum(schema: Schema) -> Schema:
    # 3.0 has no `const`; a one-value enum is equivalent.
    if "const" not in schema:
        return schema
    converted = {key: value for key, value in schema.items() if key != "const"}
    return {**converted, "enum": [schema["const"]]}


def _examples_to_example(schema: Schema) -> Schema:
    # 3.0 schemas take a single `example`, not a JSON Schema `examples` array.
    examples = schema.get("examples")
    if not isinstance(examples, list):
        return schema
    converted = {key: value for key, value in schema.items() if key != "examples"}
    if examples and "example" not in converted:
        converted["example"] = examples[0]
    return converted


def _exclusive_bounds_to_flags(schema: Schema) -> Schema:
    # 3.0 (JSON Schema draft 4) exclusive bounds are booleans qualifying minimum/maximum.
    converted = dict(schema)
    for exclusive, inclusive, stricter in _EXCLUSIVE_BOUNDS:
        bound = converted.get(exclusive)
        if isinstance(bound, bool) or not isinstance(bound, (int, float)):
            continue
        if inclusive in converted and stricter(converted[inclusive], bound):
            del converted[exclusive]
        else:
            converted[inclusive] = bound
            converted[exclusive] = True
    return converted


def _convert_subschemas(schema: Schema) -> Schema:
    converted = dict(schema)
    if isinstance(converted.get("properties"), dict):
        converted["properties"] = {
            name: _convert_schema(subschema) for name, subschema in converted["properties"].items()
        }
    for keyword in ("items", "additionalProperties", "not"):
        if keyword in converted:
            converted[keyword] = _convert_schema(converted[keyword])
    for keyword in ("allOf", "anyOf", "oneOf"):
        if isinstance(converted.get(keyword), list):
            converted[keyword] = [_convert_schema(member) for member in converted[keyword]]
    return converted
