"""pytest plugin: options, the contract and the target of a run, and the clients the tests use.

Registered as the `contract_tests` pytest11 entry point; from a checkout, `contract_tests/conftest.py`
loads it. A run's state lives on pytest's config (`SETTINGS`, `CONTRACT`, `GUARD`): the settings,
the contract read from the spec, and the guard every request passes. Tests ask for what the
contract makes of them by fixture name (`operation`, `write_operation`...), filled in by
`pytest_generate_tests`, so the same tests check whichever API the spec describes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import sessions_docs

from api_model import FileError
from contract_tests import config as settings_module
from contract_tests import report
from contract_tests.client import Api
from contract_tests.config import Settings
from contract_tests.contract import Contract
from contract_tests.model import Model
from contract_tests.ownership import Ownership
from contract_tests.target import clean_up, target_problem
from contract_tests.transport import PoliteSession, RunGuard

SETTINGS = pytest.StashKey[Settings]()
CONTRACT = pytest.StashKey[Contract]()
GUARD = pytest.StashKey[RunGuard]()
DEADLINE_AT = pytest.StashKey["float | None"]()  # wall-clock end of the run, for pytest-xdist workers
WORKER_DEADLINE = "contract_deadline_at"
PROFILE = "contract-suite"  # the Hypothesis settings of the suite's own generated tests

# Parameters tests may name, and the operations (by operationId) the contract gives them.
OPERATION_SETS: dict[str, Callable[[Contract], list[Any]]] = {
    "operation": lambda c: list(c.operations.values()),
    "body_operation": lambda c: [op for op in c.operations.values() if op.body_pointer],
    "one_operation": lambda c: [op for op in c.operations.values() if c.targets_one(op)],
    "write_operation": lambda c: c.writes(),
    "representing_write": lambda c: [op for op in c.writes() if c.answers_representation(op)],
    "refusable_write": lambda c: [op for op in c.writes() if c.behaviour(op.operation_id).refuse],
    "query_operation": lambda c: [op for op in c.operations.values()
                                  if any(p.location == "query" for p in op.parameters)],
    "idempotent_operation": lambda c: [op for op in c.writes() if c.behaviour(op.operation_id).idempotent],
    "list_operation": lambda c: c.of_kind("list", "list-children"),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "sessions API contract suite")
    for name, (env, help_text) in settings_module.OPTIONS.items():
        flag = "--" + name.replace("_", "-")
        group.addoption(flag, dest=_dest(name), default=None, help=f"{help_text} [env: {env}]")


def _dest(name: str) -> str:
    return name if name.startswith("contract_") else f"contract_{name}"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_viewer: needs --viewer-token")
    config.addinivalue_line("markers", "needs_other: needs --other-token and its tenant")
    values = {name: config.getoption(_dest(name), default=None) for name in settings_module.OPTIONS}
    try:
        settings = settings_module.from_values(values)
        contract = Contract.load(settings.spec)
        if settings.embedded:
            settings = settings.with_embedded_defaults(contract, contract.api.default_credentials())
    except (settings_module.SettingsError, FileError) as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[SETTINGS] = settings
    config.stash[CONTRACT] = contract
    deadline_at = getattr(config, "workerinput", {}).get(WORKER_DEADLINE)
    if deadline_at is None and settings.deadline is not None:
        deadline_at = time.time() + settings.deadline
    config.stash[DEADLINE_AT] = deadline_at
    config.stash[GUARD] = RunGuard(
        budget=settings.request_budget,
        seconds_left=None if deadline_at is None else max(0.0, deadline_at - time.time()),
        deadline_option=settings.deadline,
        max_retry_wait=settings.max_retry_wait,
    )
    hypothesis.settings.register_profile(
        PROFILE, max_examples=settings.max_examples, derandomize=settings.seed is None, database=None,
        deadline=None, suppress_health_check=list(hypothesis.HealthCheck), print_blob=False)
    if settings.seed is not None and config.getoption("hypothesis_seed", None) is None:
        # Hypothesis's own --hypothesis-seed, read by its plugin after this hook: it seeds every
        # generated test of the run, the stateful ones included.
        config.option.hypothesis_seed = str(settings.seed)


def suite_settings(**overrides: Any) -> hypothesis.settings:
    """The suite's Hypothesis settings (deterministic, no database, bounded), with `overrides`."""
    return hypothesis.settings(hypothesis.settings.get_profile(PROFILE), **overrides)


SUITE_DIR = Path(__file__).resolve().parent


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    contract = metafunc.config.stash.get(CONTRACT, None)
    if contract is None or SUITE_DIR not in Path(metafunc.definition.path).resolve().parents:
        return  # only the suite's own tests take parameters from the contract
    for name, select in OPERATION_SETS.items():
        if name in metafunc.fixturenames:
            operations = select(contract)
            metafunc.parametrize(name, operations, ids=[op.operation_id for op in operations])
    if "template" in metafunc.fixturenames:
        metafunc.parametrize("template", contract.templates)


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
    if guard is None or "api" not in getattr(item, "fixturenames", ()):
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
    if reporter is not None and report.stop_reasons(reporter) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.INTERRUPTED


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    settings = config.stash.get(SETTINGS, None)
    contract = config.stash.get(CONTRACT, None)
    if settings is None or contract is None:
        return None
    target = settings.base_url or "embedded mock (started on a free loopback port)"
    seed = "derandomized" if settings.seed is None else settings.seed
    tenant = ", ".join(f"{k}={v}" for k, v in settings.tenant(contract).items())
    return [f"contract: {contract.api.document['info']['title']} ({settings.spec.name}); target: {target} "
            f"{tenant} seed={seed} run={settings.run_id}",
            f"rules: {sessions_docs.CONTRACT} (failures cite its sections)"]


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """With an explicit target, check once (in the controller) that it answers; fail fast otherwise."""
    settings = session.config.stash.get(SETTINGS, None)
    if settings is None or settings.embedded or _is_xdist_worker(session.config):
        return
    problem = target_problem(settings, session.config.stash[CONTRACT])
    if problem:
        pytest.exit(f"contract_tests: {problem}", returncode=4)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Every failure reads as a broken rule (the rule, the exchanges, a curl line) or as a target
    that cannot be reached or stopped the run, not as a traceback."""
    result = yield
    counts = item.__dict__.get("contract_cases")
    if counts and call.when == "call":
        label = item.__dict__.get("contract_operation", item.name)
        result.user_properties.append(("generated_cases", {"operation": label, **counts}))
    if call.excinfo is not None and result.failed:
        report.rewrite_failure(item, call, result)
    return result


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    report.summarize_stop(terminalreporter)
    report.summarize_cases(terminalreporter)


# ---------------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def contract(pytestconfig: pytest.Config) -> Contract:
    """The contract of this run, read from the spec."""
    return pytestconfig.stash[CONTRACT]


@pytest.fixture(scope="session")
def model(contract: Contract) -> Model:
    """The suite's own model of the lifecycle the contract declares."""
    return Model(contract)


@pytest.fixture(scope="session")
def contract_settings(pytestconfig: pytest.Config, contract: Contract) -> Iterator[Settings]:
    """The target of this run: `--base-url`, or the embedded mock started for the session."""
    settings = pytestconfig.stash[SETTINGS]
    if not settings.embedded:
        yield settings
        return
    try:
        import mock_server
        from mock_server.server import BackgroundServer
    except ImportError as exc:  # pragma: no cover - depends on the installation
        pytest.exit(f"contract_tests: no --base-url given and the embedded mock cannot start ({exc})", returncode=4)
    mock = mock_server.build(mock_server.MockConfig(spec_path=settings.spec))
    with BackgroundServer(mock.app, **mock.serve_options()) as server:
        embedded = settings.with_base_url(server.url)
        problem = target_problem(embedded, contract)
        if problem:
            pytest.exit(f"contract_tests: embedded mock: {problem}", returncode=4)
        yield embedded
        # the clean-up runs while the server still listens (see `http_session`)


@pytest.fixture(scope="session")
def ownership(contract: Contract, contract_settings: Settings) -> Ownership:
    """The sessions this run created (every one carries the run's marker); cleaned up by `http_session`."""
    return Ownership(contract, contract_settings.run_id)


@pytest.fixture(scope="session")
def http_session(contract: Contract, contract_settings: Settings, ownership: Ownership,
                 pytestconfig: pytest.Config) -> Iterator[PoliteSession]:
    session = PoliteSession(pytestconfig.stash[GUARD], timeout=contract_settings.request_timeout, ownership=ownership)
    yield session
    clean_up(session, contract_settings.base_url, contract, ownership)  # type: ignore[arg-type]
    session.close()


@pytest.fixture(scope="session")
def api(contract: Contract, contract_settings: Settings, http_session: PoliteSession, ownership: Ownership) -> Api:
    """A client with the main token, in its tenant."""
    return Api(contract, contract_settings.base_url, contract_settings.tenant(contract),  # type: ignore[arg-type]
               contract_settings.token, session=http_session, ownership=ownership)


@pytest.fixture(scope="session")
def viewer_api(api: Api, contract_settings: Settings) -> Api:
    """A client with a read-only token of the same tenant."""
    if not contract_settings.viewer_token:
        pytest.skip("needs --viewer-token (CONTRACT_VIEWER_TOKEN): a token of the same tenant with the read-only "
                    "permissions")
    return api.as_(contract_settings.viewer_token, "$VIEWER_TOKEN")


@pytest.fixture(scope="session")
def other_api(api: Api, contract: Contract, contract_settings: Settings) -> Api:
    """A client of another tenant."""
    other = contract_settings.other_tenant(contract)
    if not contract_settings.other_token or len(other) < len(contract.resource.tenancy):
        pytest.skip("needs --other-token and its tenant (--other-org, and --other-workspace for an API with two levels)")
    return api.as_(contract_settings.other_token, "$OTHER_TOKEN", tenant=other)


@pytest.fixture
def fresh(api: Api, model: Model):
    """Factory: create a session of this run, check it is in its initial state, return its body."""
    from contract_tests import rules

    def make(**members: Any) -> dict:
        created = api.create(**members)
        rules.new_session_is_initial(api.contract, model.created(created.sent_json, api.tenant), created)
        return created.json

    return make
