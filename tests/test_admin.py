"""The admin API under /_mock/ (spec/admin.yaml): reset, fixtures, any state; errors in the envelope."""

from __future__ import annotations

import pytest

from conftest import ADMIN, SESSIONS
from mock_server import MockConfig, build
from mock_server.admin import AdminAccess
from mock_server.store import StoreLimits

STATE = "/_mock/v3/organizations/org-mock/sessions"


def first_running(client) -> str:
    return next(s["session_id"] for s in client.get(SESSIONS, headers=ADMIN).json()["items"] if s["status"] == "running" and not s["is_archived"])


def test_reset_goes_back_to_the_seed(client, mock, new_session):
    seeded = len(mock.store.list(("org-mock",))) - 1
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


@pytest.mark.parametrize(("broken", "loc", "named"), [
    ("sessions: [{session_id: devin-one1}, {session_id: devin-two2, status: asleep}]\n",
     ["fixtures", "sessions", 1, "status"], "sessions[1] (devin-two2).status"),
    ("sessions: [\n", ["fixtures"], "not valid YAML"),
])
def test_reset_with_a_fixtures_file_broken_since_start_names_the_entry_and_changes_nothing(tmp_path, broken, loc,
                                                                                          named):
    path = tmp_path / "f.yaml"
    path.write_text("sessions: [{session_id: devin-one1}]\n")
    mock = build(MockConfig(fixtures=path))
    with mock.app.test_client() as client:
        assert client.patch(f"/_mock{SESSIONS}/devin-one1", json={"title": "changed since"}).status_code == 200
        path.write_text(broken)
        response = client.post("/_mock/reset")
        assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert str(path) in problem["detail"] and named in problem["detail"] and "unchanged" in problem["detail"]
        assert problem["errors"][0]["loc"] == loc
        (session,) = client.get(SESSIONS, headers=ADMIN).json()["items"]
        assert session["session_id"] == "devin-one1" and session["title"] == "changed since"


def test_the_state_patch_leaves_the_update_instant_to_the_mock(client):
    sid = first_running(client)
    response = client.patch(f"{STATE}/{sid}", json={"updated_at": 1})
    assert response.status_code == 422 and response.json()["errors"][0]["loc"][:2] == ["body", "updated_at"]


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
    (("PATCH", "/_mock/v3/organizations/org-other/sessions/{id}", {"status": "exit"}), 404, "session_not_found"),
    (("PATCH", f"{STATE}/{{id}}", {"status": "asleep"}), 422, "validation_error"),
    (("PATCH", f"{STATE}/{{id}}", {}), 422, "validation_error"),
    (("PATCH", f"{STATE}/{{id}}", {"nonsense": "x"}), 422, "validation_error"),
    (("PATCH", f"{STATE}/{{id}}", {"title": "t" * 201}), 422, "validation_error"),
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


# -- who may use the admin API ------------------------------------------------------------------


def test_off_when_bound_beyond_loopback_without_a_token():
    access = AdminAccess(enabled=False, disabled_reason="The admin API is off: start it with --admin-token.")
    with build(MockConfig(admin=access)).app.test_client() as client:
        response = client.post("/_mock/reset")
        assert response.status_code == 403 and "--admin-token" in response.json()["detail"]
        assert client.get(SESSIONS, headers=ADMIN).status_code == 200  # the API itself is served


def test_an_admin_token_is_required_when_given():
    with build(MockConfig(admin=AdminAccess(token="s3cret"))).app.test_client() as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret"}):
            response = client.post("/_mock/reset", headers=headers)
            assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")
        assert client.post("/_mock/reset", headers={"Authorization": "Bearer s3cret"}).status_code == 200


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost.evil.example:8080"])
def test_a_page_of_another_site_cannot_reset_the_mock(client, mock, new_session, origin):
    response = client.post("/_mock/reset", headers={"Origin": origin, "Content-Type": "text/plain"}, content=b"x")
    assert response.status_code == 403 and response.json()["type"] == "forbidden"
    assert client.get(f"{SESSIONS}/{new_session['session_id']}", headers=ADMIN).status_code == 200  # nothing reset


@pytest.mark.parametrize("origin", ["http://testserver", "http://localhost:5173", "http://127.0.0.1:3000"])
def test_the_mocks_own_and_local_pages_may_use_it(client, origin):
    assert client.post("/_mock/reset", headers={"Origin": origin}).status_code == 200


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_only_json_bodies(client, content_type):
    response = client.post("/_mock/reset", headers={"Content-Type": content_type}, content=b"x")
    assert response.status_code == 415 and response.json()["type"] == "unsupported_media_type"


def test_fixtures_obey_the_product_limits(client):
    too_long = {"sessions": [{"session_id": "devin-a1", "title": "t" * 201, "tags": ["x" * 65],
                              "messages": [{"message": ""}], "user_id": "u" * 2049}]}
    response = client.post("/_mock/fixtures", json=too_long)
    assert response.status_code == 422
    assert sorted(e["loc"] for e in response.json()["errors"]) == [
        ["body", "sessions", 0, "messages", 0, "message"], ["body", "sessions", 0, "tags", 0],
        ["body", "sessions", 0, "title"], ["body", "sessions", 0, "user_id"]]


def test_fixtures_past_the_session_limit_are_a_409_and_load_nothing():
    with build(MockConfig(limits=StoreLimits(max_sessions=60))).app.test_client() as client:
        before = client.get(SESSIONS, headers=ADMIN).json()["total"]
        sessions = [{"session_id": f"devin-f{i}"} for i in range(61)]
        response = client.post("/_mock/fixtures", json={"sessions": sessions})
        assert response.status_code == 409 and response.json()["type"] == "limit_exceeded"
        assert client.get(SESSIONS, headers=ADMIN).json()["total"] == before


def test_a_fixtures_body_past_the_size_limit_is_a_413():
    with build(MockConfig(max_body_bytes=1000)).app.test_client() as client:
        response = client.post("/_mock/fixtures", json={"sessions": [{"session_id": f"devin-f{i}"} for i in range(100)]})
        assert response.status_code == 413 and response.json()["type"] == "payload_too_large"
