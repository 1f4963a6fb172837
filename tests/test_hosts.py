"""The Host stage: only the mock's own names are answered (DNS rebinding), and no redirect is built
from Host."""

from __future__ import annotations

import pytest

from conftest import ADMIN, SESSIONS
from mock_server import MockConfig, build
from mock_server.hosts import host_name, names_for_bind


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil"])
def test_a_host_that_is_not_the_mocks_is_a_400(client, host):
    for path in (SESSIONS, "/openapi.yaml", "/docs/", "/_mock/reset"):
        response = client.get(path, headers={**ADMIN, "Host": host})
        assert response.status_code == 400, (path, response.text)
        body = response.json()
        assert body["type"] == "bad_request" and "--allowed-host" in body["detail"]


@pytest.mark.parametrize("host", ["localhost", "localhost:8080", "127.0.0.1:9", "[::1]:8080", "LOCALHOST"])
def test_loopback_names_are_answered(client, host):
    assert client.get(SESSIONS, headers={**ADMIN, "Host": host}).status_code == 200


def test_allowed_hosts_extend_the_names_and_star_allows_any():
    with build(MockConfig(allowed_hosts=("mock.internal",))).app.test_client(base_url="http://mock.internal") as client:
        assert client.get(SESSIONS, headers=ADMIN).status_code == 200
        assert client.get(SESSIONS, headers={**ADMIN, "Host": "localhost"}).status_code == 400
    with build(MockConfig(allowed_hosts=("*",))).app.test_client(base_url="http://anything.example") as client:
        assert client.get(SESSIONS, headers=ADMIN).status_code == 200


@pytest.mark.parametrize("path", ["/openapi.yaml/", "/openapi.json/", "/docs", "/_mock", SESSIONS + "/"])
def test_no_answer_redirects_by_host(client, path):
    """A redirect built from Host would send the client wherever a rebinding page says."""
    response = client.get(path, headers={**ADMIN, "Host": "localhost:8080"}, follow_redirects=False)
    assert not 300 <= response.status_code < 400 and "location" not in response.headers


def test_names_for_a_bind():
    assert set(names_for_bind("127.0.0.1")) == {"localhost", "127.0.0.1", "::1"}
    everywhere = names_for_bind("0.0.0.0")
    assert "localhost" in everywhere and len(everywhere) > 4  # the machine's own names and addresses too


def test_host_name_strips_the_port():
    assert [host_name(h) for h in ("a.example:80", "[::1]:8080", "::1", "A.Example")] == ["a.example", "::1", "::1", "a.example"]
