"""Unit tests for the OpenAPI 3.1 -> 3.0.3 conversion that lets connexion load the spec."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import connexion
import pytest
import yaml
from connexion.resolver import Resolver
from openapi_spec_validator import OpenAPIV30SpecValidator, validate
from starlette.responses import JSONResponse

from mock_server.spec_convert import to_openapi30

SPEC_PATH = Path(__file__).parents[1] / "spec" / "openapi.yaml"
REF_A = "#/components/schemas/A"
NULL = {"type": "null"}


def _document(**fields: Any) -> dict:
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}, **fields}


def _convert_schema(schema: dict) -> dict:
    converted = to_openapi30(_document(components={"schemas": {"S": schema}}))
    return converted["components"]["schemas"]["S"]


def _find(node: Any, wanted: Any) -> int:
    """How many times `wanted` occurs as a value anywhere in `node`."""
    if node == wanted:
        return 1
    if isinstance(node, dict):
        return sum(_find(value, wanted) for value in node.values())
    if isinstance(node, list):
        return sum(_find(item, wanted) for item in node)
    return 0


@pytest.fixture(scope="module")
def real_spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def test_openapi_version_becomes_303() -> None:
    assert to_openapi30(_document(openapi="3.1.1"))["openapi"] == "3.0.3"


def test_31_only_document_fields_are_dropped() -> None:
    spec = _document(
        webhooks={"ping": {}},
        jsonSchemaDialect="https://spec.openapis.org/oas/3.1/dialect/base",
        info={
            "title": "t",
            "version": "1",
            "summary": "s",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
    )

    converted = to_openapi30(spec)

    assert "webhooks" not in converted
    assert "jsonSchemaDialect" not in converted
    assert converted["info"] == {"title": "t", "version": "1", "license": {"name": "MIT"}}


@pytest.mark.parametrize("keyword", ["anyOf", "oneOf"])
def test_null_member_is_dropped_and_the_single_remaining_member_merged(keyword: str) -> None:
    schema = {
        keyword: [{"type": "string", "maxLength": 200}, NULL],
        "title": "Title",
        "description": "d",
        "default": None,
    }

    assert _convert_schema(schema) == {
        "type": "string",
        "maxLength": 200,
        "nullable": True,
        "title": "Title",
        "description": "d",
        "default": None,
    }


def test_null_member_next_to_a_ref_gives_a_nullable_ref() -> None:
    schema = {"anyOf": [{"$ref": REF_A}, NULL], "description": "d"}

    assert _convert_schema(schema) == {"$ref": REF_A, "nullable": True, "description": "d"}


def test_null_member_among_several_keeps_the_others_under_the_same_keyword() -> None:
    schema = {"oneOf": [{"type": "string"}, {"$ref": REF_A}, NULL], "title": "T"}

    assert _convert_schema(schema) == {
        "oneOf": [{"type": "string"}, {"$ref": REF_A}],
        "nullable": True,
        "title": "T",
    }


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        pytest.param(
            {"anyOf": [{"type": "string", "description": "inner"}, NULL], "description": "outer"},
            {"anyOf": [{"type": "string", "description": "inner"}], "description": "outer", "nullable": True},
            id="member-conflicting-with-a-sibling-is-not-merged",
        ),
        pytest.param({"anyOf": [NULL]}, {"enum": [None], "nullable": True}, id="only-null"),
        pytest.param(
            {"anyOf": [{"oneOf": [{"type": "integer"}, NULL]}, NULL]},
            {"type": "integer", "nullable": True},
            id="nested-null-unions",
        ),
        pytest.param(
            {"anyOf": [{"const": "a", "examples": ["a"]}, NULL]},
            {"enum": ["a"], "example": "a", "nullable": True},
            id="merged-member-is-converted",
        ),
    ],
)
def test_null_member_edge_cases(schema: dict, expected: dict) -> None:
    assert _convert_schema(schema) == expected


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        pytest.param(
            {"type": ["integer", "null"], "minimum": 0},
            {"type": "integer", "nullable": True, "minimum": 0},
            id="with-null",
        ),
        pytest.param(
            {"type": ["string", "integer"]},
            {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            id="without-null",
        ),
        pytest.param(
            {"type": ["string", "integer", "null"]},
            {"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": True},
            id="several-with-null",
        ),
        pytest.param(
            {"type": ["string", "integer"], "anyOf": [{"minLength": 1}, {"minimum": 1}]},
            {
                "anyOf": [{"minLength": 1}, {"minimum": 1}],
                "allOf": [{"anyOf": [{"type": "string"}, {"type": "integer"}]}],
            },
            id="next-to-an-existing-anyOf",
        ),
    ],
)
def test_type_list_becomes_a_single_type(schema: dict, expected: dict) -> None:
    assert _convert_schema(schema) == expected


@pytest.mark.parametrize("type_", ["null", ["null"]])
def test_null_type_becomes_a_nullable_null_enum(type_: Any) -> None:
    assert _convert_schema({"type": type_}) == {"enum": [None], "nullable": True}


def test_const_becomes_a_single_value_enum() -> None:
    assert _convert_schema({"type": "string", "const": "bad_request"}) == {
        "type": "string",
        "enum": ["bad_request"],
    }


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        pytest.param({"type": "string", "examples": ["a", "b"]}, {"type": "string", "example": "a"}, id="first"),
        pytest.param({"examples": ["a"], "example": "kept"}, {"example": "kept"}, id="example-kept"),
        pytest.param({"examples": []}, {}, id="empty"),
    ],
)
def test_schema_examples_become_example(schema: dict, expected: dict) -> None:
    assert _convert_schema(schema) == expected


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        pytest.param({"exclusiveMinimum": 0}, {"minimum": 0, "exclusiveMinimum": True}, id="minimum"),
        pytest.param({"exclusiveMaximum": 1.5}, {"maximum": 1.5, "exclusiveMaximum": True}, id="maximum"),
        pytest.param({"minimum": 5, "exclusiveMinimum": 0}, {"minimum": 5}, id="stricter-minimum"),
        pytest.param({"maximum": 3, "exclusiveMaximum": 5}, {"maximum": 3}, id="stricter-maximum"),
        pytest.param({"maximum": 5, "exclusiveMaximum": 5}, {"maximum": 5, "exclusiveMaximum": True}, id="equal"),
        pytest.param({"minimum": 0, "exclusiveMinimum": True}, {"minimum": 0, "exclusiveMinimum": True}, id="3.0-form"),
    ],
)
def test_numeric_exclusive_bounds_become_boolean_flags(schema: dict, expected: dict) -> None:
    assert _convert_schema(schema) == expected


@pytest.mark.parametrize(
    "keyword",
    [
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
    ],
)
def test_keywords_without_30_equivalent_are_dropped(keyword: str) -> None:
    assert _convert_schema({"type": "array", keyword: {"type": "string"}}) == {"type": "array"}


def test_parameter_schemas_lose_nullable() -> None:
    nullable_string = {"anyOf": [{"type": "string"}, NULL]}
    parameter = {"name": "p", "in": "query", "schema": nullable_string}
    spec = _document(
        paths={
            "/x": {
                "parameters": [parameter],
                "get": {"parameters": [parameter], "responses": {"200": {"description": "ok"}}},
            }
        },
        components={"parameters": {"P": parameter}},
    )

    converted = to_openapi30(spec)

    path_item = converted["paths"]["/x"]
    for converted_parameter in (
        path_item["parameters"][0],
        path_item["get"]["parameters"][0],
        converted["components"]["parameters"]["P"],
    ):
        assert converted_parameter["schema"] == {"type": "string"}


def test_every_schema_position_is_converted() -> None:
    # Builders, not shared dicts: every position gets its own objects, as in a parsed file.
    def schema() -> dict:
        return {"const": "v"}

    def media() -> dict:
        return {"application/json": {"schema": schema()}}

    def headers() -> dict:
        return {"H": {"schema": schema()}, "J": {"content": media()}}

    def encoded() -> dict:
        return {"multipart/form-data": {"schema": schema(), "encoding": {"f": {"headers": headers()}}}}

    def response() -> dict:
        return {"description": "ok", "headers": headers(), "content": media()}

    def parameters() -> list[dict]:
        return [{"name": "p", "in": "query", "schema": schema()}, {"name": "q", "in": "query", "content": media()}]

    def operation() -> dict:
        return {"parameters": parameters(), "requestBody": {"content": encoded()}, "responses": {"200": response()}}

    def callback() -> dict:
        return {"{$request.body#/url}": {"parameters": parameters(), "post": operation()}}

    spec = _document(
        paths={"/x": {"parameters": parameters(), "get": {**operation(), "callbacks": {"done": callback()}}}},
        components={
            "schemas": {"S": schema()},
            "parameters": {"P": parameters()[0]},
            "responses": {"R": response()},
            "requestBodies": {"B": {"content": media()}},
            "headers": headers(),
            "callbacks": {"C": callback()},
        },
    )
    positions = _find(spec, schema())

    converted = to_openapi30(spec)

    assert _find(converted, schema()) == 0
    assert _find(converted, {"enum": ["v"]}) == positions


def test_schemas_are_converted_at_any_depth() -> None:
    leaf = {"type": ["string", "null"], "const": "v"}
    schema: dict = {"type": "object", "properties": {"leaf": leaf}}
    for keyword in ("items", "additionalProperties", "not"):
        schema = {keyword: schema}
    for keyword in ("allOf", "anyOf", "oneOf"):
        schema = {keyword: [schema, {"type": "object", "additionalProperties": True}]}

    converted = _convert_schema(schema)

    assert _find(converted, {"type": "string", "nullable": True, "enum": ["v"]}) == 1
    assert _find(converted, leaf) == 0
    assert _find(converted, {"type": "object", "additionalProperties": True}) == 3


def test_refs_are_left_unresolved() -> None:
    ref_schema = {"$ref": REF_A}
    spec = _document(
        paths={
            "/x": {
                "parameters": [{"$ref": "#/components/parameters/P"}],
                "post": {
                    "requestBody": {"$ref": "#/components/requestBodies/B"},
                    "responses": {
                        "200": {"$ref": "#/components/responses/R"},
                        "201": {"description": "ok", "content": {"application/json": {"schema": ref_schema}}},
                    },
                },
            }
        },
        components={
            "schemas": {
                "A": {"type": "object", "properties": {"self": ref_schema, "list": {"items": ref_schema}}},
            },
        },
    )

    converted = to_openapi30(spec)

    assert converted["paths"] == spec["paths"]
    assert converted["components"] == spec["components"]


def test_non_schema_places_are_left_as_they_are() -> None:
    looks_like_a_schema = {"const": 1, "type": ["string", "null"], "examples": [1], "exclusiveMinimum": 0}
    examples = {"one": {"value": looks_like_a_schema}}
    links = {"L": {"operationId": "get_x", "parameters": {"id": "$response.body#/id"}}}
    spec = _document(
        paths={
            "x-paths-extension": {"get": {"parameters": [{"name": "p", "in": "query", "schema": looks_like_a_schema}]}},
            "/x": {
                "x-path-extension": looks_like_a_schema,
                "get": {
                    "x-operation-extension": looks_like_a_schema,
                    "parameters": [
                        {
                            "name": "p",
                            "in": "query",
                            "schema": {"type": "string", "x-schema-extension": looks_like_a_schema},
                            "examples": examples,
                        }
                    ],
                    "responses": {
                        "x-responses-extension": {"content": {"application/json": {"schema": looks_like_a_schema}}},
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": {"type": "string"}, "examples": examples}},
                            "links": links,
                        },
                    },
                },
            },
        },
        components={"examples": examples, "links": links},
        **{"x-root-extension": looks_like_a_schema},
    )

    converted = to_openapi30(spec)

    assert converted["paths"] == spec["paths"]
    assert converted["components"] == spec["components"]
    assert converted["x-root-extension"] == looks_like_a_schema


def test_conversion_is_idempotent(real_spec: dict) -> None:
    # Nodes shared through YAML aliases are visited once per position; converting twice is harmless.
    converted = to_openapi30(real_spec)

    assert to_openapi30(converted) == converted


def test_input_is_not_mutated(real_spec: dict) -> None:
    before = copy.deepcopy(real_spec)

    converted = to_openapi30(real_spec)
    converted["components"]["schemas"]["Problem"]["properties"]["errors"]["nullable"] = False

    assert real_spec == before


def test_real_spec_is_valid_openapi_30(real_spec: dict) -> None:
    validate(to_openapi30(real_spec), cls=OpenAPIV30SpecValidator)


def test_real_spec_loads_in_connexion(real_spec: dict) -> None:
    app = connexion.AsyncApp(__name__)
    app.add_api(to_openapi30(real_spec), resolver_error=501)

    with app.test_client():  # starting the app builds every operation from the spec
        pass


def test_real_spec_parameters_and_nullable_bodies_work_in_connexion(real_spec: dict) -> None:
    async def echo(**arguments: Any) -> JSONResponse:
        return JSONResponse(arguments)

    document = to_openapi30(real_spec)
    document["security"] = []  # authentication is not what this test is about
    app = connexion.AsyncApp(__name__)
    app.add_api(document, resolver=Resolver(function_resolver=lambda _operation_id: echo))
    sessions = "/v3/organizations/org-a/sessions"

    with app.test_client() as client:
        session = client.get(f"{sessions}/devin-b")
        null_title = client.post(sessions, json={"prompt": "p", "title": None})
        wrong_title = client.post(sessions, json={"prompt": "p", "title": 3})

    assert session.status_code == 200
    assert session.json() == {"org_id": "org-a", "devin_id": "devin-b"}
    assert null_title.status_code == 200
    assert null_title.json()["body"] == {"prompt": "p", "title": None}
    assert wrong_title.status_code == 400
