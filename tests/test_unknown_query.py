"""Unknown query parameters: ignored, as the contract says, but named in the log line and in the
`X-Mock-Unknown-Query` header; `--strict` answers them with a located 422."""

from __future__ import annotations

import pytest

from conftest import ADMIN, SESSIONS
from mock_server import MockConfig, build
from mock_server.cli import parser

HEADER = "x-mock-unknown-query"


def test_an_unknown_parameter_is_ignored_and_named_in_the_header(client):
    plain = client.get(f"{SESSIONS}?first=5", headers=ADMIN)
    bracketed = client.get(f"{SESSIONS}?first=5&tags[]=frontend", headers=ADMIN)
    assert bracketed.status_code == 200 and bracketed.json() == plain.json()  # no filter applied
    assert bracketed.headers[HEADER] == "tags[]" and HEADER not in plain.headers


def test_the_log_line_names_it_with_a_hint_for_a_list_in_another_format(capsys):
    with build(MockConfig(log_requests=True)).app.test_client() as client:
        client.get(f"{SESSIONS}?tags%5B%5D=a&Tags=b&zz=1", headers=ADMIN)
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith(f"GET {SESSIONS}?tags%5B%5D=a&Tags=b&zz=1 200 ")
    assert line.endswith("ms unknown query: tags[] (a list is sent as tags=a&tags=b), Tags (did you mean tags?), zz")


def test_the_header_is_on_error_answers_too_and_readable_by_a_page(client):
    missing = client.get(f"{SESSIONS}/devin-0000?verbose=1", headers={**ADMIN, "Origin": "http://localhost:5173"})
    assert missing.status_code == 404 and missing.headers[HEADER] == "verbose"
    exposed = {h.strip().lower() for h in missing.headers["access-control-expose-headers"].split(",")}
    assert HEADER in exposed
    invalid = client.get(f"{SESSIONS}?first=0&verbose=1", headers=ADMIN)
    assert invalid.status_code == 422 and invalid.headers[HEADER] == "verbose"
    assert [e["loc"] for e in invalid.json()["errors"]] == [["query", "first"]]  # not strict: no error of its own


def test_a_name_cannot_forge_a_header_or_a_log_line(capsys):
    with build(MockConfig(log_requests=True)).app.test_client() as client:
        response = client.get(f"{SESSIONS}?a%0D%0AX-Forged:%201=1&b,c=2", headers=ADMIN)
    assert response.headers[HEADER] == "a%0D%0AX-Forged:%201,b%2Cc" and "x-forged" not in response.headers
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "unknown query: a%0D%0AX-Forged:%201, b%2Cc" in out


def test_strict_answers_a_422_located_at_each_with_the_other_errors():
    with build(MockConfig(strict=True)).app.test_client() as client:
        response = client.get(f"{SESSIONS}?first=abc&tags[]=x&zz=1", headers=ADMIN)
        assert client.get(f"{SESSIONS}?first=2&tags=x", headers=ADMIN).status_code == 200
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    errors = {tuple(e["loc"]): e for e in response.json()["errors"]}
    assert set(errors) == {("query", "first"), ("query", "tags[]"), ("query", "zz")}
    assert errors[("query", "tags[]")]["type"] == "extra_forbidden"
    assert "a list is sent as tags=a&tags=b" in errors[("query", "tags[]")]["msg"]
    assert response.headers[HEADER] == "tags[],zz"


def test_strict_in_the_workspace_envelope():
    from api_model import APIS

    with build(MockConfig(spec_path=APIS["workspace"], strict=True)).app.test_client() as client:
        response = client.get("/api/v1/org/acme/ws/main/sessions?label[]=x",
                              headers={"Authorization": "Bearer ws_mock_writer"})
    assert response.status_code == 422
    assert [d["loc"] for d in response.json()["details"]] == [["query", "label[]"]]


@pytest.mark.parametrize(("argv", "strict"), [([], False), (["--strict"], True)])
def test_strict_is_an_option(argv, strict):
    assert parser().parse_args(argv).strict is strict
