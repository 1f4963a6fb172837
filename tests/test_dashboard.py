"""The dashboard at /_mock/, in headless Chromium: the sessions by tenant with their state, the
latest requests, the runtime controls, the clock, restore from a saved file and reset, each driven
through the page as a person would; and the page for any API, built from its declaration."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from api_model import APIS
from mock_server import MockConfig, build
from mock_server.dashboard import columns
from mock_server.server import BackgroundServer

ROOT = Path(__file__).resolve().parents[1]
DRIVER = ROOT / "tests" / "browser" / "dashboard.mjs"


@pytest.mark.parametrize(("name", "expected"), [
    ("v3", ["session_id", "is_archived", "status", "status_detail", "updated_at"]),
    ("workspace", ["id", "archived_at", "updated_at"]),
])
def test_the_columns_are_the_id_the_lifecycle_state_and_the_update_instant(name, expected):
    assert columns(build(MockConfig(spec_path=APIS[name])).api) == expected


def test_the_page_and_its_assets_are_served_without_the_admin_checks():
    client = build(MockConfig()).app.test_client()
    for path in ("/_mock", "/_mock/", "/_mock/assets/dashboard.js", "/_mock/assets/dashboard.css"):
        assert client.get(path).status_code == 200, path
    assert client.get("/_mock/assets/../admin.yaml").status_code == 200  # the admin document, not a file
    assert client.get("/_mock/assets/app.py").status_code == 404


@pytest.mark.parametrize("name", APIS)
def test_in_a_browser_the_dashboard_shows_and_controls_the_mock(name, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no Chromium: apt-get install chromium (.ci/run installs it)")
    if shutil.which("node") is None or not (ROOT / "node_modules" / "puppeteer-core").is_dir():
        pytest.skip("no puppeteer-core: npm install (.ci/run runs it)")
    mock = build(MockConfig(spec_path=APIS[name]))
    api, credential = mock.api, mock.credentials[0]
    tenant = {name: values[0] for name, values in credential.scope.items()}
    sessions_path = api.by_kind("list")[0].fill(tenant)
    saved = tmp_path / "mock-state.json"
    saved.write_text(json.dumps(mock.state.save()))
    create_example = api.document["components"]["examples"]["CreateSession"]["value"]  # the spec's own
    env = {**os.environ, "CREATE_BODY": json.dumps(create_example), "ID_FIELD": api.kit.resource.id_field}
    with BackgroundServer(mock.app) as server:
        run = subprocess.run(["node", str(DRIVER), chromium, server.url, credential.token, sessions_path, str(saved)],
                             capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout)
    assert not seen["errors"], seen["errors"]
    expected = {" / ".join(t): mock.store.count(t) for t in mock.store.tenants()}
    assert seen["tenants"] == expected
    assert seen["columns"][:len(columns(api))] == columns(api)
    assert any(line.startswith("POST 20") for line in seen["journalPaths"]), seen["journalPaths"]
    assert seen["latency"] == {"min_ms": 120, "max_ms": 130} and seen["slowRequestMs"] >= 110
    assert seen["clockOffset"] == 60
    assert seen["createdAfterRestore"] == 404  # (and its row left the page)
    assert seen["status"].startswith("Reset: ")
    assert all(url.startswith(server.url) for url in seen["requests"]), seen["requests"]
