"""The schemathesis CLI as the README runs it (every check but the one schemathesis.toml turns
off, every phase), against the mock started by its own CLI.

Bounded examples keep it quick; the repository's schemathesis.toml points generated calls at
the mock's tenant. Any failure (a 5xx included: `not_a_server_error`) fails this test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import free_port, running_cli

ROOT = Path(__file__).resolve().parents[1]


def test_st_run_all_checks_all_phases_reports_no_failure():
    port = free_port()
    with running_cli("--port", str(port)):
        result = subprocess.run(
            # `st`, run by this interpreter: the venv's bin need not be on PATH.
            [sys.executable, "-m", "schemathesis.cli", "run", "spec/openapi.yaml", "--url", f"http://127.0.0.1:{port}",
             "-H", "Authorization: Bearer cog_mock_admin",
             "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", "25", "--seed", "7"],
            cwd=ROOT, capture_output=True, text=True, timeout=600,
        )
    summary = result.stdout[-3000:]
    assert result.returncode == 0, summary
    assert " passed" in summary and "failures" not in summary.lower(), summary
