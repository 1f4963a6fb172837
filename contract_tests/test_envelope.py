"""The error envelope on every error path (docs/contract.md#the-error-envelope, #routes-and-methods,
#bodies, #validation): unknown routes, wrong methods, wrong media types, malformed JSON, and
validation errors that locate every offending input, each case read from the spec."""

from __future__ import annotations

import json
import re

import pytest

from contract_tests import rules
from contract_tests.client import UNSET
from contract_tests.contract import OPEN, types_of

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@pytest.fixture(scope="module")
def own(api):
    return api.id_of(api.create())


def path_of(api, contract, operation, own):
    return api.path(operation, own if contract.targets_one(operation) else None)


def _routed(contract, path):
    return any(t.regex.fullmatch(path) for t in contract.api.paths)


def test_unknown_route_is_not_found(api, contract, own):
    item = api.path(contract.read, own)
    collection = api.path(contract.list)
    candidates = ["/", "/definitely/not/here", f"{item}/nothing-here", collection.rsplit("/", 1)[0],
                  collection + "-nothing"]
    unknown = [path for path in candidates if not _routed(contract, path)]
    for path in unknown:
        for client in (api, api.as_(None, "")):  # route errors come before authentication
            rules.unknown_route_is_not_found(contract, client.request("GET", path))


def test_wrong_method_is_405_with_allow(api, contract, own, template):
    documented = contract.methods_of(template)
    operation = next(iter(next(p for p in contract.api.paths if p.template == template).operations.values()))
    path = path_of(api, contract, operation, own)
    for method in sorted(set(METHODS) - documented):
        rules.wrong_method_is_405_with_allow(contract, api.request(method, path), documented)
    # 405 comes before 401
    undocumented = sorted(set(METHODS) - documented)
    if undocumented:
        rules.wrong_method_is_405_with_allow(contract, api.as_(None, "").request(undocumented[0], path), documented)


def _payload(api, contract, operation):
    body = contract.example_body(operation)
    return json.dumps(api.ownership.marked(body, creating=operation is contract.create)).encode()


def test_wrong_content_type_is_415(api, contract, own, body_operation):
    path, payload = path_of(api, contract, body_operation, own), _payload(api, contract, body_operation)
    for headers in ({"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"}, {}):
        rules.wrong_content_type_is_415(contract, api.request(body_operation.method, path, data=payload, headers=headers))
    # a charset parameter is still JSON
    answer = api.request(body_operation.method, path, data=payload,
                         headers={"Content-Type": "application/json; charset=utf-8"})
    if answer.status in (415, 400, 422):
        rules.fail("wrong_content_type_is_415", "application/json with a charset must be accepted", answer)


def test_malformed_json_is_400(api, contract, own, body_operation):
    path = path_of(api, contract, body_operation, own)
    member = next(iter(contract.body_members(body_operation)), "x").encode()
    for raw in (b'{"' + member + b'": ', b"{'single': 'quotes'}", b'{"' + member + b'": NaN}',
                b'{"' + member + b'": Infinity}', b"\xff\xfe not utf-8"):
        answer = api.request(body_operation.method, path, data=raw, headers={"Content-Type": "application/json"})
        rules.malformed_json_is_400(contract, answer)


def _too_much(contract, node):
    """A value one past a bound the contract fixes, or None where the schema sets none (past an open
    bound, `x-kit-open`, a server may accept)."""
    kinds = types_of(node) - {"null"}
    merged = contract.bounds(node)
    node = {k: v for k, v in merged.items() if k not in merged.get(OPEN, ())}
    if "string" in kinds and "maxLength" in node:
        return "x" * (node["maxLength"] + 1)
    if "string" in kinds and node.get("minLength", 0) > 0:
        return ""
    if kinds & {"integer", "number"} and "minimum" in node:
        return node["minimum"] - 1
    if kinds & {"integer", "number"} and "maximum" in node:
        return node["maximum"] + 1
    if "array" in kinds and "maxItems" in node:
        return [contract.resolve(node.get("items", {})).get("default", "x")] * (node["maxItems"] + 1)
    return None


def body_cases(api, contract, operation, path):
    """(answer, expected locations) for the invalid bodies the schema describes."""
    valid = api.ownership.marked(contract.example_body(operation), creating=operation is contract.create)
    schema = contract.body_schema(operation)
    cases = []
    for member in schema.get("required", []):
        cases.append(({k: v for k, v in valid.items() if k != member}, [("body", member)]))
    if schema.get("additionalProperties") is False:
        cases.append(({**valid, "contract-unknown-member": 1}, [("body",)]))
    for member, node in contract.body_members(operation).items():
        wrong = _too_much(contract, node)
        if wrong is not None and member != contract.kit.marker_field:
            cases.append(({**valid, member: wrong}, [("body", member)]))
    answers = [(api.request(operation.method, path, json_body=body), locations) for body, locations in cases]
    if operation.body_required:
        answers.append((api.request(operation.method, path, data=b"", headers={"Content-Type": "application/json"}),
                        [("body",)]))
    return answers


def test_validation_error_locates_input(api, contract, own):
    cases = []
    for operation in contract.operations.values():
        if operation.body_pointer:
            cases += body_cases(api, contract, operation, path_of(api, contract, operation, own))
    for lister in contract.of_kind("list"):
        size = contract.parameter_schema(lister, contract.page.size)
        for wrong in (size.get("minimum", 1) - 1, size.get("maximum", 10**6) + 1):
            cases.append((api.call(lister, query={contract.page.size: wrong}), [("query", contract.page.size)]))
    id_parameter = contract.resource.id_parameter
    cases.append((api.read("bad_id!"), [("path", id_parameter)]))
    if contract.id_pattern is not None:
        cases.append((api.request("GET", api.path(contract.read, own) + "%0A"), [("path", id_parameter)]))
    # path and body errors are reported together: a missing member, else one past its bound
    for operation in contract.operations.values():
        if not (operation.body_pointer and contract.targets_one(operation)):
            continue
        required = contract.body_schema(operation).get("required")
        if required:
            cases.append((api.call(operation, "bad_id!", body={}), [("path", id_parameter), ("body", required[0])]))
            break
        wrong = {m: v for m, node in contract.body_members(operation).items()
                 if m != contract.kit.marker_field and (v := _too_much(contract, node)) is not None}
        if wrong:
            member, value = next(iter(wrong.items()))
            cases.append((api.call(operation, "bad_id!", body={member: value}), [("path", id_parameter), ("body", member)]))
            break
    chosen = contract.resource.id_from_body
    if chosen and contract.id_pattern is not None:
        # a client-chosen id follows the path id's pattern: the same id in another spelling is refused
        spelled = api.absent_id("spelled").upper()
        if not contract.id_pattern.fullmatch(spelled):
            cases.append((api.create(**{chosen: spelled}), [("body", chosen)]))
    for lister in contract.of_kind("list"):
        # with a cursor the list never issued beside it, the size error is still located: a server
        # may check the cursor with the schema's errors or after them, as the list reads it
        size = contract.parameter_schema(lister, contract.page.size)
        query = {contract.page.size: size.get("minimum", 1) - 1, contract.page.cursor: "not-a-cursor"}
        cases.append((api.call(lister, query=query), [("query", contract.page.size)]))
        # a filter value its pattern refuses
        for parameter in lister.parameters:
            schema = contract.parameter_schema(lister, parameter.name)
            pattern = (contract.resolve(schema.get("items", {})) if schema.get("type") == "array" else schema).get("pattern")
            if parameter.location == "query" and pattern and re.search(pattern, "!") is None:
                cases.append((api.call(lister, query={parameter.name: "!"}), [("query", parameter.name)]))
    for answer, locations in cases:
        rules.no_server_error_on_bad_input(answer)
        rules.validation_error_locates_input(contract, answer, locations)


def test_error_is_envelope(api, contract, own):
    """Every error the suite can provoke without special credentials is the envelope."""
    create = contract.create
    answers = [
        api.read(api.absent_id("envelope")),
        api.request("GET", "/definitely/not/here"),
        api.request("PATCH" if "PATCH" not in contract.methods_of(create.path) else "PUT", api.path(create)),
        api.as_(None, "").list(),
        api.list(**{contract.page.cursor: "nope"}),
        api.list(**{contract.page.size: "many"}),
        api.request(create.method, api.path(create), data=b"{", headers={"Content-Type": "application/json"}),
        api.request(create.method, api.path(create), data=b"x", headers={"Content-Type": "text/plain"}),
        api.call(create, tenant={name: "contractelsewhere" for name in contract.resource.tenancy},
                 body=contract.example_body(create) or UNSET),
    ]
    for answer in answers:
        if answer.status < 400:
            rules.fail("error_is_envelope", "expected an error answer", answer)
        rules.error_is_envelope(contract, answer)
