"""The error envelope on every error path (CONTRACT.md §2, §5): unknown routes, wrong methods, wrong
media types, malformed JSON, validation errors with located `errors`."""

from __future__ import annotations

import pytest

from contract_tests import rules
from contract_tests.operations import BY_NAME, METHODS, OPERATIONS, call

BODY_OPS = [pytest.param(op, id=op.name) for op in OPERATIONS if op.body is not None]


@pytest.fixture(scope="module")
def own(api):
    created = api.create_session("Envelope target")
    rules.new_session_is_running(created)
    return created.json["session_id"]


@pytest.mark.parametrize("path", ["/", "/v3", "/v3/organizations/{org}/nothing-here",
                                  "/v3/organizations/{org}/sessions/{sid}/nothing-here", "/v2/sessions"])
def test_unknown_route_is_not_found(api, own, path):
    for token in (api, api.as_(None, "")):  # route errors come before authentication
        answer = token.request("GET", path.format(org=api.org, sid=own))
        rules.unknown_route_is_not_found(answer)


@pytest.mark.parametrize("suffix", list(METHODS), ids=[s if s else "collection" if s is None else "session"
                                                      for s in METHODS])
def test_wrong_method_is_405_with_allow(api, own, suffix):
    path = f"/v3/organizations/{api.org}/sessions" + ("" if suffix is None else f"/{own}{suffix}")
    for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - METHODS[suffix]):
        rules.wrong_method_is_405_with_allow(api.request(method, path), METHODS[suffix])
    # 405 comes before 401 (§5)
    method = sorted({"PATCH", "PUT"} - METHODS[suffix])[0]
    rules.wrong_method_is_405_with_allow(api.as_(None, "").request(method, path), METHODS[suffix])


@pytest.mark.parametrize("op", BODY_OPS)
def test_wrong_content_type_is_415(api, own, op):
    import json

    payload = json.dumps(op.body).encode()
    for headers in ({"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"}, {}):
        answer = api.request(op.method, op.path(api.org, own), data=payload, headers=headers)
        rules.wrong_content_type_is_415(answer)
    # a charset parameter is still JSON
    answer = api.request(op.method, op.path(api.org, own), data=payload,
                         headers={"Content-Type": "application/json; charset=utf-8"})
    if answer.status in (415, 400, 422):
        rules.fail("wrong_content_type_is_415", "application/json with a charset must be accepted", answer)


@pytest.mark.parametrize("op", BODY_OPS)
def test_malformed_json_is_400(api, own, op):
    field = next(iter(op.body))
    for raw in (b'{"' + field.encode() + b'": ', b"{'single': 'quotes'}", b'{"' + field.encode() + b'": NaN}',
                b'{"' + field.encode() + b'": Infinity}', b"\xff\xfe not utf-8"):
        answer = api.request(op.method, op.path(api.org, own), data=raw, headers={"Content-Type": "application/json"})
        rules.malformed_json_is_400(answer)


def test_validation_error_locates_input(api, own):
    create = BY_NAME["create_session"]
    cases = [
        (call(api, create, body={}), [("body", "prompt")]),
        (call(api, create, body={"prompt": "x", "unknown": 1}), [("body",)]),
        (call(api, create, body={"prompt": ""}), [("body", "prompt")]),
        (call(api, create, body={"prompt": "x", "max_acu_limit": 0}), [("body", "max_acu_limit")]),
        (call(api, create, body={"prompt": "x", "tags": None}), [("body", "tags")]),
        (call(api, create, body={"prompt": "x", "title": "t" * 201}), [("body", "title")]),
        (api.request("POST", create.path(api.org), data=b"", headers={"Content-Type": "application/json"}),
         [("body",)]),
        (api.request("GET", create.path(api.org), params={"first": 0}), [("query", "first")]),
        (api.request("GET", create.path(api.org), params={"first": 201}), [("query", "first")]),
        (api.get_session("devin_bad!"), [("path", "devin_id")]),
        (api.request("GET", f"/v3/organizations/{api.org}/sessions/devin-abc%0A"), [("path", "devin_id")]),
        # path and body errors are reported together (§5)
        (api.request("POST", f"/v3/organizations/{api.org}/sessions/devin_bad!/messages", json_body={}),
         [("path", "devin_id"), ("body", "message")]),
    ]
    for answer, locations in cases:
        rules.no_server_error_on_bad_input(answer)
        rules.validation_error_locates_input(answer, locations)


def test_error_is_envelope(api, own):
    """Every error the suite can provoke without special credentials is the envelope."""
    answers = [
        api.get_session(api.absent_id("envelope")),
        api.request("GET", "/definitely/not/here"),
        api.request("PATCH", f"/v3/organizations/{api.org}/sessions"),
        api.as_(None, "").list_sessions(),
        api.request("GET", "/v3/organizations/org-contractelsewhere/sessions"),
        api.request("POST", f"/v3/organizations/{api.org}/sessions", data=b"{", headers={"Content-Type": "application/json"}),
        api.request("POST", f"/v3/organizations/{api.org}/sessions", data=b"x", headers={"Content-Type": "text/plain"}),
        api.list_sessions(first="many"),
        api.list_sessions(after="nope"),
    ]
    archived = api.create_session("Envelope 409")
    api.archive(archived.json["session_id"])
    answers.append(api.send_message(archived.json["session_id"]))
    for answer in answers:
        if answer.status < 400:
            rules.fail("error_is_envelope", "expected an error answer", answer)
        rules.error_is_envelope(answer)
