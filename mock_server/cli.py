"""`session-mock` / `python -m mock_server`: serve the mock on the laptop or in CI."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from . import spec
from .app import MockConfig, build
from .auth import DEFAULT_CREDENTIALS, Credential, load_credentials
from .server import listen, make_server, url_of
from .yaml_files import FileError


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad option is one readable line, not a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="session-mock", description="Stateful mock of the sessions API, driven by its OpenAPI spec.")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    p.add_argument("--port", type=int, default=8080, help="port to bind, 0 for any free one (default: %(default)s)")
    p.add_argument("--spec", type=Path, default=spec.DEFAULT_SPEC, help="OpenAPI 3.1 file (default: the shipped spec)")
    p.add_argument("--tokens", type=Path, help="YAML file of tokens replacing the defaults (see README)")
    p.add_argument("--seed", type=int, default=0, help="seed for the generated sessions (default: %(default)s)")
    return p


def describe_credentials(credentials: tuple[Credential, ...]) -> str:
    return "\n".join(
        f"    {c.token:<18} {c.org:<12} {', '.join(sorted(c.permissions))}" for c in credentials
    )


def fail(message: str) -> NoReturn:
    print(f"session-mock: {message}", file=sys.stderr)
    raise SystemExit(1)


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser().error(f"--port must be between 0 and 65535, not {args.port}")
    try:
        credentials = load_credentials(args.tokens) if args.tokens else DEFAULT_CREDENTIALS
        mock = build(MockConfig(spec_path=args.spec, credentials=credentials, seed=args.seed))
    except FileError as exc:
        fail(str(exc))
    try:
        sock = listen(args.host, args.port)
    except OSError as exc:
        fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    url = url_of(sock)
    org = credentials[0].org
    print(
        f"Sessions mock listening on {url}\n"
        f"  API docs   {url}/docs/\n"
        f"  Tokens (Authorization: Bearer <token>):\n{describe_credentials(credentials)}\n"
        f"  Try        curl -H 'Authorization: Bearer {credentials[0].token}' {url}/v3/organizations/{org}/sessions\n"
        f"  Seed {args.seed}: {len(mock.store.list(org))} sessions in {org}. Ctrl-C to stop.",
        flush=True,
    )
    make_server(mock.app).run(sockets=[sock])


if __name__ == "__main__":
    main()
