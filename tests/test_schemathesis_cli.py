"""The schemathesis CLI as the README runs it, every phase, against the mock started by its own
CLI, for each shipped API.

Bounded examples keep it quick; the repository's schemathesis.toml points generated calls at
the mock's tenant of each API. Any failure (a 5xx included: `not_a_server_error`) fails this test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import free_port, running_cli

ROOT = Path(__file__).resolve().parents[1]


# As the README runs it for each API: the v3 spec with every check but use_after_free (its DELETE
# terminates, and schemathesis.toml turns the check off), the workspace spec with `--checks all`.
RUNS = {
    "v3": ("spec/openapi.yaml", "cog_mock_admin", []),
    "workspace": ("spec/workspace.yaml", "ws_mock_writer", ["--checks", "all"]),
}


@pytest.mark.parametrize("api", RUNS)
def test_st_run_all_checks_all_phases_reports_no_failure(api):
    spec, token, checks = RUNS[api]
    port = free_port()
    with running_cli("--api", api, "--port", str(port)):
        result = subprocess.run(
            # `st`, run by this interpreter: the venv's bin need not be on PATH.
            [sys.executable, "-m", "schemathesis.cli", "run", spec, "--url", f"http://127.0.0.1:{port}",
             "-H", f"Authorization: Bearer {token}", *checks,
             "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", "25", "--seed", "7"],
            cwd=ROOT, capture_output=True, text=True, timeout=600,
        )
    summary = result.stdout[-3000:]
    assert result.returncode == 0, summary
    assert " passed" in summary and "failures" not in summary.lower(), summary
