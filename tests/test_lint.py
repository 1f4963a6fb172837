"""The three documents lint clean: Redocly's recommended rules (redocly.yaml) and Spectral's OpenAPI
and OWASP API Security rules (.spectral.yaml), with no error and no warning beyond what those files
switch off, each with its reason. The linters are the npm packages
package.json names, installed in node_modules."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ["spec/openapi.yaml", "spec/workspace.yaml", "spec/admin.yaml"]  # as the rulesets name them
SPECTRAL_WARNING = 1  # Spectral's severities: 0 error, 1 warning, 2 information, 3 hint


def run(tool: str, *args: str) -> subprocess.CompletedProcess:
    path = ROOT / "node_modules" / ".bin" / tool
    if not path.exists():
        pytest.skip(f"{tool} is not installed: `npm install` in {ROOT} installs the linters package.json names")
    return subprocess.run([str(path), *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def parsed(result: subprocess.CompletedProcess):
    try:
        return json.loads(result.stdout)
    except ValueError:
        pytest.fail(f"the linter gave no report (exit {result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


@pytest.mark.parametrize("document", DOCUMENTS)
def test_redocly_recommended_rules_pass(document):
    report = parsed(run("redocly", "lint", document, "--format=json"))
    found = [f"{p['ruleId']} ({p['severity']}) at {p['location'][0].get('pointer')}: {p['message']}"
             for p in report["problems"]]
    assert (report["totals"]["errors"], report["totals"]["warnings"]) == (0, 0), "\n".join(found)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_spectral_oas_and_owasp_rules_pass(document):
    findings = parsed(run("spectral", "lint", document, "--format=json", "--quiet"))
    found = [f"{f['code']} at {'.'.join(map(str, f['path']))} (line {f['range']['start']['line'] + 1}): {f['message']}"
             for f in findings if f["severity"] <= SPECTRAL_WARNING]
    assert not found, "\n".join(found)
