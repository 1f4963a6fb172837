"""Runtime controls (/_mock/controls): latency, faults and the rate limit, for the API or one
operation, read and changed without a restart; the flags give the starting values."""

from __future__ import annotations

import time

import jsonschema_rs
import pytest
import yaml

from api_model import APIS
from conftest import ADMIN, SESSIONS
from mock_server import MockConfig, build, faults
from mock_server.cli import describe_options, parser
from mock_server.faults import Latency
from mock_server.rate_limit import RateLimit

CONTROLS = "/_mock/controls"
NOTHING_SET = {"latency": None, "fault_rate": 0.0, "fault_timing": "before", "rate_limit": None, "operations": {}}


def conforms(client, response, method: str) -> dict:
    """The 200 body, checked against its schema in the admin document the mock serves."""
    assert response.status_code == 200, response.text
    admin = yaml.safe_load(client.get("/_mock/admin.yaml").content)
    product = yaml.safe_load(client.get("/_mock/openapi.yaml").content)
    pointer = admin["paths"][CONTROLS][method]["responses"]["200"]["$ref"]
    assert pointer == "#/components/responses/Controls"
    registry = jsonschema_rs.Registry([("file:///spec/admin.yaml", admin), ("file:///spec/openapi.yaml", product)])
    validator = jsonschema_rs.Draft202012Validator(
        {"$ref": "file:///spec/admin.yaml#/components/responses/Controls/content/application~1json/schema"},
        registry=registry)
    errors = [error.message for error in validator.iter_errors(response.json())]
    assert not errors, errors
    return response.json()


def first_session(client) -> str:
    return client.get(SESSIONS, headers=ADMIN).json()["items"][0]["session_id"]


def active_session(client) -> str:
    items = client.get(SESSIONS, params={"archived": "false"}, headers=ADMIN).json()["items"]
    return next(s["session_id"] for s in items if s["status"] in ("running", "suspended"))


@pytest.fixture
def asked_delays(monkeypatch) -> list[float]:
    """The delays the latency stage asks for (not wall time: no timed test for each path)."""
    delays: list[float] = []

    async def record(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr(faults.asyncio, "sleep", record)
    return delays


@pytest.fixture(scope="module")
def unchanged_client():
    """One mock for the tests that must change nothing (each checks that it did not)."""
    with build().app.test_client() as client:
        yield client


# -- reading them -------------------------------------------------------------------------------


def test_get_answers_the_flags_values():
    config = MockConfig(latency=Latency(50, 300), fault_rate=0.25, fault_timing="after",
                        rate_limit=RateLimit.parse("20/s"))
    with build(config).app.test_client() as client:
        assert conforms(client, client.get(CONTROLS), "get") == {
            "latency": {"min_ms": 50, "max_ms": 300}, "fault_rate": 0.25, "fault_timing": "after",
            "rate_limit": "20/s", "operations": {}}


def test_without_flags_nothing_is_set(client):
    assert conforms(client, client.get(CONTROLS), "get") == NOTHING_SET


def test_the_flags_reach_the_controls():
    args = parser().parse_args(["--latency", "40", "--fault-rate", "0.5", "--fault-timing", "after",
                                "--rate-limit", "30/min"])
    assert (args.latency, args.fault_rate, args.fault_timing, args.rate_limit.text) == (
        Latency(40, 40), 0.5, "after", "30/min")
    assert "after the request is carried out" in describe_options(args)
    assert parser().parse_args([]).fault_timing == "before"


def test_a_bad_fault_timing_is_refused_in_one_line(capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["--fault-timing", "during"])
    assert "--fault-timing" in capsys.readouterr().err


# -- changing them ------------------------------------------------------------------------------


def test_put_replaces_everything_and_get_shows_it(client):
    wanted = {"latency": {"min_ms": 0, "max_ms": 10}, "fault_rate": 0.5, "fault_timing": "after", "rate_limit": "5/min",
              "operations": {"get_session": {"latency": {"min_ms": 1, "max_ms": 1}, "fault_rate": None,
                                             "fault_timing": None, "rate_limit": "1/h"}}}
    assert conforms(client, client.put(CONTROLS, json=wanted), "put") == wanted
    assert client.get(CONTROLS).json() == wanted
    # An operation's members left out are as the API's.
    sparse = {**NOTHING_SET, "operations": {"list_sessions": {"fault_rate": 1}}}
    answer = conforms(client, client.put(CONTROLS, json=sparse), "put")
    assert answer["operations"] == {"list_sessions": {"latency": None, "fault_rate": 1.0, "fault_timing": None,
                                                      "rate_limit": None}}


def test_patch_changes_only_what_it_gives(client):
    client.put(CONTROLS, json={**NOTHING_SET, "rate_limit": "50/s",
                               "operations": {"get_session": {"fault_rate": 0.5, "rate_limit": "3/min"}}})
    answer = conforms(client, client.patch(CONTROLS, json={
        "fault_timing": "after", "operations": {"get_session": {"rate_limit": None}, "archive_session": {"fault_rate": 1}}}),
        "patch")
    assert answer == {"latency": None, "fault_rate": 0.0, "fault_timing": "after", "rate_limit": "50/s", "operations": {
        "archive_session": {"latency": None, "fault_rate": 1.0, "fault_timing": None, "rate_limit": None},
        "get_session": {"latency": None, "fault_rate": 0.5, "fault_timing": None, "rate_limit": None}}}
    # An operation given as null, or left with nothing of its own, is as the API's again.
    answer = client.patch(CONTROLS, json={"operations": {"archive_session": None, "get_session": {"fault_rate": None}}})
    assert answer.json()["operations"] == {}


@pytest.mark.parametrize("method, body, loc", [
    ("patch", {"fault_rate": 1.5}, ["body", "fault_rate"]),
    ("patch", {"fault_timing": "during"}, ["body", "fault_timing"]),
    ("patch", {"fault_rate": None}, ["body", "fault_rate"]),
    ("patch", {"rate_limit": "20/fortnight"}, ["body", "rate_limit"]),
    ("patch", {"rate_limit": "0/s"}, ["body", "rate_limit"]),
    ("patch", {"latency": {"min_ms": 300, "max_ms": 100}}, ["body", "latency", "max_ms"]),
    ("patch", {"latency": {"min_ms": 0, "max_ms": 600000}}, ["body", "latency", "max_ms"]),
    ("patch", {"latency": {"min_ms": 5}}, ["body", "latency", "max_ms"]),
    ("patch", {"operations": {"no_such_operation": {"fault_rate": 1}}}, ["body", "operations", "no_such_operation"]),
    ("patch", {"operations": {"get_session": {"latency": {"min_ms": -1, "max_ms": 5}}}},
     ["body", "operations", "get_session", "latency", "min_ms"]),
    ("patch", {"operations": {"get_session": {"latency": {"min_ms": 9, "max_ms": 5}}}},
     ["body", "operations", "get_session", "latency", "max_ms"]),
    ("patch", {"operations": {"get_session": {"retries": 3}}}, ["body", "operations", "get_session", "retries"]),
    ("patch", {}, ["body"]),
    ("put", {"latency": None}, ["body", "fault_rate"]),
])
def test_invalid_controls_are_a_located_422_and_change_nothing(unchanged_client, method, body, loc):
    client = unchanged_client
    before = client.get(CONTROLS).json()
    response = client.request(method.upper(), CONTROLS, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "validation_error" and loc in [e["loc"] for e in problem["errors"]], problem["errors"]
    if loc[-1] == "no_such_operation":
        assert "no_such_operation" in problem["detail"]
    assert client.get(CONTROLS).json() == before


def test_a_body_that_is_not_json_is_refused(client):
    response = client.patch(CONTROLS, content=b"{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
    assert client.put(CONTROLS, content=b"fault_rate: 1", headers={"Content-Type": "application/yaml"}).status_code == 415


def test_the_workspace_api_names_its_own_operations():
    with build(MockConfig(spec_path=APIS["workspace"])).app.test_client() as client:
        assert client.patch(CONTROLS, json={"operations": {"update_session": {"fault_rate": 1}}}).status_code == 200
        response = client.patch(CONTROLS, json={"operations": {"list_messages": {"fault_rate": 1}}})
        assert response.status_code == 422 and response.json()["details"][0]["loc"] == ["body", "operations", "list_messages"]


# -- latency ------------------------------------------------------------------------------------


def timed(call) -> float:
    started = time.perf_counter()
    response = call()
    assert response.status_code < 500, response.text
    return time.perf_counter() - started


def test_an_operations_latency_delays_that_operation_only(client):
    session_id = first_session(client)
    read = lambda: client.get(f"{SESSIONS}/{session_id}", headers=ADMIN)
    listing = lambda: client.get(SESSIONS, headers=ADMIN)
    undelayed = 0.2  # generous: a shared machine may be slow, but not 300 ms slow on one request
    assert timed(read) < undelayed  # nothing set yet
    client.patch(CONTROLS, json={"operations": {"get_session": {"latency": {"min_ms": 300, "max_ms": 300}}}})
    assert timed(read) >= 0.29
    assert timed(listing) < undelayed
    client.patch(CONTROLS, json={"operations": {"get_session": None}})
    assert timed(read) < undelayed


def test_every_answer_of_the_api_is_delayed(client, asked_delays):
    client.patch(CONTROLS, json={"latency": {"min_ms": 80, "max_ms": 80},
                                 "operations": {"archive_session": {"latency": {"min_ms": 200, "max_ms": 200}}}})
    session_id = first_session(client)
    requests = [
        (lambda: client.get(SESSIONS, headers={**ADMIN, "Prefer": "code=429"}), 429, 0.08),  # forced
        (lambda: client.post(f"{SESSIONS}/{session_id}/archive", headers={"Prefer": "code=401"}), 401, 0.2),
        (lambda: client.get(SESSIONS), 401, 0.08),  # a real error
        (lambda: client.get(f"{SESSIONS}/devin-nope1", headers=ADMIN), 404, 0.08),
        (lambda: client.get("/v3/nothing/here"), 404, 0.08),  # no route
        (lambda: client.put(SESSIONS, headers=ADMIN), 405, 0.08),
        (lambda: client.options(SESSIONS, headers={"Origin": "http://localhost:5173",
                                                   "Access-Control-Request-Method": "POST"}), 200, 0.08),
        (lambda: client.post(f"{SESSIONS}/{session_id}/archive", headers=ADMIN), 200, 0.2),
    ]
    for call, status, delay in requests:
        asked_delays.clear()
        assert call().status_code == status
        assert asked_delays == [pytest.approx(delay)], (status, asked_delays)


@pytest.mark.parametrize("path", ["/docs/", "/openapi.yaml", "/openapi.json", "/_mock/admin.yaml", CONTROLS])
def test_the_docs_the_documents_and_the_admin_api_are_not_delayed(client, asked_delays, path):
    client.put(CONTROLS, json={**NOTHING_SET, "latency": {"min_ms": 500, "max_ms": 500}})
    assert client.get(path).status_code == 200
    assert client.post("/_mock/reset").status_code == 200
    assert asked_delays == []


# -- faults -------------------------------------------------------------------------------------


@pytest.mark.parametrize("timing, archived", [("after", True), ("before", False)])
def test_a_fault_after_the_write_lets_the_write_happen(client, timing, archived):
    session_id = active_session(client)
    client.patch(CONTROLS, json={"operations": {"archive_session": {"fault_rate": 1, "fault_timing": timing}}})
    response = client.post(f"{SESSIONS}/{session_id}/archive", headers=ADMIN)
    assert response.status_code in (500, 502, 504)
    assert response.headers["content-type"] == "application/problem+json"
    assert "Injected fault" in response.json()["detail"]
    assert ("carried out" in response.json()["detail"]) is archived
    # Only the archive fails: the next read shows whether it happened.
    read = client.get(f"{SESSIONS}/{session_id}", headers=ADMIN)
    assert read.status_code == 200 and read.json()["is_archived"] is archived


def test_a_fault_after_leaves_an_error_answer_as_it_is(client):
    client.patch(CONTROLS, json={"fault_rate": 1, "fault_timing": "after"})
    response = client.post(f"{SESSIONS}/devin-nope1/archive", headers=ADMIN)
    assert response.status_code == 404 and response.json()["type"] == "session_not_found"
    assert client.get(SESSIONS, headers=ADMIN).status_code in (500, 502, 504)


def test_turning_faults_off_at_run_time(client):
    client.patch(CONTROLS, json={"fault_rate": 1})
    assert client.get(SESSIONS, headers=ADMIN).status_code in (500, 502, 504)
    client.patch(CONTROLS, json={"fault_rate": 0})
    assert client.get(SESSIONS, headers=ADMIN).status_code == 200


# -- rate limit ---------------------------------------------------------------------------------


def test_an_operations_rate_limit_counts_that_operation_only(client):
    session_id = first_session(client)
    client.patch(CONTROLS, json={"operations": {"get_session": {"rate_limit": "2/min"}}})
    read = lambda: client.get(f"{SESSIONS}/{session_id}", headers=ADMIN)
    assert [read().status_code for _ in range(2)] == [200, 200]
    refused = read()
    assert refused.status_code == 429 and refused.json()["type"] == "rate_limited"
    assert "get_session" in refused.json()["detail"] and 1 <= int(refused.headers["retry-after"]) <= 30
    assert [client.get(SESSIONS, headers=ADMIN).status_code for _ in range(5)] == [200] * 5
    # A new limit starts with a full bucket.
    client.patch(CONTROLS, json={"operations": {"get_session": {"rate_limit": "1/min"}}})
    assert [read().status_code for _ in range(2)] == [200, 429]


def test_the_apis_limit_and_an_operations_own_count_apart(client):
    session_id = first_session(client)
    client.patch(CONTROLS, json={"rate_limit": "2/min", "operations": {"get_session": {"rate_limit": "10/min"}}})
    assert [client.get(SESSIONS, headers=ADMIN).status_code for _ in range(3)] == [200, 200, 429]
    assert [client.get(f"{SESSIONS}/{session_id}", headers=ADMIN).status_code for _ in range(3)] == [200] * 3
    # Lifted at run time.
    client.patch(CONTROLS, json={"rate_limit": None})
    assert client.get(SESSIONS, headers=ADMIN).status_code == 200
