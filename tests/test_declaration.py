"""One declaration drives the mock and the suite: changes to a copy of the spec reach both without
a line of code, and a wrong declaration fails at start with one line naming its key."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests
import yaml

from api_model import SpecError, load
from mock_server import MockConfig, build
from mock_server.server import BackgroundServer
from mock_server.store import StoreLimits
from tests.suite import run_suite_at
from tests.zoo import spec_variant
from tests.zoo.correct import open_bounds_lifted

ADMIN = {"Authorization": "Bearer cog_mock_admin"}
SESSIONS = "/v3/organizations/org-mock/sessions"


def serve_and_check(spec, *selection):
    """The suite, pointed at the variant spec, against the mock serving it."""
    mock = build(MockConfig(spec_path=spec))
    with BackgroundServer(mock.app, **mock.serve_options()) as server:
        return run_suite_at(server.url, "--spec", str(spec), *selection)


def add_optional_member(document):
    schemas = document["components"]["schemas"]
    member = {"anyOf": [{"type": "string", "maxLength": 40}, {"type": "null"}]}
    schemas["SessionResponse"]["properties"]["priority"] = member
    schemas["CreateSessionRequest"]["properties"]["priority"] = member


def test_an_added_optional_member_is_stored_read_back_and_accepted():
    spec = spec_variant(add_optional_member)
    with build(MockConfig(spec_path=spec)).app.test_client() as client:
        created = client.post(SESSIONS, json={"prompt": "p", "priority": "high"}, headers=ADMIN).json()
        assert created["priority"] == "high"
        assert client.get(f"{SESSIONS}/{created['session_id']}", headers=ADMIN).json()["priority"] == "high"
        assert client.post(SESSIONS, json={"prompt": "p", "priority": "x" * 41}, headers=ADMIN).status_code == 422
        listed = client.get(SESSIONS, headers=ADMIN).json()["items"]
        assert all("priority" in item for item in listed)  # seeded sessions too, at the default (null)
    result = serve_and_check(spec, "-k", "conforms or initial or limits or write_follows")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]


def add_error_type(document):
    schemas = document["components"]["schemas"]
    schemas["ErrorType"]["enum"].append("quota_exhausted")
    schemas["ConflictProblem"]["properties"]["type"]["enum"].append("quota_exhausted")
    document["x-kit"]["envelope"]["titles"]["quota_exhausted"] = "Quota exhausted"


def test_an_added_error_type_is_served_by_prefer_and_accepted_by_the_envelope_rule():
    spec = spec_variant(add_error_type)
    with build(MockConfig(spec_path=spec)).app.test_client() as client:
        answer = client.post(SESSIONS, json={"prompt": "p"}, headers={**ADMIN, "Prefer": "code=409, type=quota_exhausted"})
        assert answer.status_code == 409
        assert (answer.json()["type"], answer.json()["title"]) == ("quota_exhausted", "Quota exhausted")
    from contract_tests import rules
    from contract_tests.client import Exchange
    from contract_tests.contract import Contract

    contract = Contract.load(spec)
    exchange = Exchange("POST", "http://mock" + SESSIONS, {}, None, 409,
                        {"Content-Type": "application/problem+json"}, answer.text)
    rules.error_is_envelope(contract, exchange)  # the variant's catalog knows the type
    with pytest.raises(rules.ContractViolation, match="not one of the documented error types"):
        rules.error_is_envelope(Contract.load(load().path), exchange)  # the shipped one does not


def rename_archive(document):
    def rename(node):
        if isinstance(node, dict):
            return {k: ("put_to_sleep" if v == "archive_session" else rename(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [rename(item) for item in node]
        return node

    renamed = rename(document)
    document.clear()
    document.update(renamed)


def test_a_renamed_archive_operation_keeps_working_once_the_declaration_names_it():
    spec = spec_variant(rename_archive)
    assert load(spec).kit.lifecycle["archive"] == "put_to_sleep"
    result = serve_and_check(spec, "-k", "archive or refusal or write_follows or conforms")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "passed" in result.stdout


@pytest.mark.parametrize(("edit", "key"), [
    (lambda d: d["x-kit"]["resource"].update(archivd=d["x-kit"]["resource"].pop("archived")),
     "x-kit.resource"),
    (lambda d: d["x-kit"]["resource"].update(archived="is_archivd"), "x-kit.resource.archived: 'is_archivd'"),
    (lambda d: d["x-kit"]["lifecycle"].update(archive="archive_sesion"), "x-kit.lifecycle.archive: no operation 'archive_sesion'"),
    (lambda d: d["x-kit"]["page"].update(size="frist"), "a list takes the page's size parameter 'frist'"),
    (lambda d: d["x-kit"]["errors"].update({"no-resource": "sesion_not_found"}), "x-kit.errors.no-resource"),
    (lambda d: d["paths"]["/v3/organizations/{org_id}/sessions/{devin_id}/archive"]["post"]["x-kit"].update(kind="transtion"),
     "archive_session.x-kit.kind"),
    (lambda d: d["paths"]["/v3/organizations/{org_id}/sessions/{devin_id}/messages"]["post"]["x-kit"]["refuse"][0].update(
        error="session_archivd"), "send_message.x-kit.refuse.0.error: 'session_archivd' is not an error type"),
    (lambda d: d["paths"]["/v3/organizations/{org_id}/sessions/{devin_id}/archive"]["post"]["x-kit"]["set"][1]["when"].update(
        stauts=["new"]), "archive_session.x-kit.set.1.when: 'stauts' is not a property of SessionResponse"),
    (lambda d: d["paths"]["/v3/organizations/{org_id}/sessions/{devin_id}"]["delete"]["x-kit"]["set"][1]["when"].update(
        {"query.archiv": True}), "terminate_session has no query parameter 'archiv'"),
    (lambda d: d["paths"]["/v3/organizations/{org_id}/sessions/{devin_id}/tags"]["put"].pop("x-kit"),
     "replace_tags.x-kit: every operation declares its behaviour"),
    (lambda d: d["components"]["schemas"]["CreateSessionRequest"]["properties"]["max_acu_limit"].update(
        {"x-kit-open": ["maximun"]}), "components.schemas.CreateSessionRequest.properties.max_acu_limit.x-kit-open.0"),
    (lambda d: d["components"]["schemas"]["CreateSessionRequest"]["properties"]["max_acu_limit"].update(
        {"x-kit-open": ["maxLength"]}), "max_acu_limit.x-kit-open: 'maxLength' is no bound of this schema"),
])
def test_a_declaration_with_a_typo_fails_at_start_naming_the_key(edit, key):
    spec = spec_variant(edit)
    with pytest.raises(SpecError) as raised:
        load(spec)
    assert key in str(raised.value) and "\n" not in str(raised.value)
    mock = subprocess.run([sys.executable, "-m", "mock_server", "--spec", str(spec), "--port", "0"],
                          capture_output=True, text=True, timeout=60)
    assert mock.returncode != 0 and key in mock.stderr and mock.stderr.count("\n") == 1, mock.stderr
    suite = subprocess.run([sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider",
                            "--spec", str(spec), "contract_tests"], capture_output=True, text=True, timeout=120)
    assert suite.returncode == 4 and key in suite.stderr and "Traceback" not in suite.stderr, suite.stderr


ITEM = "/v3/organizations/{org_id}/sessions/{devin_id}"
LIST = "/v3/organizations/{org_id}/sessions"


@pytest.mark.parametrize(("edit", "key"), [
    (lambda d: d["paths"][LIST].pop("post"), "no operation declares kind 'create'"),
    (lambda d: d["paths"][ITEM]["get"]["x-kit"].update(kind="transition", set=[{"then": {"title": "x"}}]),
     "no operation declares kind 'read'"),
    (lambda d: d["paths"][LIST]["get"]["x-kit"].update(kind="read"),
     "list_sessions.x-kit: kind read names one resource, but list_sessions has no path parameter 'devin_id'"),
    (lambda d: d["components"]["parameters"]["First"]["schema"].pop("default"),
     "the page size parameter 'first' needs an integer default"),
    (lambda d: d["paths"][LIST]["get"]["x-kit"]["filters"].update(tags={"archived": True}),
     "list_sessions.x-kit.filters.tags: an archived filter takes a boolean parameter"),
    (lambda d: d["paths"][LIST]["get"]["x-kit"]["filters"].pop("tags"), "x-kit.run-marker.field: no list filter"),
    (lambda d: d["x-kit"]["resource"]["id"].update({"from-body": "title"}), "x-kit.errors.taken"),
    (lambda d: d["components"]["schemas"]["ConflictProblem"]["properties"]["type"]["enum"].append("quota_exhausted"),
     "error types ['quota_exhausted'] of status 409 are not in Problem.type"),
])
def test_a_declaration_the_kit_cannot_serve_fails_at_start_naming_the_key(edit, key):
    with pytest.raises(SpecError) as raised:
        load(spec_variant(edit))
    assert key in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.parametrize("declared, status, error_type", [(True, 409, "limit_exceeded"), (False, 500, "internal_error")])
def test_storage_limits_answer_the_declared_limit_type_else_a_500_naming_the_limit(declared, status, error_type):
    spec = spec_variant((lambda d: None) if declared else (lambda d: d["x-kit"]["errors"].pop("limit")))
    mock = build(MockConfig(spec_path=spec, limits=StoreLimits(max_sessions=len(build().store.list(("org-mock",))) * 2)))
    with mock.app.test_client() as client:
        answer = client.post("/v3/organizations/org-mock/sessions", json={"prompt": "one more"},
                             headers={"Authorization": "Bearer cog_mock_admin"})
    assert answer.status_code == status and answer.json()["type"] == error_type
    assert "sessions, the limit" in answer.json()["detail"]


def test_the_shipped_declaration_reads_back_as_written():
    api = load()
    assert api.kit.lifecycle == {"archive": "archive_session", "unarchive": "unarchive_session"}
    assert api.kit.behaviours["send_message"].refuse[0].error == "session_archived"
    assert set(api.errors.of_status(404)) == {api.kit.errors["no-route"], api.kit.errors["no-resource"]}
    assert yaml.safe_load(api.path.read_text())["x-kit"]["run-marker"] == {"field": "tags"}


def test_an_open_bound_binds_the_mock_and_leaves_the_suite_both_readings():
    """`x-kit-open`: the mock refuses past the bound; a server without it accepts; the suite's limit
    rule and its negative-data check take both answers past it, and only acceptance at it."""
    from contract_tests import rules
    from contract_tests.client import Exchange
    from contract_tests.conformance import OpenBounds
    from contract_tests.contract import Contract

    past = {"prompt": "p", "max_acu_limit": 1_000_001}
    answers = []
    for spec in (load().path, spec_variant(open_bounds_lifted)):
        with build(MockConfig(spec_path=spec)).app.test_client() as client:
            answers.append(client.post(SESSIONS, json=past, headers=ADMIN))
    assert [a.status_code for a in answers] == [422, 200]
    contract = Contract.load(load().path)
    exchanges = [Exchange("POST", "http://mock" + SESSIONS, {}, None, a.status_code, a.headers, a.text) for a in answers]
    for exchange in exchanges:
        rules.limits_follow_the_contract(contract, exchange, ["body", "max_acu_limit"], within=False, open_bound=True)
    with pytest.raises(rules.ContractViolation, match="must be refused|expected HTTP 422"):
        rules.limits_follow_the_contract(contract, exchanges[1], ["body", "max_acu_limit"], within=False)
    with pytest.raises(rules.ContractViolation, match="within its bounds"):
        rules.limits_follow_the_contract(contract, exchanges[0], ["body", "max_acu_limit"], within=True)

    def sent(body):
        return requests.Request("POST", "http://mock" + SESSIONS, json=body).prepare()

    bounds = OpenBounds(contract)
    assert bounds.accept("create_session", sent(past))
    assert not bounds.accept("create_session", sent({"prompt": "p", "max_acu_limit": 0}))  # the contract's minimum
