"""Throughput of the mock on every operation, side by side with a bare Starlette app and Prism: `python bench/run.py`.

Each server runs in its own process on loopback (uvicorn, one worker, for the Python ones), all
of them at once, and is loaded with wrk, one cell at a time, with each operation's documented
request (its `seeded` examples, which name sessions of the default data); for each operation the
servers' cells alternate, so that every ratio compares cells taken under the same load of the
machine. The table gives requests/s and p99 latency per cell and the mock's ratios to the others.
Request and response validation stay on.

- Reads come first, then the writes that can repeat on one session (transitions, updates), then
  creates; an append spreads over a pool of copies of its example session (one session would fill
  up), and a delete takes a new session of its pool each time (a deleted one would be a 404). The
  pools are loaded with `POST /_mock/fixtures` before their cells (the mocks start with
  `--max-body-size 64MiB` for that: a limit, not a cost of any request).
- The mock runs twice, as started by default and with `--journal-size 0`: their ratio is what the
  request journal costs (`--rounds 3` keeps the best of three cells each, steadier on a busy
  machine).
- The bare Starlette app (bare_app.py) sends the mock's own answers, recorded first, as fixed bytes.
- Prism is included when `prism` is on PATH, in node_modules, under /tmp/prism, named by --prism, or
  found by `npx --no-install`; otherwise the run says it skipped it.
- Any non-2xx answer fails the cell: a fast 404 must not pass for throughput.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api_model import APIS, Api, load  # noqa: E402
from api_model.examples import example_parameters, example_request  # noqa: E402
from mock_server.lifecycle import make_id  # noqa: E402

TOKEN = "cog_mock_admin"  # the v3 API's first token (bench/limits.py loads the v3 API)
ORG = "org-mock"
READS = ("read", "list", "list-children")
POOLED = ("append", "delete")  # kinds that need another session each time, or many
APPEND_POOL = 200  # sessions an append spreads over: far below --max-messages each in any run here
DELETE_RATE = 10_000  # requests/s a delete pool is sized for


@dataclass
class Result:
    requests_per_s: float
    p99_ms: float
    failures: int
    p50_ms: float = 0.0
    max_ms: float = 0.0


@dataclass
class Target:
    """One operation's request, as wrk sends it."""

    operation_id: str
    kind: str
    method: str
    template: str  # the operation's path template
    path: str  # the documented request's path
    body: bytes | None
    id_value: str | None  # the session the documented request names (a pool copies it)

    @property
    def pooled(self) -> bool:
        return self.kind in POOLED


def write_answers(path: Path, answers: list[dict]) -> None:
    """The file the bare app (bare_app.py) reads: [{method, path (a template), status, body (JSON, or None)}]."""
    path.write_text(json.dumps(answers))


def plan(api: Api) -> list[Target]:
    """Every operation's documented request, reads first, then writes that repeat, then the rest."""
    r = api.kit.resource
    targets = []
    for operation in api.operations.values():
        method, path, body = example_request(api, operation)
        kind = api.kit.behaviours[operation.operation_id].kind
        targets.append(Target(operation.operation_id, kind, method, operation.path, path,
                              None if body is None else json.dumps(body).encode(),
                              example_parameters(api.document, operation).get(r.id_parameter)))
    rank = {kind: position for position, kind in enumerate((*READS, "update", "transition", "create", *POOLED))}
    return sorted(targets, key=lambda t: rank.get(t.kind, len(rank)))


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


def call(url: str, method: str = "GET", body: bytes | None = None, token: str = TOKEN) -> tuple[int, bytes]:
    """(status, body) of one request, error statuses included."""
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def fetch(url: str, method: str = "GET", token: str = TOKEN) -> dict:
    status, body = call(url, method, token=token)
    if status >= 300:
        raise RuntimeError(f"{method} {url}: {status} {body[:300]!r}")
    return json.loads(body)


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


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string literal for the text used here


def wrk_script(method: str, token: str, body: bytes | None = None, paths_file: Path | None = None,
               backwards: bool = False) -> str:
    """wrk's Lua: the method, headers and body; with `paths_file`, each request takes the file's next
    path (`backwards`: from its end, so a warm-up and the measured run never take the same one)."""
    lines = [f"wrk.method = {lua_string(method)}", f'wrk.headers["Authorization"] = {lua_string("Bearer " + token)}']
    if body is not None:
        lines += ['wrk.headers["Content-Type"] = "application/json"', f"wrk.body = {lua_string(body.decode())}"]
    if paths_file is not None:
        step, start = ("-1", "#paths + 1") if backwards else ("1", "0")
        lines += [
            "local paths = {}",
            f"for line in io.lines({lua_string(str(paths_file))}) do paths[#paths + 1] = line end",
            f"local at = {start}",
            "request = function()",
            f"  at = (at + {step} - 1) % #paths + 1",
            "  return wrk.format(nil, paths[at])",
            "end",
        ]
    return "\n".join(lines) + "\n"


def wrk_command(url: str, method: str, seconds: float, connections: int, script_dir: Path,
                token: str = TOKEN, body: bytes | None = None, paths_file: Path | None = None,
                backwards: bool = False) -> list[str]:
    script = script_dir / f"{method.lower()}-{abs(hash((url, body, paths_file, backwards)))}.lua"
    script.write_text(wrk_script(method, token, body, paths_file, backwards))
    return ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(script), url]


def run_wrk(url: str, method: str, seconds: float, connections: int, script_dir: Path, **options) -> Result:
    done = subprocess.run(wrk_command(url, method, seconds, connections, script_dir, **options), capture_output=True,
                          text=True, timeout=seconds + 30)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {(done.stderr or done.stdout).strip()}")
    return parse_wrk(done.stdout)


class Pools:
    """Sessions for the pooled operations: copies of the documented request's session with fresh ids,
    loaded into a mock before each of its cells, and the paths wrk walks through."""

    def __init__(self, api: Api, scratch: Path, seconds: float, delete_rate: int = DELETE_RATE) -> None:
        self.api = api
        self.scratch = scratch
        self.seconds = seconds
        self.delete_rate = delete_rate
        self.rng = random.Random(7)
        self.templates: dict[str, dict] = {}  # session id -> its state entry, read from the first mock

    def size(self, target: Target) -> int:
        return APPEND_POOL if target.kind == "append" else int(self.delete_rate * (self.seconds + 1))

    def load(self, base: str, target: Target) -> tuple[Path, str]:
        """Load a fresh pool for `target` into the mock at `base`: (the paths file, a path kept for a probe)."""
        r = self.api.kit.resource
        if target.id_value not in self.templates:
            entries = fetch(f"{base}/_mock/state")["sessions"]
            self.templates[target.id_value] = next(e for e in entries if e[r.id_field] == target.id_value)
        template = copy.deepcopy(self.templates[target.id_value])
        for name in r.children:
            template[name] = []  # a pool's sessions start empty: an append measures one item added
        ids = [make_id(r.id_template, self.rng) for _ in range(self.size(target) + 1)]
        status, answer = call(f"{base}/_mock/fixtures", "POST",
                              json.dumps({"sessions": [{**template, r.id_field: i} for i in ids]}).encode())
        if status != 200:
            raise RuntimeError(f"loading the pool for {target.operation_id}: {status} {answer[:300]!r}")
        paths = [target.path.replace(target.id_value, i) for i in ids]
        self.paths_file(target).write_text("\n".join(paths[:-1]) + "\n")
        return self.paths_file(target), paths[-1]

    def paths_file(self, target: Target) -> Path:
        return self.scratch / f"{target.operation_id}-paths.txt"


def record_answers(base: str, targets: list[Target], token: str, pools: Pools) -> list[dict]:
    """The mock's answer to each operation's request, for the bare app to send as they are."""
    answers = []
    for target in targets:
        probe = pools.load(base, target)[1] if target.pooled else target.path
        status, body = call(base + probe, target.method, target.body, token)
        answers.append({"method": target.method, "path": target.template, "status": status,
                        "body": json.loads(body) if body else None})
    status, body = call(f"{base}/_mock/reset", "POST")  # the seeded sessions back, the pools gone
    if status != 200:
        raise RuntimeError(f"resetting the mock: {status} {body[:300]!r}")
    return answers


def measure(servers: dict[str, tuple[str, bool]], targets: list[Target], token: str, args: argparse.Namespace,
            scratch: Path, pools: Pools) -> dict[str, dict[str, Result]]:
    """Each operation on each server (URL, is a mock) in turn, `--rounds` times, the best round kept:
    all the servers run at once and their cells alternate, so that every ratio compares cells taken
    under the same load of the machine (a shared one drifts by a fifth over minutes)."""
    results: dict[str, dict[str, Result]] = {name: {} for name in servers}
    for target in targets:
        for _ in range(args.rounds):
            for name, (base, is_mock) in servers.items():
                options: dict = {"token": token, "body": target.body}
                if target.pooled:  # a fresh pool in a mock; the others take any id of the same form
                    options["paths_file"] = pools.load(base, target)[0] if is_mock else pools.paths_file(target)
                url = base + target.path
                run_wrk(url, target.method, 1, args.connections, scratch, backwards=True, **options)  # warm-up
                r = run_wrk(url, target.method, args.seconds, args.connections, scratch, **options)
                print(f"  {name:<10} {target.operation_id:<20} {r.requests_per_s:>9.0f} req/s  p99 {r.p99_ms:7.2f} ms"
                      + (f"  {r.failures} failed" if r.failures else ""), file=sys.stderr)
                best = results[name].get(target.operation_id)
                if best is None or r.requests_per_s > best.requests_per_s:
                    results[name][target.operation_id] = r
    return results


def find_prism(explicit: str | None) -> list[str] | None:
    if explicit:
        return [explicit]
    for candidate in (shutil.which("prism"), str(ROOT / "node_modules/.bin/prism"), "/tmp/prism/node_modules/.bin/prism"):
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


def print_table(results: dict[str, dict[str, Result]], targets: list[Target]) -> None:
    servers = list(results)
    header = "| operation | " + " | ".join(f"{s} req/s | {s} p99 ms" for s in servers)
    header += " | mock/bare |" + (" mock/prism |" if "prism" in results else "")
    header += " mock/no-journal |" if "no-journal" in results else ""
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for target in targets:
        operation = target.operation_id
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
    p.add_argument("--api", choices=sorted(APIS), default="v3", help="which shipped API (default: %(default)s)")
    p.add_argument("--operations", help="only these operationIds, comma-separated (default: every operation)")
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
    api = load(APIS[args.api])
    token = api.default_credentials()[0].token
    targets = plan(api)
    if args.operations:
        wanted = args.operations.split(",")
        unknown = sorted(set(wanted) - {t.operation_id for t in targets})
        if unknown:
            print(f"bench: no operation {', '.join(unknown)} in the {args.api} API", file=sys.stderr)
            return 1
        targets = [t for t in targets if t.operation_id in wanted]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, wrk -t1 -c{args.connections}, "
          f"{args.seconds:g}s per cell after a 1s warm-up, the {args.api} API", file=sys.stderr)

    prism = None if args.no_prism else find_prism(args.prism)
    if prism is None:
        print("bench: Prism skipped (not installed: `npm ci` here, or pass --prism)", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, contextlib.ExitStack() as stack:
        scratch = Path(tmp)
        pools = Pools(api, scratch, args.seconds)
        servers: dict[str, tuple[str, bool]] = {}
        # The mock, and beside it the mock without its journal: their ratio is what the journal costs.
        variants = {"mock": []} if args.no_journal_cost else {"mock": [], "no-journal": ["--journal-size", "0"]}
        for name, extra in variants.items():
            port = free_port()
            command = [sys.executable, "-m", "mock_server", "--api", args.api, "--port", str(port),
                       "--max-body-size", "64MiB", *args.mock_arg, *extra]
            servers[name] = (stack.enter_context(serve(command, port)), True)
        write_answers(scratch / "answers.json", record_answers(servers["mock"][0], targets, token, pools))
        port = free_port()
        bare_command = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(port),
                        "--workers", "1", "--no-access-log", "--log-level", "warning"]
        servers["bare"] = (stack.enter_context(serve(bare_command, port, env={"BENCH_ANSWERS": str(scratch / "answers.json")})), False)
        if prism is not None:
            port = free_port()
            servers["prism"] = (stack.enter_context(serve([*prism, "mock", str(APIS[args.api]), "-h", "127.0.0.1", "-p", str(port)],
                                                          port)), False)
        results = measure(servers, targets, token, args, scratch, pools)

    print_table(results, targets)
    failed = [f"{s}/{o}" for s, by_op in results.items() for o, r in by_op.items() if r.failures]
    if failed:
        print(f"bench: non-2xx answers or socket errors in {', '.join(failed)}: those numbers are not throughput",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
