"""The mock checks its own answers: one that would break the spec is a 500 in the envelope."""

from __future__ import annotations

import pytest

from api_model import load
from conftest import ADMIN, SESSIONS
from mock_server import MockConfig, build, handlers
from mock_server.json_body import encoded, json_bytes
from mock_server.envelope import ApiError
from mock_server.response_validation import AnswerCheck, Verdicts, compile_rules, problem_with


@pytest.fixture(scope="module")
def rules():
    api = load()
    return api, compile_rules(api)


def check(rules, operation_id: str, status: int, headers: dict[str, str], body: bytes):
    api, compiled = rules
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    return problem_with(compiled[operation_id].get(status), status, raw, body)


JSON = {"content-type": "application/json"}


def test_a_documented_answer_passes(rules):
    assert check(rules, "replace_tags", 200, JSON, b'{"tags": ["a"]}') is None


@pytest.mark.parametrize("status, headers, body, words", [
    (201, JSON, b'{"tags": []}', "status 201 is not documented"),
    (200, {"content-type": "text/plain"}, b"{}", "content type text/plain"),
    (200, JSON, b'{"tags": [1]}', "tags/0"),
    (200, JSON, b"{", "not JSON"),
    (200, JSON, b"{}", '"tags" is a required property'),
    (429, {"content-type": "application/problem+json"}, b"{}", "retry-after"),
])
def test_each_kind_of_break_is_named(rules, status, headers, body, words):
    assert words in check(rules, "replace_tags", status, headers, body)


def test_every_documented_status_has_a_rule(rules):
    api, compiled = rules
    for operation in api.operations.values():
        assert set(compiled[operation.operation_id]) == set(operation.statuses)


def test_a_handler_answer_off_the_schema_is_a_500_envelope(client, mock, new_session, monkeypatch):
    representation = mock.handlers.representation
    real = representation.of
    monkeypatch.setattr(representation, "of", lambda record, read: {**real(record, read=read), "created_at": "yesterday"})
    response = client.get(f"{SESSIONS}/{new_session['session_id']}", headers=ADMIN)
    assert response.status_code == 500 and response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "internal_error" and "get_session" in body["detail"] and "created_at" in body["detail"]


def test_an_undocumented_status_from_a_handler_is_a_500(client, new_session, monkeypatch):
    def created(self, operation, request):
        return 201, {"tags": []}

    monkeypatch.setattr(handlers.Handlers, "read", created)
    response = client.get(f"{SESSIONS}/{new_session['session_id']}", headers=ADMIN)
    assert response.status_code == 500 and "201 is not documented" in response.json()["detail"]


def test_validation_can_be_switched_off():
    mock = build(MockConfig(validate_responses=False))
    session = mock.store.list(("org-mock",))[0]
    with mock.app.test_client() as client:
        assert client.get(f"{SESSIONS}/{session.id}", headers=ADMIN).status_code == 200


class CountingValidator:
    """A schema validator that refuses bodies with a "bad" member and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def is_valid(self, value):
        self.calls += 1
        return "bad" not in value

    def iter_errors(self, value):
        if "bad" in value:
            yield type("Error", (), {"instance_path": ["bad"], "message": "bad is not allowed"})()


def test_a_body_sent_again_gets_its_verdict_without_a_second_validation():
    validator, verdicts = CountingValidator(), Verdicts()
    assert verdicts.of(validator, b'{"ok": 1}') is None
    assert verdicts.of(validator, b'{"ok": 1}') is None
    assert verdicts.of(validator, b'{"bad": 1}') == "bad: bad is not allowed"
    assert verdicts.of(validator, b'{"bad": 1}') == "bad: bad is not allowed"
    assert validator.calls == 2  # one per distinct body


def test_the_verdicts_kept_are_bounded_by_their_bodies_size():
    validator, verdicts = CountingValidator(), Verdicts(max_bytes=100, max_body_bytes=40)
    bodies = [b'{"n": %d, "pad": "%s"}' % (n, b"x" * 10) for n in range(20)]
    for body in bodies:
        verdicts.of(validator, body)
    assert verdicts.held <= 100
    verdicts.of(validator, bodies[0])  # long evicted: validated again
    assert validator.calls == 21
    big = b'{"pad": "%s"}' % (b"x" * 50)
    verdicts.of(validator, big)
    verdicts.of(validator, big)  # past max_body_bytes: never kept
    assert validator.calls == 23


def test_the_answers_of_an_operation_that_never_repeats_are_checked_without_being_remembered(rules):
    api, compiled = rules
    answers = AnswerCheck(compiled, unrepeated=["create_session"])
    headers = [(b"content-type", b"application/json")]
    for operation_id in ("create_session", "create_session", "get_session"):
        with pytest.raises(ApiError):  # an empty object is no session: refused each time, remembered or not
            answers.check(api.operations[operation_id], 200, headers, b"{}")
    assert answers.verdicts.held == len(b"{}")  # the get's verdict alone


def test_a_list_whose_page_breaks_the_schema_is_a_500(client, mock, monkeypatch):
    """Items are embedded already encoded: the page is still checked whole."""
    monkeypatch.setattr(mock.handlers.representation, "encoded", lambda record: encoded({"session_id": 7}))
    response = client.get(SESSIONS, headers=ADMIN)
    assert response.status_code == 500 and "list_sessions" in response.json()["detail"]


@pytest.mark.parametrize("value, words", [
    ({"tags": ["a"]}, None),
    ({"tags": [1]}, "tags/0"),
    ({"tags": ["a", float("nan")]}, "tags/1"),  # what the bytes would carry as null is no string either
    ({"tags": [encoded("a")]}, None),  # an encoded fragment: the bytes are read instead
    ({"tags": [encoded(1)]}, "tags/0"),
])
def test_the_value_an_answer_encodes_gets_the_verdict_of_its_bytes(rules, value, words):
    """A create's answer is checked on the value it was encoded from, not parsed back from its bytes."""
    api, compiled = rules
    rule, headers = compiled["replace_tags"][200], [(b"content-type", b"application/json")]
    found = problem_with(rule, 200, headers, json_bytes(value), value=value)
    assert found == words if words is None else words in found


def test_the_value_is_what_is_checked_when_given(rules):
    api, compiled = rules
    rule, headers = compiled["replace_tags"][200], [(b"content-type", b"application/json")]
    assert "tags/0" in problem_with(rule, 200, headers, b'{"tags": ["a"]}', value={"tags": [1]})
