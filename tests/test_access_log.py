"""One log line per request (method, path, status, ms) on stdout; `--quiet` turns it off."""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
import sys
import urllib.request

import pytest

from conftest import ADMIN, SESSIONS, free_port
from mock_server import MockConfig, build
from mock_server.access_log import AccessLog, log_line, note, printable
from mock_server.record import RecordMiddleware

LINE = re.compile(r"^(?P<method>[A-Z]+) (?P<target>\S+) (?P<status>\d{3}|-) (?P<ms>\d+\.\d)ms$")


def logged(capsys) -> list[re.Match]:
    lines = capsys.readouterr().out.splitlines()
    return [LINE.match(line) for line in lines]


def test_one_line_per_request_with_method_path_status_and_time(capsys):
    with build(MockConfig(log_requests=True)).app.test_client() as client:
        client.get(SESSIONS + "?first=2", headers=ADMIN)
        client.get(SESSIONS)
        client.post("/_mock/reset")
    first, second, third = logged(capsys)
    assert (first["method"], first["target"], first["status"]) == ("GET", SESSIONS + "?first=2", "200")
    assert (second["target"], second["status"]) == (SESSIONS, "401")
    assert (third["method"], third["target"], third["status"]) == ("POST", "/_mock/reset", "200")


def test_quiet_by_default_for_embedded_use(capsys):
    with build().app.test_client() as client:
        client.get(SESSIONS, headers=ADMIN)
    assert capsys.readouterr().out == ""


def test_a_crash_is_logged_as_500():
    async def crash(scope, receive, send):
        raise RuntimeError("boom")

    stream = io.StringIO()
    scope = {"type": "http", "method": "GET", "path": "/x", "headers": []}
    with pytest.raises(RuntimeError):
        asyncio.run(RecordMiddleware(crash, log=AccessLog(stream))(scope, None, None))
    assert LINE.match(stream.getvalue().strip())["status"] == "500"


@pytest.mark.parametrize("quiet", [False, True])
def test_the_cli_logs_unless_quiet(quiet):
    port = free_port()
    command = [sys.executable, "-m", "mock_server", "--port", str(port)] + (["--quiet"] if quiet else [])
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = ""
        while "Ctrl-C" not in banner and process.poll() is None:
            banner += process.stdout.readline()
        assert "/docs/" in banner and "/_mock/" in banner
        request = urllib.request.Request(f"http://127.0.0.1:{port}{SESSIONS}", headers=ADMIN)
        urllib.request.urlopen(request, timeout=10).read()
    finally:
        process.terminate()
        rest, _ = process.communicate(timeout=10)
    assert (f"GET {SESSIONS} 200 " in rest) is not quiet


@pytest.mark.parametrize(("raw_path", "shown"), [
    (b"/v3/x%0AGET%20/forged%20200%201.0ms", "/v3/x%0AGET%20/forged%20200%201.0ms"),
    (b"/v3/\xe2\x80\xae\x1b", "/v3/%E2%80%AE%1B"),
])
def test_a_request_cannot_write_a_line_of_its_own(raw_path, shown):
    from urllib.parse import unquote

    scope = {"method": "GET", "path": unquote(raw_path.decode("latin-1")), "raw_path": raw_path, "query_string": b"a=%0D%0A"}
    line = log_line(scope, 404, 0.001)
    assert line.count("\n") == 1 and line.endswith("\n") and "\r" not in line
    assert line == f"GET {shown}?a=%0D%0A 404 1.0ms\n"


def test_unprintable_characters_are_escaped():
    assert printable("a\nb\x1b[31m\u202e") == "a\\nb\\x1b[31m\\u202e"


def test_the_stages_notes_follow_on_the_same_line_escaped():
    scope = {"method": "GET", "path": "/x", "query_string": b"", "state": {}}
    note(scope, "refused origin http://a\n.test")
    note(scope, "unknown query: b")
    assert log_line(scope, 200, 0.001) == "GET /x 200 1.0ms refused origin http://a\\n.test; unknown query: b\n"


def test_lines_are_written_at_once_when_idle_and_together_once_per_loop_turn_under_load():
    stream = io.StringIO()
    log = AccessLog(stream)

    async def scenario() -> list[str]:
        seen = []
        log.write("idle\n")  # no other request being served
        seen.append(stream.getvalue())
        log.in_flight = 2  # two requests still being served: the lines of this turn go together
        log.write("a\n")
        log.write("b\n")
        seen.append(stream.getvalue())
        await asyncio.sleep(0)
        seen.append(stream.getvalue())
        return seen

    assert asyncio.run(scenario()) == ["idle\n", "idle\n", "idle\na\nb\n"]


def test_concurrent_requests_each_get_their_line(capsys):
    import httpx

    mock = build(MockConfig(log_requests=True))

    async def burst() -> None:
        transport = httpx.ASGITransport(app=mock.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await asyncio.gather(*(client.get(f"{SESSIONS}?first={n}", headers=ADMIN) for n in range(1, 21)))

    asyncio.run(burst())
    lines = [match for match in logged(capsys) if match]
    assert sorted(int(m["target"].rpartition("=")[2]) for m in lines) == list(range(1, 21))
