"""`--rate-limit N/period` per token: 429 `rate_limited` with `Retry-After` in whole seconds."""

from __future__ import annotations

import pytest

from conftest import ADMIN, OTHER, SESSIONS, VIEWER
from mock_server import MockConfig, build
from mock_server.cli import parser
from mock_server.rate_limit import RateLimit, RateLimits, TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("text, requests, period", [("20/s", 20, 1), ("100/min", 100, 60), ("5/m", 5, 60), ("1000/h", 1000, 3600)])
def test_limits_parse(text, requests, period):
    limit = RateLimit.parse(text)
    assert (limit.requests, limit.period_s) == (requests, period)


@pytest.mark.parametrize("text", ["20", "0/s", "20/fortnight", "x/s"])
def test_bad_limits_are_refused(text):
    with pytest.raises(ValueError, match="rate limit"):
        RateLimit.parse(text)


def test_a_bucket_allows_a_burst_then_refills_at_the_rate():
    clock = Clock()
    buckets = TokenBuckets(RateLimit.parse("4/s"), clock)
    assert [buckets.take("t") for _ in range(4)] == [0, 0, 0, 0]
    assert buckets.take("t") == pytest.approx(0.25)
    assert buckets.take("other") == 0  # per token
    clock.now = 0.25
    assert buckets.take("t") == 0
    assert buckets.take("t") > 0


def test_a_limit_is_written_plainly():
    assert RateLimit.parse(" 20 / s ").text == "20/s"
    with pytest.raises(ValueError, match="rate limit"):
        RateLimit.parse("12345678/s")  # past what the admin document takes


def test_a_changed_limit_starts_with_full_buckets_and_others_keep_counting():
    limits = RateLimits(Clock())
    two, one = RateLimit.parse("2/min"), RateLimit.parse("1/min")
    assert [limits.take(None, two, "t") for _ in range(2)] == [0, 0] and limits.take(None, two, "t") > 0
    assert limits.take("get_session", one, "t") == 0  # an operation's own bucket
    assert limits.take(None, one, "t") == 0  # the API's limit changed: a full bucket
    assert limits.take(None, one, "t") > 0 and limits.take("get_session", one, "t") > 0


def test_over_the_limit_is_429_with_retry_after():
    with build(MockConfig(rate_limit=RateLimit.parse("3/min"))).app.test_client() as client:
        assert [client.get(SESSIONS, headers=ADMIN).status_code for _ in range(3)] == [200] * 3
        response = client.get(SESSIONS, headers=ADMIN)
        assert response.status_code == 429
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["type"] == "rate_limited" and body["status"] == 429 and "3/min" in body["detail"]
        assert response.headers["retry-after"].isdigit() and 1 <= int(response.headers["retry-after"]) <= 20
        # Another token has its own budget.
        assert client.get(SESSIONS, headers=VIEWER).status_code == 200
        assert client.get("/v3/organizations/org-other/sessions", headers=OTHER).status_code == 200


def test_unknown_tokens_are_401_before_any_limit():
    with build(MockConfig(rate_limit=RateLimit.parse("1/min"))).app.test_client() as client:
        bad = {"Authorization": "Bearer nope"}
        assert [client.get(SESSIONS, headers=bad).status_code for _ in range(3)] == [401] * 3
        assert client.get(SESSIONS, headers=ADMIN).status_code == 200


def test_cli_option():
    assert parser().parse_args(["--rate-limit", "20/s"]).rate_limit == RateLimit(20, 1.0, "20/s")
