"""Specmatic's contract test, a peer's reading of the specs: run from each spec's own `seeded`
examples against a fresh mock, with the default token, every test passes and every operation
has one."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from api_model import APIS
from mock_server import MockConfig, build
from mock_server.server import BackgroundServer

SPECMATIC = Path(__file__).resolve().parents[1] / "node_modules" / ".bin" / "specmatic"


@pytest.mark.parametrize("name", APIS)
def test_specmatic_passes_every_example_of_the_spec(name, tmp_path):
    if shutil.which("java") is None:
        pytest.skip("no Java: Specmatic runs on Java 17")
    if not SPECMATIC.exists():
        pytest.skip("no Specmatic: npm install (.ci/run runs it)")
    mock = build(MockConfig(spec_path=APIS[name]))
    scheme = next(iter(mock.api.document["security"][0]))
    # Specmatic reads a bearer token from the variable named after the security scheme.
    env = {**os.environ, scheme: mock.credentials[0].token}
    with BackgroundServer(mock.app) as server:
        run = subprocess.run([str(SPECMATIC), "test", str(APIS[name]), f"--testBaseURL={server.url}", "--strict"],
                             capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    output = run.stdout + run.stderr
    counts = re.search(r"Tests run: (\d+), Successes: (\d+), Failures: (\d+)", output)
    assert counts, output[-3000:]
    ran, passed, failed = map(int, counts.groups())
    assert failed == 0 and passed == ran, output[-6000:]
    assert ran == len(mock.api.operations), f"{ran} tests for {len(mock.api.operations)} operations:\n{output[-3000:]}"
