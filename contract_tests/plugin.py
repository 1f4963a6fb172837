"""pytest plugin: options, the target under test, and the clients the contract tests use.

Registered as the `contract_tests` pytest11 entry point; from a checkout, `contract_tests/conftest.py`
loads it. Everything here is lazy: the plugin does nothing in a run that collects no contract test.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
import requests

from contract_tests import config
from contract_tests.client import Api, Budget, PoliteSession, Registry

_BUDGET: Budget | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "sessions API contract suite")
    for name, (env, help_text) in config.OPTIONS.items():
        flag = "--" + name.replace("_", "-")
        group.addoption(flag, dest=f"contract_{name}" if not name.startswith("contract_") else name,
                        default=None, help=f"{help_text} [env: {env}]")


def _option_values(cfg: pytest.Config) -> dict[str, object]:
    values = {}
    for name in config.OPTIONS:
        dest = f"contract_{name}" if not name.startswith("contract_") else name
        values[name] = cfg.getoption(dest, default=None)
    return values


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    from contract_tests import config as settings_module

    settings = settings_module.from_values(_option_values(config))
    settings_module.install(settings)
    if settings.seed is not None and config.getoption("hypothesis_seed", None) is None:
        # Hypothesis's own --hypothesis-seed, read by its plugin after this hook: it seeds every
        # generated test of the run, the stateful ones included.
        config.option.hypothesis_seed = str(settings.seed)
    config.addinivalue_line("markers", "contract_rule(name): the contract rule a test enforces")
    config.addinivalue_line("markers", "needs_viewer: needs --viewer-token")
    config.addinivalue_line("markers", "needs_other_org: needs --other-token and --other-org")


def _is_xdist_worker(cfg: pytest.Config) -> bool:
    return hasattr(cfg, "workerinput")


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    from contract_tests import config as settings_module

    settings = settings_module.current()
    target = settings.base_url or "embedded mock (started on a free loopback port)"
    seed = "derandomized" if settings.seed is None else settings.seed
    return [f"contract target: {target} org={settings.org or '?'} seed={seed} tag={settings.run_tag}"]


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """With an explicit target, check once (in the controller) that it answers; fail fast otherwise."""
    from contract_tests import config as settings_module

    settings = settings_module.current()
    if settings.embedded or _is_xdist_worker(session.config):
        return
    problem = _target_problem(settings.base_url, settings)  # type: ignore[arg-type]
    if problem:
        pytest.exit(f"contract_tests: {problem}", returncode=4)


def _target_problem(base_url: str, settings: config.Settings) -> str | None:
    if not settings.token:
        return "--token (or CONTRACT_TOKEN) is required with --base-url"
    if not settings.org:
        return "--org (or CONTRACT_ORG) is required with --base-url"
    if not base_url.startswith(("http://", "https://")):
        return f"--base-url {base_url!r} is not an http(s) URL"
    url = f"{base_url}/v3/organizations/{settings.org}/sessions?first=1"
    try:
        response = requests.get(url, headers={"Authorization": f"Bearer {settings.token}"}, timeout=10)
    except requests.RequestException as exc:
        reason = exc.__class__.__name__
        inner = getattr(exc, "args", [None])[0]
        if inner is not None and hasattr(inner, "reason"):
            reason = str(getattr(inner, "reason", reason)).split(": ", 1)[-1][:120]
        return f"cannot reach {base_url} ({reason})"
    if response.status_code == 401:
        return f"{base_url} refused the token (401): check --token / CONTRACT_TOKEN"
    if response.status_code == 403:
        return f"{base_url} answered 403 for organization {settings.org}: check --org / CONTRACT_ORG"
    if response.status_code == 404 and "json" not in response.headers.get("Content-Type", ""):
        return f"{base_url} does not serve the sessions API (404 on GET {url})"
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A broken contract rule reads as the rule, the exchanges and a curl line, not a traceback."""
    report = yield
    counts = item.__dict__.get("contract_cases")
    if counts and call.when == "call":
        label = item.__dict__.get("contract_operation", item.name)
        report.user_properties.append(("generated_cases", {"operation": label, **counts}))
    if call.excinfo is not None and report.failed:
        from contract_tests.rules import ContractViolation

        violation = _find_violation(call.excinfo.value, ContractViolation)
        if violation is not None:
            where = ""
            for entry in reversed(call.excinfo.traceback):
                if str(entry.path).startswith(str(item.path.parent)) and entry.path.name.startswith("test_"):
                    where = f"\n  at {entry.path.name}:{entry.lineno + 1}"
                    break
            report.longrepr = violation.render() + where
    return report


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    rows = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", []) or []:
                if name == "generated_cases" and getattr(report, "when", "") == "call":
                    value = dict(value)
                    rows.append((value.pop("operation", report.nodeid), value))
    if not rows:
        return
    terminalreporter.section("generated cases per test")
    for nodeid, counts in sorted(rows, key=lambda row: row[0]):
        total = sum(counts.values())
        detail = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
        terminalreporter.write_line(f"{nodeid}: {total} ({detail})")


def _find_violation(exc: BaseException, kind: type) -> BaseException | None:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, kind):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                found = _find_violation(inner, kind)
                if found is not None:
                    return found
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        seen += 1
    return None


# ---------------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def contract_settings() -> Iterator[config.Settings]:
    """The target of this run: `--base-url`, or the embedded mock started for the session."""
    settings = config.current()
    if not settings.embedded:
        yield settings
        return
    try:
        import mock_server
        from mock_server.server import BackgroundServer
    except ImportError as exc:  # pragma: no cover - depends on the installation
        pytest.exit(f"contract_tests: no --base-url given and the embedded mock cannot start ({exc})", returncode=4)
    with BackgroundServer(mock_server.create_app()) as server:
        embedded = settings.with_base_url(server.url)
        config.install(embedded)
        problem = _target_problem(server.url, embedded)
        if problem:
            pytest.exit(f"contract_tests: embedded mock: {problem}", returncode=4)
        yield embedded
        # cleanup runs while the server still listens (see `registry`)
    config.install(settings)


@pytest.fixture(scope="session")
def http_session(contract_settings: config.Settings) -> Iterator[PoliteSession]:
    global _BUDGET
    if _BUDGET is None:
        _BUDGET = Budget(contract_settings.request_budget)
    session = PoliteSession(_BUDGET)
    yield session
    session.close()


@pytest.fixture(scope="session")
def registry(contract_settings: config.Settings, http_session: PoliteSession) -> Iterator[Registry]:
    """Sessions this run created. At the end they are terminated and archived, which is as far as the
    API lets a client clean up; they keep the run tag, so they can be found."""
    created = Registry()
    yield created
    api = Api(contract_settings.base_url, contract_settings.org, contract_settings.token,  # type: ignore[arg-type]
              session=http_session, registry=created, run_tag=contract_settings.run_tag)
    for session_id in created:
        with contextlib.suppress(Exception):
            api.terminate(session_id, archive=True)


@pytest.fixture(scope="session")
def api(contract_settings: config.Settings, http_session: PoliteSession, registry: Registry) -> Api:
    """Client with the main token (ManageOrgSessions and ViewOrgSessions in --org)."""
    return Api(contract_settings.base_url, contract_settings.org, contract_settings.token,  # type: ignore[arg-type]
               session=http_session, registry=registry, run_tag=contract_settings.run_tag)


@pytest.fixture(scope="session")
def viewer_api(api: Api, contract_settings: config.Settings) -> Api:
    """Client with a ViewOrgSessions-only token of the same organization."""
    if not contract_settings.viewer_token:
        pytest.skip("needs --viewer-token (CONTRACT_VIEWER_TOKEN): a token of --org with ViewOrgSessions only")
    return api.as_(contract_settings.viewer_token, "$VIEWER_TOKEN")


@pytest.fixture(scope="session")
def other_api(api: Api, contract_settings: config.Settings) -> Api:
    """Client of another organization."""
    if not (contract_settings.other_token and contract_settings.other_org):
        pytest.skip("needs --other-token and --other-org (CONTRACT_OTHER_TOKEN, CONTRACT_OTHER_ORG)")
    return api.as_(contract_settings.other_token, "$OTHER_TOKEN", org=contract_settings.other_org)


@pytest.fixture
def fresh(api: Api):
    """Factory: create a session of this run and return its body (fails the test if creation fails)."""
    from contract_tests import rules

    def make(prompt: str = "Contract check", **fields) -> dict:
        created = api.create_session(prompt, **fields)
        rules.new_session_is_running(created)
        return created.json

    return make


def hypothesis_settings(**overrides) -> "object":
    """Hypothesis settings of the suite: deterministic, no example database, bounded."""
    import hypothesis

    settings = config.current()
    values = dict(
        max_examples=settings.max_examples,
        derandomize=settings.seed is None,
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        print_blob=False,
    )
    values.update(overrides)
    return hypothesis.settings(**values)
