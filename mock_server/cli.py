"""`session-mock` / `python -m mock_server`: serve the mock on the laptop or in CI."""

from __future__ import annotations

import argparse
import re
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from api_model import APIS, Credential, FileError, load, read_credentials

from .admin import AdminAccess
from .admin_document import PREFIX as ADMIN_PREFIX
from .app import Mock, MockConfig, build
from .controls import TIMINGS
from .cors import is_origin
from .faults import Latency, parse_fault_rate
from .hosts import is_loopback, names_for_bind
from .journal import JOURNAL_SIZE
from .rate_limit import RateLimit
from .request_body import DEFAULT_MAX_BODY_BYTES
from .seed import tenants_of
from .server import listen, make_server, tune_collector, url_of
from .state import read_state_file, write_state_file
from .store import StoreLimits

MAX_JOURNAL_SIZE = 10_000  # each entry may hold 64 KiB of bodies
SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2, "mib": 1024**2}


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad option is one readable line, not a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="session-mock", description="Stateful mock of the sessions API, driven by its OpenAPI spec.")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    p.add_argument("--port", type=int, default=8080, help="port to bind, 0 for any free one (default: %(default)s)")
    p.add_argument("--api", choices=sorted(APIS), default="v3",
                   help="which shipped API to serve: %(choices)s (default: %(default)s)")
    p.add_argument("--spec", type=Path, help="serve this OpenAPI 3.1 file (with its x-kit declaration) instead")
    p.add_argument("--tokens", type=Path, help="YAML file of tokens replacing the defaults (see README)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed for the generated sessions and for latency and fault draws (default: %(default)s)")
    p.add_argument("--fixtures", type=Path, help="YAML or JSON file of starting sessions, instead of the seeded ones")
    p.add_argument("--state", type=Path, metavar="FILE",
                   help="start from this saved state (GET /_mock/state) when it exists, and write the state back "
                        "to it on exit")
    p.add_argument("--latency", type=_option(Latency.parse), metavar="MS",
                   help="delay every API answer: 50, or a range 50-300 (milliseconds)")
    p.add_argument("--fault-rate", type=_option(parse_fault_rate), default=0.0, metavar="FRACTION",
                   help="answer this fraction of API requests with a 500, 502 or 504, e.g. 0.05")
    p.add_argument("--fault-timing", choices=TIMINGS, default="before",
                   help="faults strike before the request is carried out, or after it (its write done, its "
                        "answer lost) (default: %(default)s)")
    p.add_argument("--rate-limit", type=_option(RateLimit.parse), metavar="N/PERIOD",
                   help="per-token limit answering 429 with Retry-After, e.g. 20/s, 100/min "
                        "(latency, faults and the limit change at run time: /_mock/controls)")
    p.add_argument("--cors-origin", action="append", default=[], type=_option(_origin), metavar="ORIGIN",
                   help="allow this browser origin too (repeatable); localhost and 127.0.0.1 on any port always are")
    p.add_argument("--max-body-size", type=_option(parse_size), default=DEFAULT_MAX_BODY_BYTES, metavar="SIZE",
                   help="larger request bodies are a 413, e.g. 512KiB, 4MiB (default: 2MiB)")
    limits = StoreLimits()
    p.add_argument("--max-sessions", type=_option(_positive), default=limits.max_sessions, metavar="N",
                   help="sessions the mock holds at most; more is a 409 (default: %(default)s)")
    p.add_argument("--max-messages", type=_option(_positive), default=limits.max_messages, metavar="N",
                   help="items of each sub-collection of a session (its messages) at most (default: %(default)s)")
    p.add_argument("--max-text", type=_option(_positive), default=limits.max_text, metavar="BYTES",
                   help="size of the sessions as JSON text (each with its messages) held at most (default: %(default)s)")
    p.add_argument("--admin-token", metavar="TOKEN",
                   help="bearer token the admin API (/_mock/) requires; needed to use it when --host is not loopback")
    p.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                   help="answer requests whose Host is NAME too (repeatable; '*' for any); "
                        "loopback names and the bound address always are")
    p.add_argument("--strict", action="store_true",
                   help="answer unknown query parameters with a 422; by default they are ignored, as the contract "
                        "says, and named in the log line and the X-Mock-Unknown-Query header")
    p.add_argument("--journal-size", type=_option(_journal_size), default=JOURNAL_SIZE, metavar="N",
                   help="requests kept with their bodies and answers for GET /_mock/requests; 0 turns the journal "
                        "off (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no log line per request")
    return p


def parse_size(text: str) -> int:
    """`2MiB`, `512k`, `1000000` -> bytes; ValueError says what is wrong."""
    match = re.fullmatch(r"\s*(\d{1,12})\s*([a-zA-Z]*)\s*", text)
    if match is None or match.group(2).lower() not in SIZE_UNITS or int(match.group(1)) < 1:
        raise ValueError(f"a size looks like 2MiB, 512KiB or 1000000 (bytes), not {text!r}")
    return int(match.group(1)) * SIZE_UNITS[match.group(2).lower()]


def _positive(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise ValueError(f"expected a whole number of at least 1, not {text!r}")
    return int(text)


def _journal_size(text: str) -> int:
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 6 and int(digits) <= MAX_JOURNAL_SIZE):
        raise ValueError(f"expected a whole number from 0 to {MAX_JOURNAL_SIZE}, not {text!r}")
    return int(digits)


def admin_access(args: argparse.Namespace) -> AdminAccess:
    """Open on loopback; beyond it, only with --admin-token (then always with it)."""
    if args.admin_token:
        return AdminAccess(token=args.admin_token, cors_origins=tuple(args.cors_origin))
    if is_loopback(args.host):
        return AdminAccess(cors_origins=tuple(args.cors_origin))
    return AdminAccess(enabled=False, disabled_reason=(
        f"The admin API is off: the mock listens on {args.host}, beyond this machine. "
        "Start it with --admin-token <secret> to use the admin API with that bearer token."))


def exposure_warning(args: argparse.Namespace) -> str | None:
    """What a bind beyond loopback exposes, for stderr; None on loopback."""
    if is_loopback(args.host):
        return None
    admin = ("the admin API needs the --admin-token" if args.admin_token
             else "the admin API is off (start with --admin-token to use it)")
    return (f"session-mock: warning: listening on {args.host}: anyone who can reach this machine can call the API "
            f"with the tokens below; {admin}.")


def _option(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type whose ValueError message is shown as it is."""
    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return convert


def _origin(text: str) -> str:
    if not is_origin(text):
        raise ValueError(f"an origin looks like http://host:port, not {text!r}")
    return text.rstrip("/")


def describe_credentials(credentials: tuple[Credential, ...]) -> str:
    def scope(c: Credential) -> str:
        return " ".join(f"{name}={','.join(values)}" for name, values in c.scope.items())

    width = max(len(c.token) for c in credentials)
    return "\n".join(f"    {c.token:<{width}}  {scope(c):<24} {', '.join(sorted(c.grants))}" for c in credentials)


def try_command(mock: Mock, url: str) -> str:
    """A curl line listing the first credential's sessions."""
    credential = mock.credentials[0]
    tenant = tenants_of(mock.api, (credential,))[0][0]
    path = mock.api.by_kind("list")[0].fill(dict(zip(mock.api.kit.resource.tenancy, tenant)))
    return f"curl -H 'Authorization: Bearer {credential.token}' {url}{path}"


def describe_options(args: argparse.Namespace) -> str:
    """One line per behaviour switched on, so nobody wonders why answers are slow or failing."""
    lines = []
    if args.latency:
        low, high = args.latency.low_ms, args.latency.high_ms
        lines.append(f"  Latency    {low:g} ms" if low == high else f"  Latency    {low:g}-{high:g} ms")
    if args.fault_rate:
        lines.append(f"  Faults     {args.fault_rate:.1%} of requests answer 500, 502 or 504, "
                     f"{args.fault_timing} the request is carried out")
    if args.rate_limit:
        lines.append(f"  Rate limit {args.rate_limit.text} per token (429 with Retry-After)")
    if args.cors_origin:
        lines.append(f"  CORS       localhost and 127.0.0.1 on any port, and {', '.join(args.cors_origin)}")
    if args.strict:
        lines.append("  Strict     unknown query parameters answer 422")
    lines.append("  Requests are logged one per line; --quiet turns that off." if not args.quiet else "")
    return "".join(line + "\n" for line in lines if line)


def describe_journal(args: argparse.Namespace, url: str) -> str:
    if not args.journal_size:
        return ""
    return (f"  Requests   GET {url}{ADMIN_PREFIX}/requests: the last {args.journal_size} with bodies and answers, "
            "credentials masked\n")


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def fail(message: str) -> NoReturn:
    print(f"session-mock: {message}", file=sys.stderr)
    raise SystemExit(1)


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    args.spec = args.spec or APIS[args.api]
    if not 0 <= args.port <= 65535:
        parser().error(f"--port must be between 0 and 65535, not {args.port}")
    try:
        credentials = read_credentials(args.tokens, load(args.spec).kit) if args.tokens else None
        mock = build(MockConfig(
            spec_path=args.spec, credentials=credentials, seed=args.seed, fixtures=args.fixtures,
            latency=args.latency, fault_rate=args.fault_rate, fault_timing=args.fault_timing,
            rate_limit=args.rate_limit,
            cors_origins=tuple(args.cors_origin), log_requests=not args.quiet,
            max_body_bytes=args.max_body_size,
            limits=StoreLimits(args.max_sessions, args.max_messages, args.max_text),
            admin=admin_access(args),
            allowed_hosts=(*names_for_bind(args.host), *args.allowed_host),
            strict=args.strict, journal_size=args.journal_size,
        ))
    except FileError as exc:
        fail(str(exc))
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        # A document no check foresaw (the shipped ones never get here): still one line, naming it.
        fail(f"spec {args.spec} cannot be served ({type(exc).__name__}: {exc}); "
             "check it with `npx redocly lint` or openapi-spec-validator")
    try:
        sock = listen(args.host, args.port)
    except OSError as exc:
        fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    url = url_of(sock)
    if args.state is not None and args.state.exists():
        try:
            read_state_file(args.state, mock.state)
        except FileError as exc:
            fail(str(exc))
    warning = exposure_warning(args)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    source = f"Fixtures {args.fixtures}" if args.fixtures else f"Seed {args.seed}"
    if args.state is not None:
        source = f"State {args.state}" if args.state.exists() else f"{source} (state saved to {args.state} on exit)"
    tenants = mock.store.tenants()
    print(
        f"{mock.api.document['info']['title']} mock listening on {url}\n"
        f"  API docs   {url}/docs/   (OpenAPI 3.1: {url}/openapi.yaml)\n"
        f"  Dashboard  {url}{ADMIN_PREFIX}/   (sessions, requests, controls, clock, save and restore)\n"
        f"  Admin      POST {url}{ADMIN_PREFIX}/reset and more{'' if args.admin_token else ', no token'}: "
        f"{url}{ADMIN_PREFIX}/admin.yaml\n"
        f"  Controls   GET, PUT, PATCH {url}{ADMIN_PREFIX}/controls: latency, faults, rate limit, per operation "
        "too, no restart\n"
        f"{describe_journal(args, url)}"
        f"  Tokens (Authorization: Bearer <token>):\n{describe_credentials(mock.credentials)}\n"
        f"  Try        {try_command(mock, url)}\n"
        f"{describe_options(args)}"
        f"  {source}: {mock.store.count()} sessions in {len(tenants)} tenants "
        f"({', '.join('/'.join(t) for t in tenants[:4])}{', ...' if len(tenants) > 4 else ''}). Ctrl-C to stop.",
        flush=True,
    )
    # uvicorn stops gracefully on SIGINT and SIGTERM, then raises the signal again: SIGTERM too ends
    # here, as Ctrl-C does, so that the state is saved when a process manager stops the mock.
    signal.signal(signal.SIGTERM, _interrupt)
    tune_collector()
    try:
        make_server(mock.app, **mock.serve_options()).run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # Ctrl-C: uvicorn has shut down; no traceback for the normal way to stop
    finally:
        if args.state is not None:
            try:
                write_state_file(args.state, mock.state.save)
            except OSError as exc:
                fail(f"cannot write the state to {args.state}: {exc.strerror or exc}")
            print(f"State saved to {args.state}.", flush=True)


if __name__ == "__main__":
    main()
