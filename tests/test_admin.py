"""The admin API under /_mock/ (spec/admin.yaml): reset, fixtures, any state; errors in the envelope."""

from __future__ import annotations

import pytest

from conftest import ADMIN, SESSIONS
from mock_server import MockConfig, build

STATE = "/_mock/organizations/org-mock/sessions"


def first_running(client) -> str:
    return next(s["session_id"] for s in client.get(SESSIONS, headers=ADMIN).json()["items"] if s["status"] == "running" and not s["is_archived"])


def test_reset_goes_back_to_the_seed(client, mock, new_session):
    seeded = len(mock.store.list("org-mock")) - 1
    response = client.post("/_mock/reset")
    assert response.status_code == 200 and response.json()["sessions"] == seeded * 2  # both tenants
    assert client.get(f"{SESSIONS}/{new_session['session_id']}", headers=ADMIN).status_code == 404


def test_reset_reads_the_fixtures_file_again(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("sessions: [{session_id: devin-one1}]\n")
    mock = build(MockConfig(fixtures=path))
    path.write_text("sessions: [{session_id: devin-one1}, {session_id: devin-two2}]\n")
    with mock.app.test_client() as client:
        assert client.post("/_mock/reset").json() == {"sessions": 2}


def test_load_fixtures_replaces_every_session(client):
    response = client.post("/_mock/fixtures", json={"sessions": [{"session_id": "devin-new1", "status": "error", "status_detail": "error"}]})
    assert response.status_code == 200 and response.json() == {"sessions": 1}
    items = client.get(SESSIONS, headers=ADMIN).json()["items"]
    assert [(s["session_id"], s["status"]) for s in items] == [("devin-new1", "error")]


def test_bad_fixtures_are_a_422_naming_entry_and_field(client):
    response = client.post("/_mock/fixtures", json={"sessions": [{"session_id": "devin-a1"}, {"session_id": "devin-b1", "status": "asleep"}]})
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "sessions", 1, "status"]]
    duplicate = client.post("/_mock/fixtures", json={"sessions": [{"session_id": "devin-a1"}, {"session_id": "devin-a1"}]})
    assert duplicate.status_code == 422 and duplicate.json()["errors"][0]["loc"] == ["body", "sessions", 1, "session_id"]
    assert client.get(SESSIONS, headers=ADMIN).json()["total"] > 2  # nothing was loaded


@pytest.mark.parametrize("change", [
    {"status": "suspended", "status_detail": "out_of_credits"},
    {"status": "error", "status_detail": None},
    {"is_archived": True},
    {"status": "new", "status_detail": None, "is_archived": True},
])
def test_a_session_can_be_put_in_any_state(client, change):
    session_id = first_running(client)
    response = client.patch(f"{STATE}/{session_id}", json=change)
    assert response.status_code == 200, response.text
    read = client.get(f"{SESSIONS}/{session_id}", headers=ADMIN).json()
    assert response.json() == read
    for field, value in change.items():
        assert read[field] == value


def test_setting_the_same_state_keeps_updated_at(client):
    session_id = first_running(client)
    before = client.get(f"{SESSIONS}/{session_id}", headers=ADMIN).json()
    after = client.patch(f"{STATE}/{session_id}", json={"status": "running"}).json()
    assert after["updated_at"] == before["updated_at"]


@pytest.mark.parametrize("request_args, status, type_", [
    (("PATCH", f"{STATE}/devin-nope1", {"status": "exit"}), 404, "session_not_found"),
    (("PATCH", "/_mock/organizations/org-other/sessions/{id}", {"status": "exit"}), 404, "session_not_found"),
    (("PATCH", f"{STATE}/{{id}}", {"status": "asleep"}), 422, "validation_error"),
    (("PATCH", f"{STATE}/{{id}}", {}), 422, "validation_error"),
    (("PATCH", f"{STATE}/{{id}}", {"title": "x"}), 422, "validation_error"),
    (("PATCH", f"{STATE}/bad%20id", {"status": "exit"}), 422, "validation_error"),
    (("GET", "/_mock/reset", None), 405, "method_not_allowed"),
    (("GET", "/_mock/nothing", None), 404, "not_found"),
])
def test_admin_errors_use_the_envelope(client, request_args, status, type_):
    method, path, body = request_args
    path = path.replace("{id}", first_running(client))
    response = client.request(method, path, json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == type_ and problem["status"] == status and problem["instance"] == path.replace("%20", " ")


def test_a_body_that_is_not_json_is_415(client):
    response = client.post("/_mock/fixtures", content=b"sessions: []", headers={"Content-Type": "application/yaml"})
    assert response.status_code == 415


def test_admin_needs_no_token_and_ignores_prefer(client):
    assert client.post("/_mock/reset", headers={"Prefer": "code=500"}).status_code == 200
