"""The shipped specs' examples are real: each error status documents an example of its own, valid
against its schema, and the path examples name tenants and sessions of the mock's default data, so
that every operation's first "Try it out" with the default token succeeds."""

from __future__ import annotations

import jsonschema_rs
import pytest

from api_model import APIS, load, resolve_ref
from api_model.examples import example_of, example_request
from mock_server import MockConfig, build

TOKENS = {"v3": "cog_mock_admin", "workspace": "ws_mock_writer"}


def error_responses(api):
    """(operation, status, media type object) for every documented error of every operation."""
    for operation in api.operations.values():
        responses = api.document["paths"][operation.path][operation.method.lower()]["responses"]
        for status, response in responses.items():
            if int(status) >= 400:
                resolved = api.document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
                yield operation, int(status), next(iter(resolved["content"].values()))


@pytest.mark.parametrize("name", APIS)
def test_every_error_status_documents_its_own_valid_example(name):
    api = load(APIS[name])
    registry = jsonschema_rs.Registry([("urn:doc", api.document)])
    type_member = api.kit.envelope.members["type"]
    status_member = api.kit.envelope.members["status"]
    for operation, status, media in error_responses(api):
        example = media.get("example")
        assert example is not None, f"{operation.operation_id} {status}: no example"
        assert example[status_member] == status and api.errors.status[example[type_member]] == status
        pointer = media["schema"]["$ref"].removeprefix("#")
        jsonschema_rs.Draft202012Validator({"$ref": f"urn:doc#{pointer}"}, registry=registry).validate(example)


@pytest.mark.parametrize("order", ["as documented", "reversed"])
@pytest.mark.parametrize("name", APIS)
def test_every_operation_example_answers_2xx_with_the_default_token(name, order):
    """Each operation's "Try it out", clicked once in either order on a fresh mock: no example
    names a session another example archives, terminates or deletes."""
    api = load(APIS[name])
    operations = list(api.operations.values())
    client = build(MockConfig(spec_path=APIS[name])).app.test_client()
    for operation in operations if order == "as documented" else operations[::-1]:
        method, path, body = example_request(api, operation)
        answer = client.request(method, path, json=body, headers={"Authorization": f"Bearer {TOKENS[name]}"})
        assert 200 <= answer.status_code < 300, f"{operation.operation_id} {method} {path}: {answer.text}"


@pytest.mark.parametrize("name", APIS)
def test_every_path_example_is_a_value_of_the_default_data(name):
    """Ids and tenants in the examples are ones the mock starts with, not placeholders."""
    api = load(APIS[name])
    mock = build(MockConfig(spec_path=APIS[name]))
    tenancy = list(api.kit.resource.tenancy)
    id_parameter = api.kit.resource.id_parameter
    for node in api.document["components"]["parameters"].values():
        if node.get("in") != "path":
            continue
        value = example_of(api.document, node)
        if node["name"] in tenancy:
            assert any(value in credential.scope[node["name"]] for credential in mock.credentials), node["name"]
        elif node["name"] == id_parameter:
            ids = {record.id for tenant in mock.store.tenants() for record in mock.store.list(tenant)}
            assert value in ids, f"{node['name']} example {value}: no session of the default data"


def media_and_parameters(api):
    """(where, schema, examples) of every parameter and media type of every operation."""
    for operation in api.operations.values():
        item = api.document["paths"][operation.path]
        op = item[operation.method.lower()]
        for node in (*item.get("parameters", []), *op.get("parameters", [])):
            parameter = resolve_ref(api.document, node)
            yield f"{operation.operation_id} {parameter['name']}", parameter["schema"], parameter
        bodies = [("request", op["requestBody"])] if "requestBody" in op else []
        bodies += [(status, resolve_ref(api.document, r)) for status, r in op["responses"].items()]
        for where, body in bodies:
            for media in body.get("content", {}).values():
                yield f"{operation.operation_id} {where}", media["schema"], media


@pytest.mark.parametrize("name", APIS)
def test_every_example_is_valid_against_its_schema(name):
    api = load(APIS[name])
    registry = jsonschema_rs.Registry([("urn:doc", api.document)])
    checked = 0
    for where, schema, node in media_and_parameters(api):
        values = [node["example"]] if "example" in node else []
        values += [resolve_ref(api.document, e)["value"] for e in node.get("examples", {}).values()]
        validator = jsonschema_rs.Draft202012Validator(
            {"$ref": f"urn:doc#{schema['$ref'].removeprefix('#')}"} if "$ref" in schema else schema, registry=registry)
        for value in values:
            errors = [e.message for e in validator.iter_errors(value)]
            assert not errors, f"{where}: example {value!r} is invalid: {errors}"
            checked += 1
    assert checked >= len(api.operations)
