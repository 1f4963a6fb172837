"""The workspace API's spec: a valid OpenAPI 3.1 document that says what CONTRACT-workspace decides,
with examples that exist in the mock's default data."""

from __future__ import annotations

import jsonschema_rs
import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from starlette.testclient import TestClient

from api_model import APIS, load
from contract_tests.contract import Contract
from mock_server import MockConfig, build
from tests.test_spec import check_open_bounds

LOADED = load(APIS["workspace"])
DOCUMENT = LOADED.document
BASE = "/api/v1/org/{org}/ws/{workspace}/sessions"
OPERATIONS = {
    "create_session": ("POST", BASE, "write", 201),
    "list_sessions": ("GET", BASE, "read", 200),
    "get_session": ("GET", BASE + "/{session_id}", "read", 200),
    "update_session": ("PATCH", BASE + "/{session_id}", "write", 200),
    "archive_session": ("POST", BASE + "/{session_id}/archive", "write", 200),
    "unarchive_session": ("POST", BASE + "/{session_id}/unarchive", "write", 200),
    "delete_session": ("DELETE", BASE + "/{session_id}", "write", 204),
}
ERRORS_EVERYWHERE = {400, 401, 403, 404, 409, 422, 426, 429, 500, 502, 504}
CONTRACT_TYPES = {
    "bad_request", "unauthenticated", "forbidden", "not_found", "session_not_found", "method_not_allowed",
    "already_exists", "session_archived", "unsupported_media_type", "validation_error", "upgrade_required",
    "rate_limited", "internal_error", "bad_gateway", "gateway_timeout",
}


def test_is_valid_openapi_31():
    assert DOCUMENT["openapi"] == "3.1.0"
    validate(DOCUMENT, cls=OpenAPIV31SpecValidator)


def test_the_seven_operations_with_their_roles_and_success_statuses():
    assert {op_id: (op.method, op.path, op.permission, op.success) for op_id, op in LOADED.operations.items()} == OPERATIONS
    assert LOADED.operations["delete_session"].success_schema is None  # 204: no body


@pytest.mark.parametrize("operation", LOADED.operations.values(), ids=lambda op: op.operation_id)
def test_every_error_status_is_documented_with_the_envelope(operation):
    expected = ERRORS_EVERYWHERE | ({415} if operation.body_pointer else set())
    assert set(operation.statuses) - {operation.success} == expected
    for status in expected:
        content = DOCUMENT["paths"][operation.path][operation.method.lower()]["responses"][str(status)]
        assert "$ref" in content  # one shared component per status


def test_error_types_are_the_contracts_closed_list():
    assert set(DOCUMENT["components"]["schemas"]["ErrorType"]["enum"]) == CONTRACT_TYPES
    assert set(LOADED.errors.types) == CONTRACT_TYPES


def test_envelope_has_exactly_the_four_members():
    envelope = DOCUMENT["components"]["schemas"]["Error"]
    assert envelope["additionalProperties"] is False
    assert set(envelope["properties"]) == set(envelope["required"]) == {"type", "status", "message", "details"}


def test_responses_with_a_session_link_to_every_operation_on_it():
    links = DOCUMENT["components"]["responses"]["Session"]["links"]
    assert {link["operationId"] for link in links.values()} == set(OPERATIONS) - {"create_session", "list_sessions"}


def _registry_validator(pointer: str) -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator({"$ref": f"urn:doc#{pointer}"},
                                              registry=jsonschema_rs.Registry([("urn:doc", DOCUMENT)]))


def test_schema_examples_validate():
    for name, schema in DOCUMENT["components"]["schemas"].items():
        for example in schema.get("examples", []):
            _registry_validator(f"/components/schemas/{name}").validate(example)


def test_path_examples_exist_in_the_mocks_default_data():
    """`Try it out` with the default writer key reaches a real session."""
    parameters = DOCUMENT["components"]["parameters"]
    org, workspace, session_id = (next(iter(parameters[name]["examples"].values()))["value"]
                                  for name in ("Org", "Workspace", "SessionId"))
    client = TestClient(build(MockConfig(spec_path=APIS["workspace"])).app)
    answer = client.get(f"/api/v1/org/{org}/ws/{workspace}/sessions/{session_id}",
                        headers={"Authorization": "Bearer ws_mock_writer"})
    assert answer.status_code == 200, answer.text
    example = DOCUMENT["components"]["schemas"]["Session"]["examples"][0]
    served = answer.json()
    assert {k: served[k] for k in ("id", "org", "workspace", "title", "labels", "origin", "user_id", "creator", "usage")} == \
        {k: example[k] for k in ("id", "org", "workspace", "title", "labels", "origin", "user_id", "creator", "usage")}


# The bounds CONTRACT-workspace fixes (its table, section 1 and section 5); every other bound an input has is open.
CONTRACT_BOUNDS = {
    **{(op, "title"): {"minLength": 1, "maxLength": 200} for op in ("create_session", "update_session")},
    **{(op, "labels"): {"maxProperties": 20} for op in ("create_session", "update_session")},
    **{(op, "session_id"): {"maxLength": 36} for op in OPERATIONS},  # a UUID
    **{(op, name): {"maxLength": 63} for op in OPERATIONS for name in ("org", "workspace")},  # the slug pattern
    ("list_sessions", "limit"): {"minimum": 1, "maximum": 100},
    ("list_sessions", "cursor"): {"minLength": 1},
    ("list_sessions", "label[]"): {"maxLength": 128},  # a key of 63, a colon, a value of 64
}


def test_the_contracts_bounds_are_strict_and_every_other_bound_is_open():
    check_open_bounds(LOADED, CONTRACT_BOUNDS)
    labels = Contract(LOADED).body_members(LOADED.operations["create_session"])["labels"]
    values = labels["additionalProperties"]
    assert (labels["maxProperties"], values["minItems"], values["maxItems"], values["items"]["minLength"],
            values["items"]["maxLength"]) == (20, 1, 10, 1, 64)
