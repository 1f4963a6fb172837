"""Running the contract suite, as a user would, against a server of the kit's own tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from mock_server.server import BackgroundServer

SUITE = Path(__file__).resolve().parent.parent / "contract_tests"
# Each shipped API, with the default credentials of its mock, given as a user of a deployment would.
CREDENTIALS = {
    "v3": ["--token", "cog_mock_admin", "--org", "org-mock", "--viewer-token", "cog_mock_viewer",
           "--other-token", "cog_other_admin", "--other-org", "org-other"],
    "workspace": ["--api", "workspace", "--token", "ws_mock_writer", "--org", "acme", "--workspace", "main",
                  "--viewer-token", "ws_mock_reader", "--other-token", "ws_other_writer",
                  "--other-org", "globex", "--other-workspace", "main"],
}


def run_suite_at(url: str, *args: str, timeout: float = 600, api: str = "v3") -> subprocess.CompletedProcess:
    """`pytest contract_tests --base-url URL ...` in a subprocess, with the default credentials of `api`."""
    # Many runs start pytest afresh: let them reuse compiled (and assertion-rewritten) modules.
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(SUITE), "-q", "-p", "no:cacheprovider", "--tb=short",
         "-o", "addopts=", "--base-url", url, *CREDENTIALS[api], *args],
        capture_output=True, text=True, timeout=timeout, env=env,
    )


def run_suite(app: Any, *args: str, **options: Any) -> subprocess.CompletedProcess:
    """The suite against `app`, served on a loopback port for the run."""
    with BackgroundServer(app) as server:
        return run_suite_at(server.url, *args, **options)
