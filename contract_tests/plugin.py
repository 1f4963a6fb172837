"""pytest plugin: options, the target under test, and the clients the contract tests use.

Registered as the `contract_tests` pytest11 entry point; from a checkout, `contract_tests/conftest.py`
loads it. Everything here is lazy: the plugin does nothing in a run that collects no contract test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from contract_tests import config
from contract_tests.client import Api, recent_exchanges
from contract_tests.ownership import Ownership
from contract_tests.transport import (
    DeadlineReached,
    PoliteSession,
    RunGuard,
    RunStopped,
    TargetUnreachable,
    one_line,
)

GUARD = pytest.StashKey[RunGuard]()
DEADLINE_AT = pytest.StashKey["float | None"]()  # wall-clock end of the run, for pytest-xdist workers
WORKER_DEADLINE = "contract_deadline_at"


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

    try:
        settings = settings_module.from_values(_option_values(config))
    except settings_module.SettingsError as exc:
        raise pytest.UsageError(str(exc)) from None
    settings_module.install(settings)
    deadline_at = getattr(config, "workerinput", {}).get(WORKER_DEADLINE)
    if deadline_at is None and settings.deadline is not None:
        deadline_at = time.time() + settings.deadline
    config.stash[GUARD] = RunGuard(
        budget=settings.request_budget,
        seconds_left=None if deadline_at is None else max(0.0, deadline_at - time.time()),
        deadline_option=settings.deadline,
        max_retry_wait=settings.max_retry_wait,
    )
    config.stash[DEADLINE_AT] = deadline_at
    if settings.seed is not None and config.getoption("hypothesis_seed", None) is None:
        # Hypothesis's own --hypothesis-seed, read by its plugin after this hook: it seeds every
        # generated test of the run, the stateful ones included.
        config.option.hypothesis_seed = str(settings.seed)
    config.addinivalue_line("markers", "contract_rule(name): the contract rule a test enforces")
    config.addinivalue_line("markers", "needs_viewer: needs --viewer-token")
    config.addinivalue_line("markers", "needs_other_org: needs --other-token and --other-org")


def _is_xdist_worker(cfg: pytest.Config) -> bool:
    return hasattr(cfg, "workerinput")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """pytest-xdist: every worker stops at the controller's deadline."""
    deadline_at = node.config.stash.get(DEADLINE_AT, None)
    if deadline_at is not None:
        node.workerinput[WORKER_DEADLINE] = deadline_at


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Once the run has stopped (deadline, broken target), later tests do not start."""
    guard = item.config.stash.get(GUARD, None)
    if guard is None or not _is_contract_test(item):
        return
    reason = guard.stopped
    if reason is None and guard.deadline is not None and guard.clock() >= guard.deadline:
        reason = guard.deadline_passed()
    if reason is not None:
        item.session.shouldstop = f"contract run stopped: {reason}"
        item.user_properties.append(("run_stopped", reason))
        pytest.skip(f"not run: {reason}")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run that stopped early checked only part of the contract: it does not pass (exit code 2)."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and _stop_reasons(reporter) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.INTERRUPTED


def _is_contract_test(item: pytest.Item) -> bool:
    return "contract_settings" in getattr(item, "fixturenames", ()) or "api" in getattr(item, "fixturenames", ())


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
    """Why `base_url` cannot be the target of this run (one line), or None. The probe asks for
    one page of sessions: anything but a page of sessions is not this API."""
    if not settings.token:
        return "--token (or CONTRACT_TOKEN) is required with --base-url"
    if not settings.org:
        return "--org (or CONTRACT_ORG) is required with --base-url"
    if not base_url.startswith(("http://", "https://")):
        return f"--base-url {base_url!r} is not an http(s) URL"
    url = f"{base_url}/v3/organizations/{settings.org}/sessions?first=1"
    try:
        response = requests.get(url, headers={"Authorization": f"Bearer {settings.token}"},
                                timeout=min(settings.request_timeout, 30), allow_redirects=False)
    except requests.RequestException as exc:
        return f"cannot reach {base_url} ({one_line(exc)})"
    status, media = response.status_code, response.headers.get("Content-Type", "no content type").split(";")[0]
    if status == 401:
        return f"{base_url} refused the token (401): check --token / CONTRACT_TOKEN"
    if status == 403:
        return f"{base_url} answered 403 for organization {settings.org}: check --org / CONTRACT_ORG"
    if status != 200:
        hint = "; is it up?" if status >= 500 else ""
        return f"{base_url} does not answer like the sessions API: GET {url} answered {status} ({media}){hint}"
    try:
        page = response.json()
    except ValueError:
        page = None
    if not isinstance(page, dict) or not isinstance(page.get("items"), list):
        return f"{base_url} does not look like the sessions API: GET {url} answered 200 ({media}) but no page of sessions"
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Every failure reads as a broken rule (the rule, the exchanges, a curl line) or as a target
    that cannot be reached or stopped the run, not as a traceback."""
    report = yield
    counts = item.__dict__.get("contract_cases")
    if counts and call.when == "call":
        label = item.__dict__.get("contract_operation", item.name)
        report.user_properties.append(("generated_cases", {"operation": label, **counts}))
    if call.excinfo is None or not report.failed:
        return report
    error = call.excinfo.value
    stopped = _find(error, RunStopped)
    if stopped is not None:
        item.session.shouldstop = f"contract run stopped: {stopped}"
        report.user_properties.append(("run_stopped", str(stopped)))
        if isinstance(stopped, DeadlineReached):
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, f"not finished: {stopped}")
        else:
            report.longrepr = f"contract run stopped: {stopped}"
        return report
    from contract_tests.rules import ContractViolation, rule_of_test

    violation = _find(error, ContractViolation)
    if violation is not None:
        report.longrepr = violation.render() + _where(item, call)
        return report
    unreachable = _find(error, TargetUnreachable)
    if unreachable is not None:
        report.longrepr = f"contract target unreachable: {unreachable}"
        return report
    if isinstance(error, Exception) and not isinstance(error, AssertionError):
        rule = rule_of_test(getattr(item, "originalname", item.name))
        if rule is not None:
            shown = "\n".join(exchange.render() for exchange in recent_exchanges())
            report.longrepr = (f"contract rule `{rule}`: the target's answers could not be checked "
                               f"({type(error).__name__}: {str(error)[:300]})" + _where(item, call)
                               + (f"\n--- the last exchanges ---\n{shown}" if shown else ""))
    return report


def _where(item: pytest.Item, call: pytest.CallInfo) -> str:
    for entry in reversed(call.excinfo.traceback):
        if str(entry.path).startswith(str(item.path.parent)) and entry.path.name.startswith("test_"):
            return f"\n  at {entry.path.name}:{entry.lineno + 1}"
    return ""


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    _summarize_stop(terminalreporter)
    _summarize_cases(terminalreporter)


def _summarize_stop(terminalreporter) -> None:
    """When the run stopped early: why, and what ran."""
    reasons = _stop_reasons(terminalreporter)
    if not reasons:
        return
    counts = {key: len([r for r in terminalreporter.stats.get(key, []) if r.when == "call" or key == "skipped"])
              for key in ("passed", "failed", "skipped")}
    collected = terminalreporter._numcollected  # 0 in a pytest-xdist controller, which does not collect
    not_run = f"{max(0, collected - sum(counts.values()))} not run, of {collected} collected" if collected \
        else "the rest not run"
    terminalreporter.section("contract run stopped early")
    terminalreporter.write_line(f"why: {reasons[0]}")
    terminalreporter.write_line(f"ran: {counts['passed']} passed, {counts['failed']} failed, "
                                f"{counts['skipped']} skipped; {not_run}")


def _stop_reasons(terminalreporter) -> list[str]:
    return [value for reports in terminalreporter.stats.values() for report in reports
            for name, value in getattr(report, "user_properties", []) or [] if name == "run_stopped"]


def _summarize_cases(terminalreporter) -> None:
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


def _find(exc: BaseException, kind: type) -> BaseException | None:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, kind):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                found = _find(inner, kind)
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
        # cleanup runs while the server still listens (see `http_session`)
    config.install(settings)


@pytest.fixture(scope="session")
def ownership(contract_settings: config.Settings) -> Ownership:
    """The sessions this run created (every one carries the run tag); cleaned up by `http_session`."""
    return Ownership(contract_settings.run_tag)


@pytest.fixture(scope="session")
def http_session(contract_settings: config.Settings, ownership: Ownership,
                 pytestconfig: pytest.Config) -> Iterator[PoliteSession]:
    guard = pytestconfig.stash[GUARD]
    session = PoliteSession(guard, timeout=contract_settings.request_timeout, ownership=ownership)
    yield session
    clean_up(session, contract_settings.base_url, ownership)  # type: ignore[arg-type]
    session.close()


def clean_up(session: PoliteSession, base_url: str, ownership: Ownership) -> None:
    """Terminate and archive every session of the run, with the credential that created it: as far
    as the API lets a client clean up. They keep the run tag, so they can be found."""
    with session.guard.relaxed():
        for owned in ownership.owned():
            headers = {"Authorization": owned.authorization} if owned.authorization else {}
            url = f"{base_url}/v3/organizations/{owned.org}/sessions/{owned.session_id}?archive=true"
            try:
                session.request("DELETE", url, headers=headers)
            except (RunStopped, TargetUnreachable):
                return  # the target is gone: nothing more can be cleaned


@pytest.fixture(scope="session")
def api(contract_settings: config.Settings, http_session: PoliteSession, ownership: Ownership) -> Api:
    """Client with the main token (ManageOrgSessions and ViewOrgSessions in --org)."""
    return Api(contract_settings.base_url, contract_settings.org, contract_settings.token,  # type: ignore[arg-type]
               session=http_session, ownership=ownership)


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
