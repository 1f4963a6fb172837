"""`Prefer: code=<status>`: forces the operation's documented error, in the envelope."""

from __future__ import annotations

import pytest

from api_model import load
from conftest import ADMIN, SESSIONS
from mock_server import MockConfig, build

CATALOG = load().errors
from mock_server.prefer import preferences


def forced(client, status: int, path: str = SESSIONS, method: str = "GET", extra: str = "", headers=None) -> dict:
    prefer = f"code={status}{extra}"
    response = client.request(method, path, headers={**(ADMIN if headers is None else headers), "Prefer": prefer})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and CATALOG.status[body["type"]] == status
    assert body["title"] == CATALOG.titles[body["type"]]
    assert "Prefer" in body["detail"] and body["instance"] == path
    return {"body": body, "headers": response.headers}


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 426, 429, 500, 502, 504])
def test_every_documented_error_can_be_forced(client, status):
    answer = forced(client, status)
    assert (answer["body"]["errors"] is not None) == (status == 422)


def test_429_carries_retry_after_in_seconds(client):
    assert int(forced(client, 429)["headers"]["retry-after"]) >= 1


def test_401_carries_the_bearer_challenge(client):
    assert forced(client, 401)["headers"]["www-authenticate"].lower().startswith("bearer")


def test_forcing_needs_no_token_and_runs_before_auth(client):
    forced(client, 500, headers={})


def test_404_on_one_session_is_session_not_found_and_on_a_list_not_found(client, new_session):
    path = f"{SESSIONS}/{new_session['session_id']}"
    assert forced(client, 404, path)["body"]["type"] == "session_not_found"
    assert forced(client, 404)["body"]["type"] == "not_found"


def test_type_picks_another_error_of_the_same_status(client, new_session):
    path = f"{SESSIONS}/{new_session['session_id']}/archive"
    assert forced(client, 409, path, "POST", ", type=session_terminated")["body"]["type"] == "session_terminated"


def test_type_of_another_status_is_a_400(client):
    response = client.get(SESSIONS, headers={**ADMIN, "Prefer": "code=409, type=rate_limited"})
    assert response.status_code == 400 and "session_archived" in response.json()["detail"]


def test_415_only_where_the_operation_takes_a_body(client, new_session):
    forced(client, 415, SESSIONS, "POST")
    response = client.get(SESSIONS, headers={**ADMIN, "Prefer": "code=415"})
    assert response.status_code == 400


@pytest.mark.parametrize("code", ["405", "418", "201", "abc", "", "\u00b2", "4" * 5000, "0404", "\u0664\u0660\u0664"])
def test_an_undocumented_code_is_a_400_listing_the_documented_ones(client, code):
    response = client.get(SESSIONS, headers={**ADMIN, "Prefer": f"code={code}".encode()})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["type"] == "bad_request"
    assert "400, 401, 403, 404, 409, 422, 426, 429, 500, 502, 504" in body["detail"]
    assert len(body["detail"]) < 300  # a long code is not echoed back whole


def test_a_long_type_is_a_400_not_echoed_whole(client):
    response = client.get(SESSIONS, headers={**ADMIN, "Prefer": "code=404, type=" + "x" * 5000})
    assert response.status_code == 400 and len(response.json()["detail"]) <= 1000


def test_a_documented_success_code_serves_normally(client):
    response = client.get(SESSIONS, headers={**ADMIN, "Prefer": "code=200"})
    assert response.status_code == 200 and response.json()["items"]


def test_other_preferences_are_ignored(client):
    assert client.get(SESSIONS, headers={**ADMIN, "Prefer": "return=minimal"}).status_code == 200


def test_a_forced_error_changes_nothing(client, new_session):
    path = f"{SESSIONS}/{new_session['session_id']}/archive"
    forced(client, 500, path, "POST")
    assert client.get(f"{SESSIONS}/{new_session['session_id']}", headers=ADMIN).json()["is_archived"] is False


def test_unknown_routes_are_still_404_not_found():
    with build(MockConfig()).app.test_client() as client:
        response = client.get("/v3/nowhere", headers={**ADMIN, "Prefer": "code=500"})
    assert response.status_code == 404 and response.json()["type"] == "not_found"


def test_preferences_parse_rfc7240_lists():
    assert preferences('code=404, example="x"; dynamic=true') == {"code": "404", "example": "x", "dynamic": "true"}
    assert preferences("Code = 429") == {"code": "429"}
