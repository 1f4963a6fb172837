"""The shipped specs' examples are real: each error status documents an example of its own, valid
against its schema, and the path examples name a session of the mock's default data, so that a
first "Try it out" with the default token answers 200."""

from __future__ import annotations

import jsonschema_rs
import pytest

from api_model import APIS, load, resolve_ref
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


@pytest.mark.parametrize("name", APIS)
def test_path_examples_name_a_session_of_the_default_data(name):
    api = load(APIS[name])
    read = api.by_kind("read")[0]
    values = {}
    for node in api.document["paths"][read.path]["parameters"]:
        parameter = resolve_ref(api.document, node)
        examples = [e["value"] for e in parameter.get("examples", {}).values()] or \
            resolve_ref(api.document, parameter["schema"]).get("examples", [])
        values[parameter["name"]] = examples[0]
    client = build(MockConfig(spec_path=APIS[name])).app.test_client()
    answer = client.get(read.fill(values), headers={"Authorization": f"Bearer {TOKENS[name]}"})
    assert answer.status_code == 200, answer.text
