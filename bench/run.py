"""Throughput of the mock, side by side with a bare Starlette app and Prism: `python bench/run.py`.

Each server runs in its own process on loopback (uvicorn, one worker, for the Python ones) and is
loaded with wrk, one cell at a time, for get, list and archive. The table gives requests/s and p99
latency per cell and the mock's ratios to the others. The mock runs twice at once, as started by
default and with `--journal-size 0`, their cells in turn: their ratio is what the request journal
costs (`--rounds 3` keeps the best of three cells each, steadier on a busy machine). Prism is included when `prism` is on PATH,
under /tmp/prism (`npm install @stoplight/prism-cli` there), named by --prism, or found by
`npx --no-install`; otherwise the run says it skipped it. Any non-2xx answer fails the cell: a fast
404 must not pass for throughput.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spec" / "openapi.yaml"
TOKEN = "cog_mock_admin"
ORG = "org-mock"
OPERATIONS = ("get", "list", "archive")


@dataclass
class Result:
    requests_per_s: float
    p99_ms: float
    failures: int
    p50_ms: float = 0.0
    max_ms: float = 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {' '.join(map(str, process.args))}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout:.0f}s")


@contextlib.contextmanager
def serve(command: list[str], port: int, env: dict[str, str] | None = None,
          processes: list[subprocess.Popen] | None = None) -> Iterator[str]:
    """The URL of `command` serving on `port` until the block ends (its process appended to `processes`)."""
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    if processes is not None:
        processes.append(process)
    try:
        wait_until_listening(port, process, timeout=300)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def fetch(url: str, method: str = "GET") -> dict:
    request = urllib.request.Request(url, method=method, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(match: re.Match | None) -> float:
    return float(match.group(1)) * _UNITS_MS[match.group(2)] if match else 0.0


def parse_wrk(output: str) -> Result:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    latency_max = re.search(r"^\s+Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", output, re.MULTILINE)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if rate is None or p99 is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    failures = int(bad.group(1)) if bad else 0
    if errors:
        failures += sum(int(n) for n in errors.groups())
    return Result(float(rate.group(1)), _ms(p99), failures, _ms(p50), _ms(latency_max))


def run_wrk(url: str, method: str, seconds: float, connections: int, script_dir: Path) -> Result:
    done = subprocess.run(wrk_command(url, method, seconds, connections, script_dir), capture_output=True,
                          text=True, timeout=seconds + 30)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {(done.stderr or done.stdout).strip()}")
    return parse_wrk(done.stdout)


def wrk_command(url: str, method: str, seconds: float, connections: int, script_dir: Path) -> list[str]:
    script = script_dir / f"{method.lower()}.lua"
    script.write_text(f'wrk.method = "{method}"\nwrk.headers["Authorization"] = "Bearer {TOKEN}"\n')
    return ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(script), url]


def targets(base: str, session_id: str) -> dict[str, tuple[str, str]]:
    sessions = f"{base}/v3/organizations/{ORG}/sessions"
    return {
        "get": ("GET", f"{sessions}/{session_id}"),
        "list": ("GET", sessions),
        "archive": ("POST", f"{sessions}/{session_id}/archive"),
    }


def measure(name: str, base: str, session_id: str, args: argparse.Namespace, scratch: Path) -> dict[str, Result]:
    return measure_side_by_side({name: (base, session_id)}, args, scratch)[name]


def measure_side_by_side(servers: dict[str, tuple[str, str]], args: argparse.Namespace,
                         scratch: Path) -> dict[str, dict[str, Result]]:
    """Each operation on each server (URL, session id) in turn, `--rounds` times, the best round kept:
    servers that differ by one option are compared under the same load of the machine."""
    results: dict[str, dict[str, Result]] = {name: {} for name in servers}
    for operation in OPERATIONS:
        for _ in range(args.rounds):
            for name, (base, session_id) in servers.items():
                method, url = targets(base, session_id)[operation]
                run_wrk(url, method, 1, args.connections, scratch)  # warm-up, not counted
                r = run_wrk(url, method, args.seconds, args.connections, scratch)
                print(f"  {name:<10} {operation:<8} {r.requests_per_s:>9.0f} req/s  p99 {r.p99_ms:7.2f} ms", file=sys.stderr)
                best = results[name].get(operation)
                if best is None or r.requests_per_s > best.requests_per_s:
                    results[name][operation] = r
    return results


def first_running_session(base: str) -> str:
    return next(s["session_id"] for s in fetch(f"{base}/v3/organizations/{ORG}/sessions")["items"]
                if not s["is_archived"] and s["status"] == "running")


def find_prism(explicit: str | None) -> list[str] | None:
    if explicit:
        return [explicit]
    for candidate in (shutil.which("prism"), "/tmp/prism/node_modules/.bin/prism"):
        if candidate and os.access(candidate, os.X_OK):
            return [candidate]
    npx = shutil.which("npx")
    if npx:
        probe = subprocess.run([npx, "--no-install", "prism", "--version"], capture_output=True, timeout=60)
        if probe.returncode == 0:
            return [npx, "--no-install", "prism"]
    return None


def ratio(a: float, b: float | None) -> str:
    return f"{a / b:.2f}x" if b else "-"


def print_table(results: dict[str, dict[str, Result]]) -> None:
    servers = list(results)
    header = "| operation | " + " | ".join(f"{s} req/s | {s} p99 ms" for s in servers)
    header += " | mock/bare |" + (" mock/prism |" if "prism" in results else "")
    header += " mock/no-journal |" if "no-journal" in results else ""
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for operation in OPERATIONS:
        cells = []
        for server in servers:
            r = results[server][operation]
            flag = f" ({r.failures} failed)" if r.failures else ""
            cells.append(f"{r.requests_per_s:.0f}{flag} | {r.p99_ms:.2f}")
        mock = results["mock"][operation].requests_per_s
        row = f"| {operation} | " + " | ".join(cells) + f" | {ratio(mock, results['bare'][operation].requests_per_s)} |"
        if "prism" in results:
            row += f" {ratio(mock, results['prism'][operation].requests_per_s)} |"
        if "no-journal" in results:
            row += f" {ratio(mock, results['no-journal'][operation].requests_per_s)} |"
        print(row)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=int, default=5, help="measured seconds per cell (default: %(default)s)")
    p.add_argument("--connections", type=int, default=32, help="wrk connections (default: %(default)s)")
    p.add_argument("--prism", help="the prism executable (default: look for it)")
    p.add_argument("--no-prism", action="store_true", help="skip Prism even if it is installed")
    p.add_argument("--mock-arg", action="append", default=[], help="extra session-mock option (repeatable)")
    p.add_argument("--no-journal-cost", action="store_true",
                   help="skip the mock without its request journal (--journal-size 0)")
    p.add_argument("--rounds", type=int, default=1,
                   help="cells per server and operation, the best kept (default: %(default)s)")
    args = p.parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, wrk -t1 -c{args.connections}, "
          f"{args.seconds:g}s per cell after a 1s warm-up", file=sys.stderr)

    results: dict[str, dict[str, Result]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        scratch = Path(tmp)
        # The mock, and beside it (both running, their cells in turn) the mock without its journal.
        variants = {"mock": []} if args.no_journal_cost else {"mock": [], "no-journal": ["--journal-size", "0"]}
        with contextlib.ExitStack() as stack:
            servers = {}
            for name, extra in variants.items():
                port = free_port()
                base = stack.enter_context(serve([sys.executable, "-m", "mock_server", "--port", str(port),
                                                  *args.mock_arg, *extra], port))
                servers[name] = (base, first_running_session(base))
            base, session_id = servers["mock"]
            routes = targets(base, session_id)
            bodies = {"get": fetch(routes["get"][1]), "list": fetch(routes["list"][1])}
            bodies["archive"] = fetch(routes["archive"][1], "POST")
            results.update(measure_side_by_side(servers, args, scratch))
        (scratch / "bodies.json").write_text(json.dumps(bodies))

        port = free_port()
        bare_command = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(port),
                        "--workers", "1", "--no-access-log", "--log-level", "warning"]
        with serve(bare_command, port, env={"BENCH_BODIES": str(scratch / "bodies.json")}) as base:
            results["bare"] = measure("bare", base, session_id, args, scratch)

        prism = None if args.no_prism else find_prism(args.prism)
        if prism is None:
            print("bench: Prism skipped (not installed: npm install @stoplight/prism-cli under /tmp/prism, "
                  "or pass --prism)", file=sys.stderr)
        else:
            port = free_port()
            with serve([*prism, "mock", str(SPEC), "-h", "127.0.0.1", "-p", str(port)], port) as base:
                results["prism"] = measure("prism", base, session_id, args, scratch)

    print_table(results)
    failed = [f"{s}/{o}" for s, by_op in results.items() for o, r in by_op.items() if r.failures]
    if failed:
        print(f"bench: non-2xx answers or socket errors in {', '.join(failed)}: those numbers are not throughput",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
