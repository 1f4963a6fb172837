"""CORS for local frontends: preflights, allowed origins, headers a UI must read, errors too."""

from __future__ import annotations

import asyncio

import pytest

from conftest import ADMIN, SESSIONS
from mock_server import MockConfig, build
from mock_server.cli import parser
from mock_server.cors import send_varying_by_origin


def preflight(client, origin: str, method: str = "POST"):
    return client.options(SESSIONS, headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type, prefer",
    })


@pytest.mark.parametrize("origin", ["http://localhost:5173", "http://127.0.0.1:3000", "https://localhost", "http://[::1]:8000"])
def test_preflight_from_a_local_origin_is_allowed(client, origin):
    response = preflight(client, origin)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"].lower()


@pytest.mark.parametrize("origin", ["http://evil.example", "http://localhost.evil.example", "http://localhost:3000.evil.example"])
def test_other_origins_are_not_allowed(client, origin):
    response = preflight(client, origin)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "bad_request" and f"--cors-origin {origin}" in problem["detail"]
    assert problem["instance"] == SESSIONS and response.headers.get_list("vary") == ["Origin"]
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in client.get(SESSIONS, headers={**ADMIN, "Origin": origin}).headers


def test_cors_origin_adds_an_origin():
    with build(MockConfig(cors_origins=("https://app.example.test",))).app.test_client() as client:
        assert preflight(client, "https://app.example.test").headers["access-control-allow-origin"] == "https://app.example.test"


def test_answers_expose_the_headers_a_ui_reads(client):
    response = client.get(SESSIONS, headers={**ADMIN, "Origin": "http://localhost:5173"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    assert {"retry-after", "www-authenticate", "allow"} <= exposed


@pytest.mark.parametrize("headers, status", [({}, 401), ({**ADMIN, "Prefer": "code=429"}, 429)])
def test_error_answers_carry_cors_headers(client, headers, status):
    response = client.get(SESSIONS, headers={**headers, "Origin": "http://localhost:5173"})
    assert response.status_code == status
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"


def test_405_and_404_carry_cors_headers(client):
    for method, path, status in (("PATCH", SESSIONS, 405), ("GET", "/nowhere", 404)):
        response = client.request(method, path, headers={"Origin": "http://localhost:5173"})
        assert response.status_code == status
        assert response.headers["access-control-allow-origin"] == "http://localhost:5173"


def test_an_options_request_that_is_no_preflight_is_still_405(client):
    response = client.options(SESSIONS)
    assert response.status_code == 405 and "GET" in response.headers["allow"]


def test_cli_option_is_repeatable_and_checked(capsys):
    args = parser().parse_args(["--cors-origin", "https://a.test", "--cors-origin", "http://b.test:8000/"])
    assert args.cors_origin == ["https://a.test", "http://b.test:8000"]
    with pytest.raises(SystemExit):
        parser().parse_args(["--cors-origin", "localhost:3000"])
    assert "origin looks like" in capsys.readouterr().err


def test_credentials_are_allowed_for_an_allowed_origin(client):
    origin = "http://localhost:5173"
    allowed = preflight(client, origin)
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert allowed.headers["access-control-allow-origin"] == origin  # never `*` with credentials
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()  # named, not `*`
    answer = client.get(SESSIONS, headers={**ADMIN, "Origin": origin, "Cookie": "theme=dark"})
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert answer.headers["access-control-allow-origin"] == origin


def test_a_refused_origin_s_log_line_says_how_to_allow_it(capsys):
    with build(MockConfig(log_requests=True, allowed_hosts=("testserver", "mock.test"))).app.test_client() as client:
        preflight(client, "https://app.example.test:3000")
        client.get(SESSIONS, headers={**ADMIN, "Origin": "https://app.example.test:3000"})
        client.get(SESSIONS, headers={**ADMIN, "Origin": "null"})
        client.get(SESSIONS, headers={**ADMIN, "Origin": "http://localhost:5173"})
        client.get(SESSIONS, headers={**ADMIN, "Origin": "http://mock.test:8080", "Host": "mock.test:8080"})  # its docs page
    refused_preflight, refused_get, file_page, allowed, same_origin = capsys.readouterr().out.splitlines()
    fix = "refused origin https://app.example.test:3000: start with --cors-origin https://app.example.test:3000"
    assert refused_preflight.startswith(f"OPTIONS {SESSIONS} 400 ") and refused_preflight.endswith(fix)
    assert refused_get.startswith(f"GET {SESSIONS} 200 ") and refused_get.endswith(fix)
    assert file_page.endswith("refused origin 'null': serve the page from http://localhost (any port) to call this mock")
    assert same_origin.startswith(f"GET {SESSIONS} 200 ") and same_origin.endswith("ms")
    assert allowed.startswith(f"GET {SESSIONS} 200 ") and allowed.endswith("ms")


def test_an_answer_to_a_request_without_origin_still_varies_by_origin(client):
    """A cache between a page and the mock must not hand one origin's answer to another."""
    response = client.get(SESSIONS, headers=ADMIN)
    assert response.status_code == 200 and response.headers.get_list("vary") == ["Origin"]


@pytest.mark.parametrize("given, expected", [([], b"Origin"), ([b"Accept"], b"Accept, Origin"),
                                             ([b"Accept", b"Prefer"], b"Accept, Prefer, Origin")])
def test_an_answer_with_its_own_vary_gets_one_vary_naming_origin_last(given, expected):
    sent = []

    async def send(message):
        sent.append(message)

    headers = [(b"content-type", b"application/json")] + [(b"Vary", value) for value in given]
    asyncio.run(send_varying_by_origin(send, {"type": "http.response.start", "status": 200, "headers": headers}))
    assert sent[0]["headers"] == [(b"content-type", b"application/json"), (b"vary", expected)]
