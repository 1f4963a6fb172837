"""The shipped spec: a valid OpenAPI 3.1 document that says what the contract (docs/contract.md) decides."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

import api_model as spec
from contract_tests.contract import Contract

LOADED = spec.load()
DOCUMENT = LOADED.document
ERRORS_EVERYWHERE = {400, 401, 403, 404, 409, 422, 426, 429, 500, 502, 504}
OPERATIONS = {
    "create_session": ("POST", "/v3/organizations/{org_id}/sessions", "ManageOrgSessions"),
    "list_sessions": ("GET", "/v3/organizations/{org_id}/sessions", "ViewOrgSessions"),
    "get_session": ("GET", "/v3/organizations/{org_id}/sessions/{devin_id}", "ViewOrgSessions"),
    "archive_session": ("POST", "/v3/organizations/{org_id}/sessions/{devin_id}/archive", "ManageOrgSessions"),
    "unarchive_session": ("POST", "/v3/organizations/{org_id}/sessions/{devin_id}/unarchive", "ManageOrgSessions"),
    "send_message": ("POST", "/v3/organizations/{org_id}/sessions/{devin_id}/messages", "ManageOrgSessions"),
    "list_messages": ("GET", "/v3/organizations/{org_id}/sessions/{devin_id}/messages", "ViewOrgSessions"),
    "terminate_session": ("DELETE", "/v3/organizations/{org_id}/sessions/{devin_id}", "ManageOrgSessions"),
    "replace_tags": ("PUT", "/v3/organizations/{org_id}/sessions/{devin_id}/tags", "ManageOrgSessions"),
}


def test_is_valid_openapi_31():
    assert DOCUMENT["openapi"] == "3.1.0"
    validate(DOCUMENT, cls=OpenAPIV31SpecValidator)


def test_the_nine_operations_with_their_permissions():
    assert {op_id: (op.method, op.path, op.permission) for op_id, op in LOADED.operations.items()} == OPERATIONS


@pytest.mark.parametrize("operation", LOADED.operations.values(), ids=lambda op: op.operation_id)
def test_every_error_status_is_documented_with_the_shared_envelope(operation):
    expected = ERRORS_EVERYWHERE | ({413, 415} if operation.body_pointer else set())
    assert set(operation.statuses) - {200} == expected
    responses = spec.resolve_ref(DOCUMENT, {"$ref": f"#{operation.pointer}"})["responses"]
    for status in expected:
        assert set(responses[str(status)]) == {"$ref"}, f"{status} must reuse components/responses"
        shared = spec.resolve_ref(DOCUMENT, responses[str(status)])
        assert list(shared["content"]) == ["application/problem+json"]


def test_error_types_are_the_closed_list():
    assert DOCUMENT["components"]["schemas"]["ErrorType"]["enum"] == list(LOADED.errors.status)
    assert set(LOADED.errors.of_status(404)) == {"not_found", "session_not_found"}
    assert set(LOADED.errors.of_status(409)) == {"session_archived", "session_terminated", "limit_exceeded"}


def test_challenge_and_retry_after_headers():
    responses = DOCUMENT["components"]["responses"]
    assert responses["Unauthenticated"]["headers"]["WWW-Authenticate"]["required"] is True
    assert responses["RateLimited"]["headers"]["Retry-After"]["schema"]["type"] == "integer"


@pytest.mark.parametrize(("name", "good", "bad"), [
    ("OrgId", "org-abc123", "org-"), ("DevinId", "devin-abc123", "devin_abc"),
    ("DevinIdToArchive", "devin-abc123", "devin_abc"), ("DevinIdToTerminate", "devin-abc123", "devin_abc")])
def test_id_patterns_and_examples(name, good, bad):
    parameter = DOCUMENT["components"]["parameters"][name]
    schema = spec.resolve_ref(DOCUMENT, parameter["schema"])
    assert re.fullmatch(schema["pattern"].strip("^$"), good) and not re.fullmatch(schema["pattern"].strip("^$"), bad)
    assert all(re.fullmatch(schema["pattern"].strip("^$"), example)
               for example in [*schema.get("examples", []), parameter.get("example", good)])


def test_links_point_at_real_operations():
    def links(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "links":
                    yield from value.values()
                else:
                    yield from links(value)
        elif isinstance(node, list):
            for item in node:
                yield from links(item)

    found = list(links(DOCUMENT))
    assert {link["operationId"] for link in found} >= set(OPERATIONS) - {"create_session", "list_sessions"}
    assert all(link["operationId"] in OPERATIONS for link in found)


def test_request_bodies_reject_unknown_properties():
    for name in ("CreateSessionRequest", "SendMessageRequest", "ReplaceTagsRequest"):
        assert DOCUMENT["components"]["schemas"][name]["additionalProperties"] is False


def test_seed_schema_is_kept():
    session = DOCUMENT["components"]["schemas"]["SessionResponse"]
    assert session["required"] == ["session_id", "url", "status", "tags", "org_id", "created_at", "updated_at", "acus_consumed", "pull_requests"]
    assert session["properties"]["status"]["enum"] == ["new", "claimed", "running", "exit", "error", "suspended", "resuming"]


def test_unreadable_or_wrong_spec_is_a_spec_error(tmp_path):
    with pytest.raises(spec.SpecError, match="cannot read"):
        spec.read_document(tmp_path / "missing.yaml")
    (tmp_path / "old.yaml").write_text("openapi: 3.0.3\n")
    with pytest.raises(spec.SpecError, match="not an OpenAPI 3.1"):
        spec.read_document(tmp_path / "old.yaml")
    (tmp_path / "broken.yaml").write_text("openapi: [\n")
    with pytest.raises(spec.SpecError, match="not valid YAML"):
        spec.read_document(tmp_path / "broken.yaml")


# The bounds CONTRACT.md fixes on each body member, each list's query parameters and ids: strict.
# Every other bound the spec gives an input is its own promise, marked open (`x-kit-open`).
CONTRACT_BOUNDS = {
    ("create_session", "prompt"): {"minLength": 1, "maxLength": 100000},
    ("create_session", "title"): {"maxLength": 200},
    ("create_session", "tags"): {"maxItems": 50},
    ("create_session", "max_acu_limit"): {"minimum": 1},
    ("send_message", "message"): {"minLength": 1, "maxLength": 100000},
    ("replace_tags", "tags"): {"maxItems": 50},
    ("list_sessions", "first"): {"minimum": 1, "maximum": 200},
    ("list_sessions", "after"): {"minLength": 1},  # the empty string is no cursor the server issued
    ("list_messages", "first"): {"minimum": 1, "maximum": 200},  # the same page parameters
    ("list_messages", "after"): {"minLength": 1},
}
BOUNDS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minimum", "maximum")


def input_bounds(api):
    """((operationId, input), its bounds) for every body member, parameter and list item of `api`."""
    contract = Contract(api)
    for op_id, op in api.operations.items():
        nodes = {**{name: contract.bounds(node) for name, node in contract.body_members(op).items()},
                 **{p.name: contract.bounds(contract.resolve(p.schema)) for p in op.parameters}}
        for name, node in nodes.items():
            yield (op_id, name), node
            if "items" in node:
                yield (op_id, f"{name}[]"), contract.bounds(contract.resolve(node["items"]))


def check_open_bounds(api, fixed):
    """The bounds `fixed` (by input) are given and strict; every other bound of an input is open."""
    for key, node in input_bounds(api):
        given = {k: node[k] for k in BOUNDS if k in node}
        contracts = fixed.get(key, {})
        assert {k: given.get(k) for k in contracts} == contracts, f"{key}: the contract's bounds are {contracts}"
        assert not set(contracts) & set(node.get("x-kit-open", ())), f"{key}: a bound the contract fixes is marked open"
        assert set(given) - set(contracts) <= set(node.get("x-kit-open", ())), \
            f"{key}: {sorted(set(given) - set(contracts))} go beyond the contract, so they are open"


def test_the_contracts_bounds_are_strict_and_every_other_bound_is_open():
    tags = {(op, "tags[]"): {"minLength": 1, "maxLength": 64} for op in ("create_session", "replace_tags")}
    check_open_bounds(LOADED, {**CONTRACT_BOUNDS, **tags})
    assert dict(input_bounds(LOADED))[("create_session", "max_acu_limit")]["maximum"] >= 1000  # generous enough to use
