"""Running the contract suite, as a user would, against a server of the kit's own tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from mock_server.server import BackgroundServer

SUITE = Path(__file__).resolve().parent.parent / "contract_tests"
CREDENTIALS = ["--token", "cog_mock_admin", "--org", "org-mock", "--viewer-token", "cog_mock_viewer",
               "--other-token", "cog_other_admin", "--other-org", "org-other"]


def run_suite_at(url: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """`pytest contract_tests --base-url URL ...` in a subprocess, with the default credentials."""
    # Many runs start pytest afresh: let them reuse compiled (and assertion-rewritten) modules.
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(SUITE), "-q", "-p", "no:cacheprovider", "--tb=short",
         "-o", "addopts=", "--base-url", url, *CREDENTIALS, *args],
        capture_output=True, text=True, timeout=timeout, env=env,
    )


def run_suite(app: Any, *args: str, **options: Any) -> subprocess.CompletedProcess:
    """The suite against `app`, served on a loopback port for the run."""
    with BackgroundServer(app) as server:
        return run_suite_at(server.url, *args, **options)
