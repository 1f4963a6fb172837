"""The docs page: Swagger UI 5 over the 3.1 documents themselves, from the package's own assets,
calling the mock it is served by; and, in headless Chromium, every operation's "Try it out"
succeeds with the default token and the admin API renders."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from api_model import APIS, load
from mock_server import MockConfig, build
from mock_server.docs_page import SWAGGER_ASSETS, swagger_ui_assets
from mock_server.server import BackgroundServer

ROOT = Path(__file__).resolve().parents[1]
DRIVER = ROOT / "tests" / "browser" / "docs_page.mjs"


@pytest.fixture(params=list(APIS))
def mock(request):
    return build(MockConfig(spec_path=APIS[request.param]))


def test_the_page_lists_every_token_and_explains_prefer(mock):
    page = mock.app.test_client().get("/docs/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for credential in mock.credentials:
        assert f"<code>{credential.token}</code>" in page.text
    assert "Prefer: code=&lt;status&gt;" in page.text
    assert json.loads(page.text.split('type="application/json">')[1].split("</script>")[0])["token"] == \
        mock.credentials[0].token


def test_the_assets_are_the_installed_swagger_ui_5():
    folder = swagger_ui_assets()
    assert folder is not None, "swagger-ui-py is a dependency of the kit"
    client = build().app.test_client()
    for name in SWAGGER_ASSETS:
        answer = client.get(f"/docs/assets/{name}")
        assert answer.status_code == 200 and answer.content == (folder / name).read_bytes(), name
    assert b'"5.' in client.get("/docs/assets/swagger-ui-bundle.js").content  # 4.x cannot read 3.1
    assert client.get("/docs/assets/../../pyproject.toml").status_code == 404
    assert client.get("/docs/assets/swagger-editor-bundle.js").status_code == 404  # only what the page uses


def test_the_documents_are_the_specs_with_this_mock_as_their_server(mock):
    client = mock.app.test_client()
    name = Path(mock.config.spec_path).name
    served = yaml.safe_load(client.get(f"/docs/{name}", headers={"Host": "localhost:9999"}).content)
    assert served["servers"] == [{"url": "http://localhost:9999", "description": "session-mock: this mock"}]
    assert {k: v for k, v in served.items() if k != "servers"} == \
        {k: v for k, v in mock.api.document.items() if k != "servers"}
    admin = yaml.safe_load(client.get("/docs/admin.yaml", headers={"Host": "127.0.0.1:8080"}).content)
    assert admin["servers"][0]["url"] == "http://127.0.0.1:8080"
    assert admin["paths"] == yaml.safe_load(client.get("/_mock/admin.yaml").content)["paths"]


def test_a_host_that_is_no_plain_name_gives_a_relative_server():
    mock = build(MockConfig(allowed_hosts=("*",)))
    served = mock.app.test_client().get("/docs/openapi.yaml", headers={"Host": "a b'\"<x>"})
    assert yaml.safe_load(served.content)["servers"][0]["url"] == "/"


def test_tokens_are_escaped_in_the_page(tmp_path):
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text("tokens:\n  '<img src=x onerror=alert(1)></script>': {org: org-mock}\n")
    from api_model import read_credentials
    api = load(APIS["v3"])
    page = build(MockConfig(credentials=read_credentials(tokens, api.kit))).app.test_client().get("/docs/").text
    assert "<img" not in page and "</script>\"" not in page and "&lt;img src=x" in page


def _browser() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no Chromium: apt-get install chromium (.ci/run installs it)")
    if shutil.which("node") is None or not (ROOT / "node_modules" / "puppeteer-core").is_dir():
        pytest.skip("no puppeteer-core: npm install (.ci/run runs it)")
    return chromium, shutil.which("node")


@pytest.mark.parametrize("name", APIS)
def test_in_a_browser_every_operation_answers_2xx_and_the_admin_api_renders(name):
    chromium, node = _browser()
    mock = build(MockConfig(spec_path=APIS[name]))
    token = mock.credentials[0].token
    with BackgroundServer(mock.app) as server:
        run = subprocess.run([node, str(DRIVER), chromium, server.url, token], capture_output=True, text=True,
                             timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout)
    assert not seen["errors"], seen["errors"]
    assert "OAS 3.1" in seen["title"] and not seen["renderErrors"], seen
    assert seen["servers"] == [server.url]
    assert all(url.startswith(server.url + "/") or url.startswith("data:") for url in seen["requests"]), \
        f"the page loads something from elsewhere: {[u for u in seen['requests'] if not u.startswith(server.url)]}"
    statuses = {o["id"].rsplit("-", 1)[1]: o["status"] for o in seen["operations"]}
    assert set(statuses) == set(mock.api.operations), statuses
    failed = {op: status for op, status in statuses.items() if not status.startswith("2")}
    assert not failed, f"Try it out with {token} did not succeed: {failed}"
    admin_operations = sum(1 for item in yaml.safe_load(mock.app.test_client().get("/_mock/admin.yaml").content)
                           ["paths"].values() for method in item if method in ("get", "post", "put", "patch", "delete"))
    assert seen["admin"]["operations"] == admin_operations and "OAS 3.1" in seen["admin"]["title"], seen["admin"]
    assert not seen["admin"]["renderErrors"], seen["admin"]["renderErrors"]
