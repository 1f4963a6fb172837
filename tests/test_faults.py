"""Latency and fault injection: `--latency`, `--fault-rate`, reproducible with `--seed`."""

from __future__ import annotations

import random

import pytest

from conftest import ADMIN, SESSIONS
from mock_server import MockConfig, build, faults
from mock_server.cli import parser
from mock_server.faults import FAULTS, Latency, parse_fault_rate


def statuses(config: MockConfig, count: int) -> list[int]:
    with build(config).app.test_client() as client:
        return [client.get(SESSIONS, headers=ADMIN).status_code for _ in range(count)]


def test_latency_parses_a_value_or_a_range():
    assert Latency.parse("50") == Latency(50, 50)
    assert Latency.parse("50-300") == Latency(50, 300)


@pytest.mark.parametrize("text", ["fast", "300-50", "-5", "5-", "60001", "nan", "inf"])
def test_bad_latency_is_refused_with_the_reason(text):
    with pytest.raises(ValueError, match="latency"):
        Latency.parse(text)


def test_latency_draws_stay_in_the_range():
    rng = random.Random(1)
    draws = [Latency(50, 300).draw_seconds(rng) for _ in range(200)]
    assert 0.05 <= min(draws) and max(draws) <= 0.3 and max(draws) - min(draws) > 0.1


def test_latency_delays_api_answers_but_not_the_docs(monkeypatch):
    delays: list[float] = []

    async def record(seconds: float) -> None:  # the delay asked for, not wall time: no timed test
        delays.append(seconds)

    monkeypatch.setattr(faults.asyncio, "sleep", record)
    with build(MockConfig(latency=Latency(120, 120))).app.test_client() as client:
        assert client.get(SESSIONS, headers=ADMIN).status_code == 200
        assert delays == [0.12]
        assert client.get("/openapi.yaml").status_code == 200
        assert delays == [0.12]


@pytest.mark.parametrize("text", ["1.5", "-0.1", "often"])
def test_bad_fault_rate_is_refused(text):
    with pytest.raises(ValueError, match="fault rate"):
        parse_fault_rate(text)


def test_fault_rate_one_always_fails_with_an_injected_5xx_in_the_envelope():
    with build(MockConfig(fault_rate=1.0)).app.test_client() as client:
        seen = set()
        for _ in range(40):
            response = client.get(SESSIONS, headers=ADMIN)
            body = response.json()
            assert response.status_code in (500, 502, 504)
            assert response.headers["content-type"] == "application/problem+json"
            assert body["status"] == response.status_code and "Injected fault" in body["detail"]
            seen.add(body["type"])
    assert seen == {"internal_error", "bad_gateway", "gateway_timeout"} and len(FAULTS) == 3


def test_faults_follow_the_rate_and_the_seed():
    first = statuses(MockConfig(fault_rate=0.3, seed=7), 100)
    assert first == statuses(MockConfig(fault_rate=0.3, seed=7), 100)
    assert first != statuses(MockConfig(fault_rate=0.3, seed=8), 100)
    failures = sum(status != 200 for status in first)
    assert 15 <= failures <= 45


def test_an_explicit_prefer_is_never_replaced_by_a_fault():
    with build(MockConfig(fault_rate=1.0)).app.test_client() as client:
        assert client.get(SESSIONS, headers={**ADMIN, "Prefer": "code=403"}).status_code == 403


def test_a_fault_changes_nothing(new_session):
    mock = build(MockConfig(fault_rate=1.0))
    session = mock.store.list(("org-mock",), [("archived", False)])[0]
    with mock.app.test_client() as client:
        assert client.post(f"{SESSIONS}/{session.id}/archive", headers=ADMIN).status_code >= 500
    assert mock.store.get(("org-mock",), session.id).fields["is_archived"] is False


def test_a_fault_after_the_request_lets_its_write_happen():
    mock = build(MockConfig(fault_rate=1.0, fault_timing="after"))
    session = mock.store.list(("org-mock",), [("archived", False)])[0]
    with mock.app.test_client() as client:
        response = client.post(f"{SESSIONS}/{session.id}/archive", headers=ADMIN)
        assert response.status_code in (500, 502, 504) and "carried out" in response.json()["detail"]
    assert mock.store.get(("org-mock",), session.id).fields["is_archived"] is True


def test_cli_options_reach_the_config():
    args = parser().parse_args(["--latency", "50-300", "--fault-rate", "0.05", "--seed", "3"])
    assert args.latency == Latency(50, 300) and args.fault_rate == 0.05 and args.seed == 3


def test_cli_refuses_a_bad_value_in_one_line(capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["--fault-rate", "2"])
    assert "fault rate must be a fraction between 0 and 1" in capsys.readouterr().err
