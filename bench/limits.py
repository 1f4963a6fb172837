"""The mock under abuse: memory, list latency at 100 000 sessions, other clients during floods.

`python bench/limits.py` starts the mock (`session-mock --fixtures` with 100 000 sessions) and prints:
- its memory (resident and peak, from /proc) after loading, and after each abuse;
- list_sessions with 20 per page, unfiltered and filtered, loaded with wrk (one connection),
  side by side with the bare Starlette app serving the same page as fixed bytes;
- another client's latency (wrk on get_session) while a 200 MB body is sent (with Content-Length,
  then chunked) and while the admin API is flooded with fixtures, next to the same client alone;
then a fixtures flood on a mock of its own (POST /_mock/fixtures, a body at the size limit, again
and again). Linux only (/proc).
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.run import (  # noqa: E402
    ORG,
    TOKEN,
    Result,
    fetch,
    free_port,
    parse_wrk,
    run_wrk,
    serve,
    wrk_command,
    write_answers,
)

SESSIONS = 100_000
PAGE = 20
BIG_BODY = 200 * 1024 * 1024
TAGS = ("frontend", "backend", "ci", "urgent", "customer", "tech-debt", "q4")


def write_fixtures(path: Path, count: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    states = (("running", "working"), ("suspended", "inactivity"), ("exit", None), ("error", "error"), ("new", None))
    sessions = []
    for index in range(count):
        status, detail = rng.choice(states)
        sessions.append({
            "session_id": f"devin-b{index:07d}", "org_id": ORG, "title": f"Task {index}",
            "tags": rng.sample(TAGS, rng.randint(0, 3)) + (["rare"] if index % 10_000 == 0 else []),
            "status": status, "status_detail": detail, "is_archived": rng.random() < 0.1,
            "created_at": 1_790_000_000 + index * 7,
        })
    path.write_text(json.dumps({"sessions": sessions}))


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident, peak resident) of a process, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def send_big_body(base: str, chunked: bool) -> tuple[int, float]:
    """POST a 200 MB create body; (status, seconds)."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=120)
    started = time.monotonic()
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    block = b"x" * (1024 * 1024)

    def body():
        yield b'{"prompt": "'
        for _ in range(BIG_BODY // len(block)):
            yield block
        yield b'"}'

    try:
        if chunked:
            connection.request("POST", f"/v3/organizations/{ORG}/sessions", body=body(), headers=headers,
                               encode_chunked=True)
        else:
            connection.request("POST", f"/v3/organizations/{ORG}/sessions", body=body(),
                               headers={**headers, "Content-Length": str(BIG_BODY + 14)})
        status = connection.getresponse().status
    except (BrokenPipeError, ConnectionResetError):
        status = connection.getresponse().status if connection.sock else 0
    finally:
        connection.close()
    return status, time.monotonic() - started


def fixtures_body(limit: int) -> bytes:
    """A fixtures document just under `limit` bytes."""
    sessions, size = [], 20
    while True:
        entry = {"session_id": f"devin-f{len(sessions):07d}", "title": "Flood " * 30, "tags": list(TAGS[:3])}
        size += len(json.dumps(entry)) + 2
        if size > limit:
            return json.dumps({"sessions": sessions}).encode()
        sessions.append(entry)


def flood_fixtures(base: str, times: int, limit: int) -> list[int]:
    body = fixtures_body(limit)
    statuses = []
    for _ in range(times):
        host, port = base.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        connection.request("POST", "/_mock/fixtures", body=body, headers={"Content-Type": "application/json"})
        statuses.append(connection.getresponse().status)
        connection.close()
    return statuses


def while_running(command: list[str], action) -> tuple[Result, object]:
    """wrk `command` running while `action()` runs in this thread; (wrk's result, action's result)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1)
    outcome = action()
    output, _ = process.communicate(timeout=120)
    return parse_wrk(output), outcome


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=int, default=5, help="seconds per wrk cell (default: %(default)s)")
    p.add_argument("--sessions", type=int, default=SESSIONS, help="sessions loaded (default: %(default)s)")
    args = p.parse_args(argv)
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-limits-") as tmp:
        scratch = Path(tmp)
        fixtures = scratch / "sessions.json"
        write_fixtures(fixtures, args.sessions)
        port = free_port()
        processes: list[subprocess.Popen] = []
        command = [sys.executable, "-m", "mock_server", "--port", str(port), "--quiet", "--fixtures", str(fixtures),
                   "--max-sessions", str(max(args.sessions, 100_000))]
        started = time.monotonic()
        with serve(command, port, processes=processes) as base:
            pid = processes[0].pid
            load_s = time.monotonic() - started
            rss, peak = memory_mb(pid)
            rows.append(f"| loaded {args.sessions} sessions in {load_s:.1f} s | resident {rss:.0f} MB | peak {peak:.0f} MB |")
            sessions = f"{base}/v3/organizations/{ORG}/sessions"
            lists = {
                "list, no filter": f"{sessions}?first={PAGE}",
                "list, is_archived=true": f"{sessions}?first={PAGE}&is_archived=true",
                "list, tags=frontend (dense)": f"{sessions}?first={PAGE}&tags=frontend",
                "list, tags=rare (sparse)": f"{sessions}?first={PAGE}&tags=rare",
                "list, page 1000 (by cursor)": None,
            }
            first_page = fetch(lists["list, no filter"])
            cursor = first_page["end_cursor"]
            for _ in range(998):  # walk on, to measure a page deep into the list
                cursor = fetch(f"{sessions}?first={PAGE}&after={cursor}")["end_cursor"]
            lists["list, page 1000 (by cursor)"] = f"{sessions}?first={PAGE}&after={cursor}"
            print("| list of 20, 100k stored | req/s (1 conn) | p50 ms | p99 ms | max ms |")
            print("|---|---|---|---|---|")
            for name, url in lists.items():
                run_wrk(url, "GET", 1, 1, scratch)
                r = run_wrk(url, "GET", args.seconds, 1, scratch)
                print(f"| {name} | {r.requests_per_s:.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.max_ms:.2f} |", flush=True)
            bare_port = free_port()
            write_answers(scratch / "answers.json", [{"method": "GET", "path": "/v3/organizations/{org_id}/sessions",
                                                      "status": 200, "body": first_page}])
            bare = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(bare_port), "--workers", "1",
                    "--no-access-log", "--log-level", "warning"]
            with serve(bare, bare_port, env={"BENCH_ANSWERS": str(scratch / "answers.json")}) as bare_base:
                url = f"{bare_base}/v3/organizations/{ORG}/sessions"
                run_wrk(url, "GET", 1, 1, scratch)
                r = run_wrk(url, "GET", args.seconds, 1, scratch)
                print(f"| baseline: bare Starlette, the same page as fixed bytes | {r.requests_per_s:.0f} | "
                      f"{r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.max_ms:.2f} |", flush=True)

            session_id = first_page["items"][0]["session_id"]
            get_url = f"{sessions}/{session_id}"
            seconds = 4
            alone = run_wrk(get_url, "GET", seconds, 4, scratch)
            print("\n| another client (wrk -c4, get_session) | req/s | p99 ms | max ms | the abuse's answer |")
            print("|---|---|---|---|---|")
            print(f"| alone | {alone.requests_per_s:.0f} | {alone.p99_ms:.2f} | {alone.max_ms:.2f} | - |", flush=True)
            for name, action in (
                ("during a 200 MB body (Content-Length)", lambda: send_big_body(base, chunked=False)),
                ("during a 200 MB body (chunked)", lambda: send_big_body(base, chunked=True)),
            ):
                result, (status, took) = while_running(wrk_command(get_url, "GET", seconds, 4, scratch), action)
                print(f"| {name} | {result.requests_per_s:.0f} | {result.p99_ms:.2f} | {result.max_ms:.2f} | "
                      f"{status} after {took:.2f} s |", flush=True)
            rss, peak = memory_mb(pid)
            rows.append(f"| after the 200 MB bodies | resident {rss:.0f} MB | peak {peak:.0f} MB |")

        port = free_port()
        processes.clear()
        with serve([sys.executable, "-m", "mock_server", "--port", str(port), "--quiet"], port, processes=processes) as base:
            pid = processes[0].pid
            limit = 2 * 1024 * 1024
            get_url = f"{base}/v3/organizations/{ORG}/sessions?first=1"
            result, statuses = while_running(wrk_command(get_url, "GET", 8, 4, scratch),
                                             lambda: flood_fixtures(base, 30, limit))
            rss, peak = memory_mb(pid)
            answered = ", ".join(f"{status} x{statuses.count(status)}" for status in sorted(set(statuses)))
            print(f"| during a fixtures flood (30 x {limit // 1024} KiB bodies) | {result.requests_per_s:.0f} | "
                  f"{result.p99_ms:.2f} | {result.max_ms:.2f} | {answered} |")
            rows.append(f"| after a fixtures flood (30 x {limit // 1024} KiB) | resident {rss:.0f} MB | peak {peak:.0f} MB |")

    print("\n| mock memory | resident | peak |")
    print("|---|---|---|")
    for row in rows:
        print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
