"""The mock serving the workspace API (`--api workspace`): no code of its own, every daily-use
feature as for v3, in this API's envelope (`{type, status, message, details}`, application/json)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from api_model import APIS
from mock_server import MockConfig, build
from mock_server.rate_limit import RateLimit
from mock_server.store import StoreLimits

WRITER = {"Authorization": "Bearer ws_mock_writer"}
READER = {"Authorization": "Bearer ws_mock_reader"}
OTHER = {"Authorization": "Bearer ws_other_writer"}
SESSIONS = "/api/v1/org/acme/ws/main/sessions"
SEEDED = "3f2a8c4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b"  # the spec's example id
CHOSEN = "0b8f2d5e-1c3a-4f6b-9d7e-2a4c6e8f0b1d"


def serve(**config):
    return build(MockConfig(spec_path=APIS["workspace"], **config)).app.test_client()


@pytest.fixture
def client():
    with serve() as client:
        yield client


def assert_envelope(response, status: int, error_type: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"type", "status", "message", "details"}
    assert body["status"] == status and body["message"]
    assert (body["details"] is None) == (status != 422)
    if error_type is not None:
        assert body["type"] == error_type
    return body


def test_create_is_201_with_the_keys_user_as_creator(client):
    response = client.post(SESSIONS, json={"title": "Fix the build", "labels": {"team": ["web"]}}, headers=WRITER)
    assert response.status_code == 201, response.text
    session = response.json()
    assert session["origin"] == "user" and session["user_id"] == "usr_ada" == session["creator"]["id"]
    assert session["usage"] == {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0,
                                "last_generation_input_tokens": None}
    assert session["archived_at"] is None and session["created_at"].endswith("Z")


def test_other_origins_have_no_creator(client):
    session = client.post(SESSIONS, json={"origin": "eval"}, headers=WRITER).json()
    assert session["user_id"] is None and session["creator"] is None


def test_a_chosen_id_is_kept_refused_when_taken_and_free_again_after_delete(client):
    assert client.post(SESSIONS, json={"session_id": CHOSEN}, headers=WRITER).json()["id"] == CHOSEN
    assert_envelope(client.post(SESSIONS, json={"session_id": CHOSEN}, headers=WRITER), 409, "already_exists")
    # the same id in another workspace of the key is another session
    assert client.post("/api/v1/org/acme/ws/research/sessions", json={"session_id": CHOSEN}, headers=WRITER).status_code == 201
    deleted = client.delete(f"{SESSIONS}/{CHOSEN}", headers=WRITER)
    assert deleted.status_code == 204 and deleted.content == b""
    assert_envelope(client.get(f"{SESSIONS}/{CHOSEN}", headers=WRITER), 404, "session_not_found")
    assert client.post(SESSIONS, json={"session_id": CHOSEN}, headers=WRITER).status_code == 201


def test_archive_stamps_archived_at_once_and_refuses_updates(client):
    first = client.post(f"{SESSIONS}/{SEEDED}/archive", headers=WRITER).json()
    assert first["archived_at"] == first["updated_at"]
    assert client.post(f"{SESSIONS}/{SEEDED}/archive", headers=WRITER).json() == first
    assert_envelope(client.patch(f"{SESSIONS}/{SEEDED}", json={}, headers=WRITER), 409, "session_archived")
    assert client.post(f"{SESSIONS}/{SEEDED}/unarchive", headers=WRITER).json()["archived_at"] is None


def test_label_filters_all_match_and_bad_ones_are_located(client):
    listed = client.get(SESSIONS, params=[("label", "team:web"), ("label", "suite:nightly")], headers=WRITER).json()
    assert listed["data"] == []
    web = client.get(SESSIONS, params={"label": "team:web", "archived": "false"}, headers=WRITER).json()["data"]
    assert web and all("web" in s["labels"]["team"] and s["archived_at"] is None for s in web)
    body = assert_envelope(client.get(SESSIONS, params={"label": "Team", "cursor": ""}, headers=WRITER), 422)
    assert {tuple(d["loc"][:2]) for d in body["details"]} == {("query", "label"), ("query", "cursor")}


def test_an_unissued_cursor_is_reported_with_the_other_query_errors(client):
    body = assert_envelope(client.get(SESSIONS, params={"limit": 0, "cursor": "not-a-cursor"}, headers=WRITER), 422)
    assert [d["loc"] for d in body["details"]] == [["query", "limit"], ["query", "cursor"]]


def test_a_cursor_of_another_workspace_is_a_422(client):
    cursor = client.get("/api/v1/org/acme/ws/research/sessions", params={"limit": 1}, headers=WRITER).json()["next_cursor"]
    body = assert_envelope(client.get(SESSIONS, params={"cursor": cursor}, headers=WRITER), 422)
    assert body["details"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize("path, headers, status, error_type", [
    ("/api/v1/org/globex/ws/main/sessions", WRITER, 403, "forbidden"),  # another organization
    ("/api/v1/org/acme/ws/ops/sessions", WRITER, 403, "forbidden"),  # a workspace outside the key's set
    ("/api/v1/org/acme/ws/research/sessions", READER, 403, "forbidden"),
    ("/api/v1/org/acme/ws/NOT-A-SLUG/sessions", WRITER, 403, "forbidden"),  # never the key's own
    (f"{SESSIONS}/{SEEDED.upper()}", WRITER, 422, "validation_error"),
    ("/api/v1/nothing", WRITER, 404, "not_found"),
])
def test_tenancy_and_routing_errors(client, path, headers, status, error_type):
    assert_envelope(client.get(path, headers=headers), status, error_type)


def test_framework_errors_use_the_envelope(client):
    unauthenticated = client.get(SESSIONS)
    assert_envelope(unauthenticated, 401, "unauthenticated")
    assert unauthenticated.headers["www-authenticate"].startswith("Bearer")
    wrong_method = client.put(SESSIONS, headers=WRITER)
    assert_envelope(wrong_method, 405, "method_not_allowed")
    assert set(wrong_method.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert_envelope(client.post(SESSIONS, content=b"{", headers={**WRITER, "Content-Type": "application/json"}), 400,
                    "bad_request")
    assert_envelope(client.post(SESSIONS, content=b"{}", headers={**WRITER, "Content-Type": "text/plain"}), 415,
                    "unsupported_media_type")
    missing_body = assert_envelope(client.post(SESSIONS, headers=WRITER), 422, "validation_error")
    assert missing_body["details"][0]["loc"] == ["body"]


def test_prefer_forces_a_documented_error(client):
    body = assert_envelope(client.get(SESSIONS, headers={**WRITER, "Prefer": "code=409, type=session_archived"}), 409)
    assert body["type"] == "session_archived"
    assert_envelope(client.get(SESSIONS, headers={**WRITER, "Prefer": "code=504"}), 504, "gateway_timeout")


def test_faults_and_rate_limit_answer_in_the_envelope():
    with serve(fault_rate=1.0) as faulty:
        assert faulty.get(SESSIONS, headers=WRITER).json()["type"] in {"internal_error", "bad_gateway", "gateway_timeout"}
    with serve(rate_limit=RateLimit.parse("1/min")) as limited:
        limited.get(SESSIONS, headers=WRITER)
        answer = limited.get(SESSIONS, headers=WRITER)
        assert_envelope(answer, 429, "rate_limited")
        assert int(answer.headers["retry-after"]) >= 0


def test_the_mocks_own_limits_answer_within_the_closed_list():
    """The API documents no 413 and no storage-limit type: a body past the size limit is a 400,
    a storage limit a 500 naming it."""
    with serve(max_body_bytes=1024) as small:
        big = json.dumps({"title": "x" * 2000}).encode()
        body = assert_envelope(small.post(SESSIONS, content=big, headers={**WRITER, "Content-Type": "application/json"}),
                               400, "bad_request")
        assert "1024" in body["message"] or "1 KiB" in body["message"] or "larger" in body["message"]
    with serve(limits=StoreLimits(max_sessions=21)) as full:
        body = assert_envelope(full.post(SESSIONS, json={}, headers=WRITER), 500, "internal_error")
        assert "the limit" in body["message"]


def test_cors_preflight_of_a_local_page(client):
    answer = client.options(SESSIONS, headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "PATCH",
                                               "Access-Control-Request-Headers": "authorization,content-type"})
    assert answer.status_code in (200, 204)
    assert answer.headers["access-control-allow-origin"] == "http://localhost:5173"


def test_fixtures_and_the_admin_api(tmp_path):
    fixtures = tmp_path / "ws.yaml"
    fixtures.write_text(f"""
sessions:
  - id: {CHOSEN}
    org: acme
    workspace: main
    title: From a fixture
    labels: {{team: [web]}}
    archived_at: '2026-01-02T03:04:05Z'
""")
    with serve(fixtures=fixtures) as client:
        listed = client.get(SESSIONS, headers=WRITER).json()["data"]
        assert [(s["id"], s["title"], s["archived_at"]) for s in listed] == [(CHOSEN, "From a fixture", "2026-01-02T03:04:05.000Z")]
        changed = client.patch(f"/_mock{SESSIONS}/{CHOSEN}", json={"archived_at": None})
        assert changed.status_code == 200, changed.text
        assert client.get(f"{SESSIONS}/{CHOSEN}", headers=WRITER).json()["archived_at"] is None
        assert client.post("/_mock/reset").json() == {"sessions": 1}
        bad = client.post("/_mock/fixtures", json={"sessions": [{"id": "not-a-uuid", "org": "acme", "workspace": "main"}]})
        body = assert_envelope(bad, 422, "validation_error")
        assert "sessions" in json.dumps(body["details"])


def test_the_cli_serves_it_by_name_and_refuses_an_unknown_api():
    from conftest import free_port, running_cli

    port = free_port()
    with running_cli("--api", "workspace", "--port", str(port)) as (_, banner):
        assert "Workspace Sessions API mock listening" in banner and "ws_mock_writer" in banner
        assert "acme/main" in banner
    result = subprocess.run([sys.executable, "-m", "mock_server", "--api", "v4"], capture_output=True, text=True)
    assert result.returncode == 2 and "invalid choice: 'v4'" in result.stderr and len(result.stderr.splitlines()) == 1


def test_its_documents_are_served(client):
    served = client.get("/openapi.yaml")
    assert served.status_code == 200 and "Workspace Sessions API" in served.text
    assert client.get("/docs/").status_code == 200
    admin = client.get("/_mock/admin.yaml").text
    assert "/_mock/api/v1/org/{org}/ws/{workspace}/sessions/{session_id}" in admin


def test_new_ids_are_version_4_uuids_as_the_standard_library_writes_them():
    import random
    import uuid

    from mock_server.lifecycle import make_id, uuid4_text

    draws = random.Random(7)
    for bits in [0, (1 << 128) - 1, *(draws.getrandbits(128) for _ in range(2000))]:
        assert uuid4_text(bits) == str(uuid.UUID(int=bits, version=4))
    made = uuid.UUID(make_id("{uuid}"))
    assert (made.version, made.variant) == (4, uuid.RFC_4122)
