"""The mock over HTTP: auth and tenancy, precedence, validation, the envelope, lifecycle, lists."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from api_model import load
from conftest import ADMIN, OTHER, SESSIONS, VIEWER

TITLES = load().kit.envelope.titles


def assert_problem(response, status: int, type_: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == type_ and body["status"] == status
    assert body["title"] == TITLES[type_] and body["detail"]
    assert body["instance"] == response.request.url.path
    if status == 422:
        assert body["errors"] and all(e["loc"][0] in {"path", "query", "header", "body"} for e in body["errors"])
    else:
        assert body["errors"] is None
    return body


def locs(response) -> list[list]:
    return [e["loc"] for e in response.json()["errors"]]


# -- auth and tenancy ------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer nope"}, {"Authorization": "Bearer"}])
def test_bad_credentials_are_401_with_challenge(client, headers):
    response = client.get(SESSIONS, headers=headers)
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].lower().startswith("bearer")


def test_scheme_name_is_case_insensitive(client):
    assert client.get(SESSIONS, headers={"Authorization": "bEaReR cog_mock_admin"}).status_code == 200


def test_viewer_can_read_but_not_modify(client, new_session):
    sid = new_session["session_id"]
    assert client.get(f"{SESSIONS}/{sid}", headers=VIEWER).status_code == 200
    assert_problem(client.post(f"{SESSIONS}/{sid}/archive", headers=VIEWER), 403, "forbidden")
    assert client.get(f"{SESSIONS}/{sid}", headers=ADMIN).json()["is_archived"] is False


def test_token_of_another_org_is_403_and_its_sessions_are_404(client, new_session):
    sid = new_session["session_id"]
    assert_problem(client.get(f"{SESSIONS}/{sid}", headers=OTHER), 403, "forbidden")
    assert_problem(client.get(f"/v3/organizations/org-other/sessions/{sid}", headers=OTHER), 404, "session_not_found")
    assert_problem(client.post(f"/v3/organizations/org-other/sessions/{sid}/archive", headers=OTHER), 404, "session_not_found")


def test_malformed_org_is_403_not_422(client):
    assert_problem(client.get("/v3/organizations/acme/sessions", headers=ADMIN), 403, "forbidden")


# -- precedence ------------------------------------------------------------------------------

def test_unknown_route_is_404_before_auth(client):
    assert_problem(client.get("/v3/nothing"), 404, "not_found")


def test_405_names_every_documented_method_before_auth(client):
    response = client.patch(f"{SESSIONS}/devin-abc")
    assert_problem(response, 405, "method_not_allowed")
    assert {m.strip() for m in response.headers["allow"].split(",")} == {"GET", "DELETE"}


def test_auth_before_body_checks(client):
    assert_problem(client.post(SESSIONS, content=b"{", headers={"Content-Type": "text/plain"}), 401, "unauthenticated")
    assert_problem(client.post(SESSIONS, content=b"{", headers={**VIEWER, "Content-Type": "text/plain"}), 403, "forbidden")


def test_415_and_400_before_422(client):
    assert_problem(client.post("/v3/organizations/org-mock/sessions/bad/messages", content=b"{", headers={**ADMIN, "Content-Type": "text/plain"}), 415, "unsupported_media_type")
    assert_problem(client.post("/v3/organizations/org-mock/sessions/bad/messages", content=b"{", headers={**ADMIN, "Content-Type": "application/json"}), 400, "bad_request")


def test_422_collects_path_query_and_body_errors_before_404(client):
    response = client.post("/v3/organizations/org-mock/sessions/bad!/messages", json={"message": "", "x": 1}, headers=ADMIN)
    assert_problem(response, 422, "validation_error")
    assert sorted(locs(response)) == [["body", "message"], ["body", "x"], ["path", "devin_id"]]


def test_404_before_409(client):
    assert_problem(client.post(f"{SESSIONS}/devin-missing/messages", json={"message": "hi"}, headers=ADMIN), 404, "session_not_found")


def test_id_with_trailing_newline_is_malformed(client):
    response = client.get(f"{SESSIONS}/devin-abc%0A", headers=ADMIN)
    assert_problem(response, 422, "validation_error")
    assert locs(response) == [["path", "devin_id"]]


# -- bodies ----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [b'{"prompt": NaN}', b'{"prompt": "x", "max_acu_limit": Infinity}', b"\xff\xfe{}", b"[1,"])
def test_malformed_json_is_400(client, raw):
    assert_problem(client.post(SESSIONS, content=raw, headers={**ADMIN, "Content-Type": "application/json"}), 400, "bad_request")


def test_charset_parameter_is_accepted(client):
    response = client.post(SESSIONS, content=b'{"prompt": "hi"}', headers={**ADMIN, "Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Content-Type": "application/json"}])
def test_missing_body_is_422(client, headers):
    response = client.post(SESSIONS, headers={**ADMIN, **headers})
    assert_problem(response, 422, "validation_error")
    assert locs(response) == [["body"]]


def test_body_without_content_type_is_415(client):
    assert_problem(client.post(SESSIONS, content=b'{"prompt": "x"}', headers=ADMIN), 415, "unsupported_media_type")


def test_operations_without_body_ignore_one(client, new_session):
    response = client.post(f"{SESSIONS}/{new_session['session_id']}/archive", content=b"garbage", headers={**ADMIN, "Content-Type": "text/plain"})
    assert response.status_code == 200


@pytest.mark.parametrize(("body", "loc"), [
    ({"prompt": "x", "title": "t" * 201}, ["body", "title"]),
    ({"prompt": "x", "tags": ["a" * 65]}, ["body", "tags", 0]),
    ({"prompt": "x", "tags": [str(i) for i in range(51)]}, ["body", "tags"]),
    ({"prompt": "x", "tags": None}, ["body", "tags"]),
    ({"prompt": "x", "max_acu_limit": 0}, ["body", "max_acu_limit"]),
    ({"prompt": "x" * 100_001}, ["body", "prompt"]),
    ({}, ["body", "prompt"]),
])
def test_create_limits(client, body, loc):
    response = client.post(SESSIONS, json=body, headers=ADMIN)
    assert_problem(response, 422, "validation_error")
    assert locs(response) == [loc]


def test_limits_count_code_points(client):
    assert client.post(SESSIONS, json={"prompt": "x", "title": "é" * 200, "tags": ["😀" * 64]}, headers=ADMIN).status_code == 200


def test_nullable_title_and_playbook(client):
    response = client.post(SESSIONS, json={"prompt": "x", "title": None, "playbook_id": None}, headers=ADMIN)
    assert response.status_code == 200 and response.json()["title"] is None


# -- lifecycle over HTTP ---------------------------------------------------------------------

def test_archive_flow(client, new_session):
    sid = new_session["session_id"]
    first = client.post(f"{SESSIONS}/{sid}/archive", headers=ADMIN)
    second = client.post(f"{SESSIONS}/{sid}/archive", headers=ADMIN)
    assert first.status_code == second.status_code == 200 and first.json() == second.json()
    assert (first.json()["status"], first.json()["is_archived"]) == ("suspended", True)
    got = client.get(f"{SESSIONS}/{sid}", headers=ADMIN).json()
    assert {k: v for k, v in got.items() if k not in {"status_detail", "category", "subcategory", "structured_output"}} == {
        k: v for k, v in first.json().items() if k not in {"status_detail", "category", "subcategory", "structured_output"}
    }
    assert got["status_detail"] == "user_request"
    assert_problem(client.post(f"{SESSIONS}/{sid}/messages", json={"message": "hi"}, headers=ADMIN), 409, "session_archived")
    assert_problem(client.put(f"{SESSIONS}/{sid}/tags", json={"tags": ["a"]}, headers=ADMIN), 409, "session_archived")
    unarchived = client.post(f"{SESSIONS}/{sid}/unarchive", headers=ADMIN).json()
    assert (unarchived["is_archived"], unarchived["status"]) == (False, "suspended")
    resumed = client.post(f"{SESSIONS}/{sid}/messages", json={"message": "go"}, headers=ADMIN).json()
    assert resumed["status"] == "running"


def test_terminate_flow(client, new_session):
    sid = new_session["session_id"]
    ended = client.delete(f"{SESSIONS}/{sid}", headers=ADMIN).json()
    assert (ended["status"], ended["is_archived"]) == ("exit", False)
    assert_problem(client.post(f"{SESSIONS}/{sid}/messages", json={"message": "hi"}, headers=ADMIN), 409, "session_terminated")
    assert client.delete(f"{SESSIONS}/{sid}?archive=true", headers=ADMIN).json()["is_archived"] is True


def test_concurrent_archives_return_identical_bodies(mock, new_session):
    async def archive_many() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=mock.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            url = f"{SESSIONS}/{new_session['session_id']}/archive"
            return await asyncio.gather(*(client.post(url, headers=ADMIN) for _ in range(20)))

    responses = asyncio.run(archive_many())
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1


def test_messages_oldest_first_with_prompt_first(client, new_session):
    sid = new_session["session_id"]
    client.post(f"{SESSIONS}/{sid}/messages", json={"message": "second"}, headers=ADMIN)
    items = client.get(f"{SESSIONS}/{sid}/messages", headers=ADMIN).json()["items"]
    assert [(m["source"], m["message"]) for m in items] == [("user", "Fix the build"), ("user", "second")]


def test_replace_tags_returns_tags_and_list_filters_by_all_tags(client, new_session):
    sid = new_session["session_id"]
    assert client.put(f"{SESSIONS}/{sid}/tags", json={"tags": ["x1", "y1"]}, headers=ADMIN).json() == {"tags": ["x1", "y1"]}
    found = client.get(f"{SESSIONS}?tags=x1&tags=y1", headers=ADMIN).json()
    assert [s["session_id"] for s in found["items"]] == [sid] and found["total"] == 1
    assert client.get(f"{SESSIONS}?tags=x1&tags=zz", headers=ADMIN).json()["total"] == 0


# -- lists -----------------------------------------------------------------------------------

def walk(client, url: str, first: int) -> list[str]:
    seen, after = [], None
    while True:
        params = {"first": first, **({"after": after} if after else {})}
        page = client.get(url, params=params, headers=ADMIN).json()
        seen += [item.get("session_id") or item.get("event_id") for item in page["items"]]
        assert (page["end_cursor"] is None) == (not page["has_next_page"])
        if not page["has_next_page"]:
            return seen
        after = page["end_cursor"]


@pytest.mark.parametrize("first", [1, 7, 200])
def test_pagination_returns_every_session_once_newest_first(client, first):
    everything = client.get(SESSIONS, params={"first": 200}, headers=ADMIN).json()
    walked = walk(client, SESSIONS, first)
    assert walked == [s["session_id"] for s in everything["items"]]
    assert len(set(walked)) == everything["total"] == len(walked)
    keys = [(s["created_at"], s["session_id"]) for s in everything["items"]]
    assert keys == sorted(keys, reverse=True)


def test_archived_filter(client):
    archived = client.get(SESSIONS, params={"is_archived": "true", "first": 200}, headers=ADMIN).json()
    active = client.get(SESSIONS, params={"is_archived": "false", "first": 200}, headers=ADMIN).json()
    both = client.get(SESSIONS, params={"first": 200}, headers=ADMIN).json()
    assert all(s["is_archived"] for s in archived["items"]) and not any(s["is_archived"] for s in active["items"])
    assert archived["total"] + active["total"] == both["total"] > 0


@pytest.mark.parametrize("cursor", ["nope", "eyJhIjoxfQ.AAAA", ""])
def test_cursor_not_issued_is_422(client, cursor):
    response = client.get(SESSIONS, params={"after": cursor}, headers=ADMIN)
    assert_problem(response, 422, "validation_error")
    assert locs(response) == [["query", "after"]]


def test_cursor_of_another_org_is_refused(client):
    page = client.get(SESSIONS, params={"first": 1}, headers=ADMIN).json()
    response = client.get("/v3/organizations/org-other/sessions", params={"after": page["end_cursor"]}, headers=OTHER)
    assert_problem(response, 422, "validation_error")


def test_message_pagination(client, new_session):
    sid = new_session["session_id"]
    for n in range(4):
        client.post(f"{SESSIONS}/{sid}/messages", json={"message": f"m{n}"}, headers=ADMIN)
    assert walk(client, f"{SESSIONS}/{sid}/messages", 2) == [f"{sid}-{n}" for n in range(1, 6)]


def test_unknown_query_parameters_are_ignored(client):
    assert client.get(SESSIONS, params={"colour": "blue"}, headers=ADMIN).status_code == 200


def test_get_and_list_populate_detail_fields_other_operations_null_them(client):
    listed = client.get(SESSIONS, params={"first": 200}, headers=ADMIN).json()["items"]
    running = next(s for s in listed if s["status"] == "running" and not s["is_archived"])
    assert running["status_detail"] is not None
    sid = running["session_id"]
    assert client.get(f"{SESSIONS}/{sid}", headers=ADMIN).json()["status_detail"] == running["status_detail"]
    assert client.post(f"{SESSIONS}/{sid}/unarchive", headers=ADMIN).json()["status_detail"] is None


# -- the mock checks itself ------------------------------------------------------------------

def test_a_response_that_breaks_the_spec_is_a_500_envelope(client, mock, new_session, monkeypatch):
    representation = mock.handlers.representation
    real = representation.of
    monkeypatch.setattr(representation, "of", lambda record, read: {**real(record, read=read), "status": "sleeping"})
    response = client.get(f"{SESSIONS}/{new_session['session_id']}", headers=ADMIN)
    assert_problem(response, 500, "internal_error")


def test_unexpected_exception_is_a_500_envelope(client, mock, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(mock.store, "page", explode)
    assert_problem(client.get(SESSIONS, headers=ADMIN), 500, "internal_error")


def test_seed_is_deterministic():
    from mock_server import build

    def ids(seed: int) -> list[str]:
        return [s.id for s in build_store(seed)]

    def build_store(seed: int):
        from mock_server import MockConfig

        return build(MockConfig(seed=seed)).store.list(("org-mock",))

    assert ids(1) == ids(1) != ids(2)
    statuses = {s.fields["status"] for s in build_store(0)}
    assert statuses == {"new", "claimed", "running", "resuming", "suspended", "exit", "error"}


def test_reset_restores_the_seed(client, mock, new_session):
    mock.reset()
    assert_problem(client.get(f"{SESSIONS}/{new_session['session_id']}", headers=ADMIN), 404, "session_not_found")


# -- hostile input in the query and headers: a 4xx in the envelope, never a 500 -------------------


@pytest.mark.parametrize("cursor", ["YQ.%C3%A9", "%C3%A9.%C3%A9", "%FF", "YQ." + "%E2%80%AE" * 50])
def test_a_cursor_with_non_ascii_characters_is_a_422(client, cursor):
    response = client.get(f"{SESSIONS}?after={cursor}", headers=ADMIN)
    assert_problem(response, 422, "validation_error")
    assert locs(response) == [["query", "after"]]


@pytest.mark.parametrize("first", ["1" * 4301, "9" * 31, "-" + "9" * 5000, "%C2%B2", "%D9%A1"])
def test_an_integer_past_any_range_or_in_other_digits_is_a_422(client, first):
    response = client.get(f"{SESSIONS}?first={first}", headers=ADMIN)
    assert_problem(response, 422, "validation_error")
    assert locs(response) == [["query", "first"]]


def test_a_list_walks_a_large_store_by_cursor(client, mock):
    # a page costs what the page holds (see test_store); here: 1 000 sessions, walked 100 at a time
    for index in range(1000):
        client.post(SESSIONS, json={"prompt": f"p{index}", "tags": ["bulk"]}, headers=ADMIN)
    seen, after = [], None
    while True:
        page = client.get(SESSIONS, params={"tags": "bulk", "first": 100, **({"after": after} if after else {})},
                          headers=ADMIN).json()
        seen += [item["session_id"] for item in page["items"]]
        assert page["total"] == 1000
        if not page["has_next_page"]:
            break
        after = page["end_cursor"]
    assert len(seen) == len(set(seen)) == 1000


def test_storage_limits_are_a_409_naming_the_limit():
    from mock_server import MockConfig, build
    from mock_server.store import StoreLimits

    with build(MockConfig(limits=StoreLimits(max_sessions=61, max_messages=4))).app.test_client() as client:
        created = client.post(SESSIONS, json={"prompt": "p"}, headers=ADMIN)
        assert created.status_code == 200
        body = assert_problem(client.post(SESSIONS, json={"prompt": "p"}, headers=ADMIN), 409, "limit_exceeded")
        assert "61 sessions" in body["detail"] and "/_mock/reset" in body["detail"]
        path = f"{SESSIONS}/{created.json()['session_id']}/messages"
        for message in ("two", "three", "four"):
            assert client.post(path, json={"message": message}, headers=ADMIN).status_code == 200
        body = assert_problem(client.post(path, json={"message": "five"}, headers=ADMIN), 409, "limit_exceeded")
        assert "4 messages" in body["detail"]


def test_a_write_to_one_session_leaves_those_made_from_the_same_values_as_they_were(client):
    """New sessions share the values they are made from (defaults, the credential's, the request's):
    a write works on a copy, so no other session, nor a later one, sees it."""
    body = {"prompt": "Same prompt", "title": "Same title"}  # no tags: the default, an empty list
    first, second = (client.post(SESSIONS, json=body, headers=ADMIN).json() for _ in range(2))
    target = f"{SESSIONS}/{first['session_id']}"
    assert client.put(f"{target}/tags", json={"tags": ["changed"]}, headers=ADMIN).status_code == 200
    assert client.post(f"{target}/messages", json={"message": "more"}, headers=ADMIN).status_code == 200
    other = client.get(f"{SESSIONS}/{second['session_id']}", headers=ADMIN).json()
    assert other["tags"] == [] and other["title"] == "Same title"
    messages = client.get(f"{SESSIONS}/{second['session_id']}/messages", headers=ADMIN).json()["items"]
    assert [m["message"] for m in messages] == ["Same prompt"]
    assert client.post(SESSIONS, json=body, headers=ADMIN).json()["tags"] == []
