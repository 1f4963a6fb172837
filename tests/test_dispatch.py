"""The handle stage: handlers get typed arguments with spec defaults, the body and the credential."""

from __future__ import annotations

from conftest import ADMIN, SESSIONS
from mock_server import handlers


def test_query_parameters_arrive_typed_with_spec_defaults(client, monkeypatch):
    seen = {}
    real = handlers.Handlers.list

    def spy(self, operation, request):
        seen.update(path=request.path, query=dict(request.query))
        return real(self, operation, request)

    monkeypatch.setattr(handlers.Handlers, "list", spy)
    assert client.get(SESSIONS, headers=ADMIN).status_code == 200
    assert seen == {"path": {"org_id": "org-mock"},
                    "query": {"first": 100, "after": None, "is_archived": None, "tags": None}}
    client.get(f"{SESSIONS}?first=5&is_archived=true&tags=a&tags=b&unknown=1", headers=ADMIN)
    assert seen["query"] == {"first": 5, "after": None, "is_archived": True, "tags": ["a", "b"]}


def test_created_sessions_name_the_token_that_made_them(client):
    body = client.post(SESSIONS, json={"prompt": "x"}, headers=ADMIN).json()
    assert body["service_user_id"] == "mock-admin"


def test_answers_are_json_with_a_length(client, new_session):
    response = client.get(f"{SESSIONS}/{new_session['session_id']}", headers=ADMIN)
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
