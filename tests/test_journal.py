"""The request journal, GET and DELETE /_mock/requests: each API request with its answer, bodies
included, credentials masked, bounded in entries and in bytes, filtered."""

from __future__ import annotations

import json

import jsonschema_rs
import pytest
import yaml

from conftest import ADMIN, SESSIONS
from mock_server import MockConfig, build
from mock_server.admin import AdminAccess
from mock_server.cli import describe_journal, parser

JOURNAL = "/_mock/requests"


def entries(client, query: str = "", headers: dict | None = None) -> list[dict]:
    response = client.get(f"{JOURNAL}{query}", headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()["requests"]


def test_a_request_and_its_answer_are_recorded_with_their_bodies(client):
    sent = {"prompt": "Fix the build", "tags": ["t1"]}
    raw = json.dumps(sent).encode()
    answer = client.post(SESSIONS, content=raw, headers={**ADMIN, "Content-Type": "application/json; charset=utf-8"})
    [entry] = entries(client)
    assert (entry["method"], entry["path"], entry["query"], entry["status"]) == ("POST", SESSIONS, "", 200)
    assert entry["operation"] == "create_session" and entry["duration_ms"] > 0 and entry["notes"] == []
    assert entry["request"]["body"] == {"size": len(raw), "truncated": False, "json": sent}
    assert entry["response"]["body"]["json"] == answer.json()
    assert entry["response"]["headers"]["content-type"] == "application/json"
    assert entry["request"]["headers"]["content-type"] == "application/json; charset=utf-8"


def test_every_answer_is_recorded_errors_and_preflights_included(client):
    client.get(SESSIONS)  # 401 from the auth stage
    client.get("/nowhere", headers=ADMIN)  # 404 from the route stage
    client.options(SESSIONS, headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"})
    preflight, no_route, unauthenticated = entries(client)
    assert (unauthenticated["status"], unauthenticated["operation"]) == (401, "list_sessions")
    assert unauthenticated["response"]["body"]["json"]["type"] == "unauthenticated"
    assert (no_route["status"], no_route["operation"], no_route["path"]) == (404, None, "/nowhere")
    assert (preflight["method"], preflight["status"]) == ("OPTIONS", 200)
    assert preflight["response"]["headers"]["access-control-allow-origin"] == "http://localhost:5173"


def test_the_journal_changes_nothing_the_client_sees():
    answers = []
    for size in (0, 500):
        with build(MockConfig(journal_size=size)).app.test_client() as client:
            response = client.get(SESSIONS + "?first=3", headers={**ADMIN, "Origin": "http://localhost:5173"})
            # The seeded instants follow the clock: the ids and the size must match.
            ids = [item["session_id"] for item in response.json()["items"]]
            answers.append((response.status_code, sorted(response.headers.items()), len(response.content), ids))
    assert answers[0] == answers[1]


def test_credentials_are_masked():
    mock = build(MockConfig(admin=AdminAccess(token="s3cret-admin-token")))
    admin = {"Authorization": "Bearer s3cret-admin-token"}
    with mock.app.test_client() as client:
        client.get(SESSIONS, headers={**ADMIN, "Cookie": "sid=c00kie-value; theme=dark", "Proxy-Authorization": "Basic dXNlcjpwYXNz"})
        client.get(SESSIONS, headers={**admin, "X-Forwarded-Token": "s3cret-admin-token"})
        response = client.get(JOURNAL, headers=admin)
    assert response.status_code == 200
    admin_sent, api_token = (e["request"]["headers"] for e in response.json()["requests"])
    assert api_token["authorization"] == "Bearer cog_mo…"
    assert api_token["cookie"] == "sid=…; theme=…"
    assert api_token["proxy-authorization"] == "Basic dXNlcj…"
    assert admin_sent["authorization"] == "Bearer …" and admin_sent["x-forwarded-token"] == "…"
    assert "s3cret" not in response.text and "cog_mock_admin" not in response.text and "c00kie-value" not in response.text


def test_bodies_are_kept_up_to_the_cap_and_stream_through_whole(client, mock):
    mock.journal.body_cap = 64
    prompt = "p" * 300
    raw = json.dumps({"prompt": prompt}).encode()
    created = client.post(SESSIONS, content=raw, headers={**ADMIN, "Content-Type": "application/json"})
    assert created.status_code == 200
    messages = client.get(f"{SESSIONS}/{created.json()['session_id']}/messages", headers=ADMIN).json()["items"]
    assert messages[0]["message"] == prompt  # the mock read the whole body
    entry = entries(client, "?method=POST")[0]
    assert entry["request"]["body"] == {"size": len(raw), "truncated": True, "text": raw[:64].decode()}
    response_body = entry["response"]["body"]
    assert response_body["truncated"] and response_body["size"] == len(created.content)
    assert response_body["text"] == created.content[:64].decode() and "json" not in response_body


def test_a_body_refused_as_too_large_is_recorded_without_its_bytes():
    with build(MockConfig(max_body_bytes=1024)).app.test_client() as client:
        response = client.post(SESSIONS, content=b'{"prompt": "' + b"x" * 5000 + b'"}',
                               headers={**ADMIN, "Content-Type": "application/json"})
        assert response.status_code == 413
        [entry] = entries(client)
    assert entry["status"] == 413
    assert entry["request"]["body"] == {"size": 0, "truncated": True}  # refused by its Content-Length, never read
    assert entry["response"]["body"]["json"]["status"] == 413


def test_the_ring_keeps_the_newest_entries():
    with build(MockConfig(journal_size=3)).app.test_client() as client:
        for first in range(1, 6):
            client.get(f"{SESSIONS}?first={first}", headers=ADMIN)
        answer = client.get(JOURNAL).json()
    assert [e["query"] for e in answer["requests"]] == ["first=5", "first=4", "first=3"]
    assert [e["id"] for e in answer["requests"]] == [5, 4, 3]
    assert (answer["capacity"], answer["latest"], answer["matched"]) == (3, 5, 3)


def test_a_journal_of_size_zero_records_nothing():
    with build(MockConfig(journal_size=0)).app.test_client() as client:
        client.get(SESSIONS, headers=ADMIN)
        assert client.get(JOURNAL).json() == {"requests": [], "matched": 0, "latest": 0, "capacity": 0}


@pytest.mark.parametrize(("query", "expected"), [
    ("?method=post", ["POST /sessions"]),
    ("?path=/messages", ["GET /messages"]),
    ("?status=4xx", ["GET /nowhere", "GET /sessions"]),
    ("?status=404", ["GET /nowhere"]),
    ("?operation=list_sessions", ["GET /sessions", "GET /sessions"]),
    ("?method=GET&status=2xx", ["GET /messages", "GET /sessions"]),
    ("?limit=2", ["GET /nowhere", "GET /messages"]),
    ("?since=3", ["GET /nowhere", "GET /messages"]),
])
def test_filters(client, query, expected):
    client.get(SESSIONS, headers=ADMIN)  # 1
    created = client.post(SESSIONS, json={"prompt": "x"}, headers=ADMIN).json()  # 2
    client.get(SESSIONS)  # 3: 401
    client.get(f"{SESSIONS}/{created['session_id']}/messages", headers=ADMIN)  # 4
    client.get("/nowhere", headers=ADMIN)  # 5: 404
    answer = client.get(JOURNAL + query).json()
    assert [f"{e['method']} /{e['path'].rsplit('/', 1)[1]}" for e in answer["requests"]] == expected
    assert answer["latest"] == 5


def test_invalid_and_unknown_filters_are_one_located_422(client):
    response = client.get(f"{JOURNAL}?status=4x&limit=0&method=GET&stauts=404")
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert sorted(e["loc"] for e in response.json()["errors"]) == [["query", "limit"], ["query", "status"], ["query", "stauts"]]


def test_delete_clears_and_ids_keep_growing(client):
    client.get(SESSIONS, headers=ADMIN)
    client.get(SESSIONS, headers=ADMIN)
    cleared = client.delete(JOURNAL)
    assert cleared.status_code == 200 and cleared.json() == {"cleared": 2, "latest": 2}
    assert entries(client) == []
    client.get(SESSIONS, headers=ADMIN)
    assert [e["id"] for e in entries(client, "?since=2")] == [3]


def test_the_mock_s_own_surfaces_are_not_recorded(client):
    for path in (JOURNAL, "/_mock/admin.yaml", "/openapi.yaml", "/openapi.json", "/docs/"):
        assert client.get(path).status_code == 200, path
    client.post("/_mock/reset")
    assert entries(client) == []


def test_the_answer_is_valid_against_the_admin_document(client):
    client.post(SESSIONS, json={"prompt": "x"}, headers=ADMIN)
    client.get(SESSIONS + "?tags[]=x", headers={**ADMIN, "Origin": "https://elsewhere.test"})
    client.post(SESSIONS, content=b'{"prompt": "\xff not json', headers={**ADMIN, "Content-Type": "application/json"})
    document = yaml.safe_load(client.get("/_mock/admin.yaml").content)
    registry = jsonschema_rs.Registry([("urn:admin", document), ("urn:openapi.yaml", {})])
    schemas = {name: jsonschema_rs.Draft202012Validator({"$ref": f"urn:admin#/components/schemas/{name}"}, registry=registry)
               for name in ("Journal",)}
    answer = client.get(JOURNAL).json()
    assert len(answer["requests"]) == 3 and answer["requests"][0]["request"]["body"]["text"] == '{"prompt": "\ufffd not json'
    errors = [error.message for error in schemas["Journal"].iter_errors(answer)]
    assert not errors, errors


def test_the_journal_size_is_an_option_and_the_banner_names_the_journal(capsys):
    assert parser().parse_args([]).journal_size == 500
    args = parser().parse_args(["--journal-size", "0"])
    assert args.journal_size == 0 and describe_journal(args, "http://127.0.0.1:8080") == ""
    line = describe_journal(parser().parse_args(["--journal-size", "20"]), "http://127.0.0.1:8080")
    assert line.startswith("  Requests   GET http://127.0.0.1:8080/_mock/requests: the last 20 ")
    with pytest.raises(SystemExit):
        parser().parse_args(["--journal-size", "-1"])
    assert "from 0 to 10000" in capsys.readouterr().err
