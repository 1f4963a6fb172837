"""The contract suite always finishes, and says why when it stops early: a target that is not this
API is refused at start in one line; a target that breaks mid-run stops the run; `--deadline`
ends it with a summary of what ran; a `Retry-After` beyond `--max-retry-wait` stops it clearly."""

from __future__ import annotations

import threading

import pytest

from mock_server import MockConfig, build
from mock_server.faults import Latency
from mock_server.server import BackgroundServer
from tests.suite import run_suite, run_suite_at


class Counting:
    """An ASGI app in front of another (or of nothing), counting requests; `answer(n, scope)`
    returns (status, content type, body) to answer the n-th request itself, or None to pass it on."""

    def __init__(self, answer, app=None):
        self.answer, self.app = answer, app
        self.count = 0
        self._lock = threading.Lock()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            if self.app is not None:
                await self.app(scope, receive, send)
            return
        with self._lock:
            self.count += 1
            number = self.count
        own = self.answer(number, scope)
        if own is None:
            await self.app(scope, receive, send)
            return
        status, content_type, body, *extra = own
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *extra]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


BAD_GATEWAY = (502, b"text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>")


def test_a_target_that_is_not_this_api_is_refused_in_one_line():
    target = Counting(lambda n, scope: BAD_GATEWAY)
    result = run_suite(target)
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 4
    assert any("does not answer like the sessions API" in line and "502 (text/html)" in line for line in lines)
    assert len(lines) <= 3, lines  # pytest repeats the exit reason; no per-test failure
    assert target.count == 1


def test_a_target_that_answers_html_pages_is_not_this_api():
    target = Counting(lambda n, scope: (200, b"text/html", b"<html>Welcome</html>"))
    result = run_suite(target)
    assert result.returncode == 4 and "does not look like the sessions API" in result.stdout + result.stderr


def test_a_target_that_breaks_mid_run_stops_the_run():
    broken_after = 150
    target = Counting(lambda n, scope: BAD_GATEWAY if n > broken_after else None, app=build().app)
    result = run_suite(target, "-p", "no:randomly")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "the target failed 8 requests in a row" in output and "stopping the run" in output
    assert "contract run stopped early" in output
    assert target.count - broken_after <= 12, target.count  # no long tail of requests after it broke
    assert "TypeError" not in output and "Traceback" not in output


def test_a_deadline_ends_the_run_with_a_summary():
    slow = build(MockConfig(latency=Latency(200, 200))).app
    requests: list[str] = []
    target = Counting(lambda n, scope: requests.append(scope["method"] + " " + scope["path"]), app=slow)
    result = run_suite(target, "--deadline", "3")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert "contract run stopped early" in output and "the deadline of 3 s (--deadline) passed" in output
    assert "not run" in output
    # About 3 s of 200 ms requests, then only the clean-up of what the run created.
    run = [r for r in requests if not (r.startswith("DELETE") and "/sessions/" in r)]
    assert len(run) <= 20, len(run)


def test_retry_after_beyond_the_maximum_stops_the_run_clearly():
    mock = build().app

    def limited(n, scope):
        if n == 1:
            return None  # the start-up probe
        return (429, b"application/problem+json", b'{"type": "rate_limited"}', (b"retry-after", b"60"))

    target = Counting(limited, app=mock)
    result = run_suite(target, "--max-retry-wait", "1")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "asked to wait 60 s (Retry-After)" in output and "more than --max-retry-wait 1 s" in output
    assert target.count <= 3, target.count


def test_a_short_retry_after_is_waited_out():
    mock = build().app

    def once(n, scope):
        return (429, b"application/problem+json", b'{"type": "rate_limited"}', (b"retry-after", b"1")) if n == 2 else None

    target = Counting(once, app=mock)
    result = run_suite(target, "-k", "test_new_session_is_initial")
    assert result.returncode == 0, (result.stdout + result.stderr)[-2000:]


def test_an_unreachable_target_is_one_line():
    with BackgroundServer(build().app) as server:
        url = server.url
    result = run_suite_at(url)  # the server is gone
    assert result.returncode == 4 and f"cannot reach {url} (connection refused)" in result.stdout + result.stderr


@pytest.mark.parametrize("option, message", [
    (["--deadline", "soon"], "--deadline (CONTRACT_DEADLINE) must be a number, not 'soon'"),
    (["--api", "v4"], "--api (CONTRACT_API) must be one of v3, workspace, not 'v4'"),
])
def test_a_bad_option_is_one_readable_line(option, message):
    result = run_suite_at("http://127.0.0.1:9", *option)
    assert result.returncode == 4
    assert message in result.stderr
    assert "Traceback" not in result.stderr
