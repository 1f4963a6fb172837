"""`session-mock`: starts, says where and with which tokens, and refuses bad input in one line."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request

import pytest

from conftest import free_port
from conftest import running_cli as running


def run_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mock_server", *args], capture_output=True, text=True, timeout=timeout)


def get(url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_starts_prints_url_and_tokens_and_serves():
    port = free_port()
    with running("--port", str(port), "--seed", "3") as (_, banner):
        assert f"http://127.0.0.1:{port}" in banner
        for token in ("cog_mock_admin", "cog_mock_viewer", "cog_other_admin"):
            assert token in banner
        status, body = get(f"http://127.0.0.1:{port}/v3/organizations/org-mock/sessions", "cog_mock_admin")
        assert status == 200 and body["total"] == 30


def test_tokens_file_replaces_the_defaults(tmp_path):
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text("tokens:\n  cog_alice: {org: org-acme, permissions: [ViewOrgSessions]}\n")
    port = free_port()
    with running("--port", str(port), "--tokens", str(tokens)) as (_, banner):
        assert "cog_alice" in banner and "cog_mock_admin" not in banner
        assert get(f"http://127.0.0.1:{port}/v3/organizations/org-acme/sessions", "cog_alice")[0] == 200
        assert get(f"http://127.0.0.1:{port}/v3/organizations/org-mock/sessions", "cog_mock_admin")[0] == 401


@pytest.mark.parametrize(("args", "message"), [
    (["--port", "x"], "invalid int value"),
    (["--port", "70000"], "between 0 and 65535"),
    (["--bogus"], "unrecognized arguments"),
    (["--spec", "/nonexistent.yaml"], "cannot read spec"),
    (["--tokens", "/nonexistent.yaml"], "cannot read tokens file"),
])
def test_bad_input_is_one_readable_line(args, message):
    result = run_cli(*args)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("edit", "message"), [
    (("schema: SessionResponse", "schema: Nope"), "x-kit.resource.schema: no schema 'Nope'"),
    (("$ref: '#/components/schemas/CreateSessionRequest'", "$ref: '#/components/schemas/Missing'"),
     "the $ref '#/components/schemas/Missing' at paths./v3/organizations/{org_id}/sessions.post.requestBody"),
    (("openapi: 3.1.0", "openapi: 3.0.3"), "is not an OpenAPI 3.1 document"),
])
def test_a_spec_that_cannot_be_served_is_one_readable_line(tmp_path, edit, message):
    """A document edited by hand: whatever is wrong, one line that says where, no traceback."""
    from api_model import APIS

    spec = tmp_path / "openapi.yaml"
    spec.write_text(APIS["v3"].read_text().replace(*edit, 1))
    result = run_cli("--spec", str(spec))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr


def test_the_banner_counts_what_reset_reloads():
    port = free_port()
    with running("--port", str(port)) as (_, banner):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/_mock/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            reloaded = json.load(response)["sessions"]
        assert f": {reloaded} sessions in 2 tenants (org-mock, org-other)" in banner, banner


@pytest.mark.parametrize(("content", "message"), [
    ("tokens: [a, b]\n", "expected a non-empty 'tokens:' mapping"),
    ("tokens:\n  cog_x: {org: org-a, permissions: [Root]}\n", "grants (permissions) must be a list"),
    ("tokens:\n  cog_x: 3\n", "expected {scope:"),
    ("tokens:\n  cog_x: {scope: {org_id: []}}\n", "scope values are non-empty strings"),
    ("tokens:\n  cog_x: {org: ''}\n", "scope values are non-empty strings"),
    ("tokens: {\n", "not valid YAML"),
])
def test_malformed_tokens_file(tmp_path, content, message):
    path = tmp_path / "tokens.yaml"
    path.write_text(content)
    result = run_cli("--tokens", str(path))
    assert result.returncode != 0 and message in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_port_in_use_is_one_line():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        result = run_cli("--port", str(sock.getsockname()[1]))
    assert result.returncode != 0 and "cannot listen" in result.stderr and result.stderr.count("\n") == 1, result.stderr


def post(url: str, token: str | None = None, headers: dict | None = None) -> int:
    request = urllib.request.Request(url, method="POST", headers={**({"Authorization": f"Bearer {token}"} if token else {}),
                                                                  **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_bind_beyond_loopback_warns_and_turns_the_admin_api_off():
    port = free_port()
    with running("--host", "0.0.0.0", "--port", str(port)) as (process, banner):
        assert post(f"http://127.0.0.1:{port}/_mock/reset") == 403
        assert get(f"http://127.0.0.1:{port}/v3/organizations/org-mock/sessions", "cog_mock_admin")[0] == 200
    warning = process.stderr.read()
    assert "warning: listening on 0.0.0.0" in warning and "admin API is off" in warning


def test_an_admin_token_opens_the_admin_api_beyond_loopback():
    port = free_port()
    with running("--host", "0.0.0.0", "--port", str(port), "--admin-token", "s3cret") as (process, banner):
        assert post(f"http://127.0.0.1:{port}/_mock/reset") == 401
        assert post(f"http://127.0.0.1:{port}/_mock/reset", "s3cret") == 200
    assert "admin API needs the --admin-token" in process.stderr.read()


def test_loopback_binds_print_no_warning_and_allowed_hosts_extend_the_names():
    port = free_port()
    with running("--port", str(port), "--allowed-host", "mock.internal") as (process, banner):
        url = f"http://127.0.0.1:{port}/v3/organizations/org-mock/sessions"
        assert get(url, "cog_mock_admin")[0] == 200
        for host, status in (("mock.internal:80", 200), ("evil.example", 400)):
            request = urllib.request.Request(url, headers={"Authorization": "Bearer cog_mock_admin", "Host": host})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    assert response.status == status
            except urllib.error.HTTPError as error:
                assert error.code == status
    assert "warning" not in process.stderr.read()


@pytest.mark.parametrize(("args", "message"), [
    (["--max-body-size", "2x"], "a size looks like 2MiB"),
    (["--max-sessions", "0"], "at least 1"),
    (["--max-sessions", "10"], "the seeded sessions: 60 sessions are more than the limit of 10"),
])
def test_bad_limits_are_one_readable_line(args, message):
    result = run_cli(*args)
    assert result.returncode != 0 and message in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_the_body_limit_is_an_option():
    port = free_port()
    with running("--port", str(port), "--max-body-size", "1KiB"):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/v3/organizations/org-mock/sessions", method="POST",
                                         data=b'{"prompt": "' + b"x" * 2000 + b'"}',
                                         headers={"Authorization": "Bearer cog_mock_admin", "Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(request, timeout=10)
        assert raised.value.code == 413
