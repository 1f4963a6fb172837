"""Where the suite points, with which credentials: command line options and environment variables.

The settings of a run live on pytest's config (`plugin.SETTINGS`), not in this module. A tenant is
given as values of the API's tenancy parameters, outermost first: `--org` the first, `--workspace`
the second (for an API with two levels). With no `--base-url`, the credentials and tenants default
to the embedded mock's own (the spec's `x-kit.mock` data).
"""

from __future__ import annotations

import math
import os
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

from api_model import APIS, Credential
from contract_tests.contract import Contract

# option name -> (environment variable, help)
OPTIONS: dict[str, tuple[str, str]] = {
    "base_url": ("CONTRACT_BASE_URL", "URL of the API under test (default: start the embedded mock)."),
    "token": ("CONTRACT_TOKEN", "Bearer token with every permission in its tenant."),
    "org": ("CONTRACT_ORG", "The token's tenant: its value of the outermost tenancy parameter (an organization)."),
    "workspace": ("CONTRACT_WORKSPACE", "The token's value of the second tenancy parameter, for an API with two (a workspace)."),
    "viewer_token": ("CONTRACT_VIEWER_TOKEN", "A token of the same tenant with the read-only permissions (403 checks)."),
    "other_token": ("CONTRACT_OTHER_TOKEN", "A token of another tenant (tenancy checks, both ways)."),
    "other_org": ("CONTRACT_OTHER_ORG", "The organization of --other-token."),
    "other_workspace": ("CONTRACT_OTHER_WORKSPACE", "The workspace of --other-token, for an API with two levels."),
    "api": ("CONTRACT_API", "Which shipped API to check: v3 or workspace (default: v3)."),
    "spec": ("CONTRACT_SPEC", "OpenAPI 3.1 document to check against, instead of a shipped API's."),
    "contract_seed": ("CONTRACT_SEED", "Seed for generated data (default: derandomized, same cases every run)."),
    "request_budget": ("CONTRACT_REQUEST_BUDGET", "Most HTTP requests one test process may send (default 20000)."),
    "max_examples": ("CONTRACT_MAX_EXAMPLES", "Hypothesis examples per generated test (default 25)."),
    "run_id": ("CONTRACT_RUN_ID", "Name of this run, in the marker its sessions carry (default: random)."),
    "deadline": ("CONTRACT_DEADLINE", "Seconds the whole run may take; then it stops with a summary (default: none)."),
    "request_timeout": ("CONTRACT_REQUEST_TIMEOUT", "Seconds to wait for one answer (default 30)."),
    "max_retry_wait": ("CONTRACT_MAX_RETRY_WAIT",
                       "Longest Retry-After (seconds) the suite waits out; a longer one stops the run (default 30)."),
}
LEVELS = ("org", "workspace")  # option names of the tenancy levels, outermost first


class SettingsError(ValueError):
    """An option's value cannot be used; the message is one line naming the option."""


def default_spec_path() -> Path:
    """The spec shipped with the kit (the `sessions_spec` package, installed alongside)."""
    from api_model import DEFAULT_SPEC

    return Path(DEFAULT_SPEC)


@dataclass
class Settings:
    base_url: str | None = None
    token: str | None = None
    org: str | None = None
    workspace: str | None = None
    viewer_token: str | None = None
    other_token: str | None = None
    other_org: str | None = None
    other_workspace: str | None = None
    spec: Path = field(default_factory=default_spec_path)
    seed: int | None = None
    request_budget: int = 20000
    max_examples: int = 25
    deadline: float | None = None  # seconds
    request_timeout: float = 30.0
    max_retry_wait: float = 30.0
    run_id: str = field(default_factory=lambda: run_id())

    @property
    def embedded(self) -> bool:
        return self.base_url is None

    def with_base_url(self, url: str) -> Settings:
        return replace(self, base_url=url)

    def tenant(self, contract: Contract) -> dict[str, str]:
        """The main token's tenant: a value for each tenancy parameter given."""
        return _tenant(contract, (self.org, self.workspace))

    def other_tenant(self, contract: Contract) -> dict[str, str]:
        return _tenant(contract, (self.other_org, self.other_workspace))

    def missing_tenancy(self, contract: Contract) -> str | None:
        """The option a tenancy level lacks, if any."""
        levels = list(contract.resource.tenancy)
        for index, value in enumerate((self.org, self.workspace)[: len(levels)]):
            if not value:
                return f"--{LEVELS[index]} (or CONTRACT_{LEVELS[index].upper()}) is required: the {levels[index]} of --token"
        return None

    def with_embedded_defaults(self, contract: Contract, credentials: tuple[Credential, ...]) -> Settings:
        """Credentials and tenants not given, taken from the embedded mock's defaults."""
        order = list(contract.resource.tenancy)
        everything = set(contract.kit.grants)
        main = next((c for c in credentials if everything <= c.grants), credentials[0])
        tenant = main.tenants(order)[0]
        viewer = next((c for c in credentials if c.grants == set(contract.kit.read_only_grants)
                       and tenant in c.tenants(order)), None)
        other = next((c for c in credentials if everything <= c.grants
                      and all(t[0] != tenant[0] for t in c.tenants(order))), None)
        filled = replace(self)
        if filled.token is None:
            filled.token = main.token
            filled.org, filled.workspace = (*tenant, None)[:2]
        if filled.viewer_token is None and viewer is not None:
            filled.viewer_token = viewer.token
        if filled.other_token is None and other is not None:
            filled.other_token = other.token
            filled.other_org, filled.other_workspace = (*other.tenants(order)[0], None)[:2]
        return filled


def _tenant(contract: Contract, values: tuple[str | None, ...]) -> dict[str, str]:
    return {name: value for name, value in zip(contract.resource.tenancy, values) if value}


def run_id() -> str:
    # pytest-xdist gives every worker of one run the same id: all workers then share one marker.
    shared = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    return (shared or uuid.uuid4().hex)[:10]


def from_values(values: dict[str, object]) -> Settings:
    """Build settings from option values (None = not given), falling back to environment variables."""

    def pick(name: str) -> str | None:
        value = values.get(name)
        if value in (None, ""):
            value = os.environ.get(OPTIONS[name][0]) or None
        return value  # type: ignore[return-value]

    base_url = pick("base_url")
    settings = Settings(base_url=base_url.rstrip("/") if base_url else None)
    for name in ("token", "org", "workspace", "viewer_token", "other_token", "other_org", "other_workspace"):
        setattr(settings, name, pick(name))
    if pick("api") is not None:
        if pick("api") not in APIS:
            raise SettingsError(f"--api ({OPTIONS['api'][0]}) must be one of {', '.join(sorted(APIS))}, not {pick('api')!r}")
        settings.spec = Path(APIS[str(pick("api"))])
    if pick("spec"):
        settings.spec = Path(pick("spec")).expanduser().resolve()  # type: ignore[arg-type]
    if pick("run_id") is not None:
        settings.run_id = str(pick("run_id"))
        if not (1 <= len(settings.run_id) <= 55) or not settings.run_id.isprintable():
            raise SettingsError(f"--run-id ({OPTIONS['run_id'][0]}) must be printable, 1 to 55 characters, "
                                f"not {settings.run_id!r}")
    numbers = {"contract_seed": ("seed", int), "request_budget": ("request_budget", int),
               "max_examples": ("max_examples", int), "deadline": ("deadline", float),
               "request_timeout": ("request_timeout", float), "max_retry_wait": ("max_retry_wait", float)}
    for option, (attribute, kind) in numbers.items():
        text = pick(option)
        if text is not None:
            setattr(settings, attribute, _number(option, text, kind))
    return settings


def _number(option: str, text: object, kind: type) -> float:
    flag = "--" + option.replace("_", "-")
    try:
        value = kind(str(text))
    except ValueError:
        raise SettingsError(f"{flag} ({OPTIONS[option][0]}) must be a number, not {text!r}") from None
    if value < 0 or math.isnan(value):
        raise SettingsError(f"{flag} ({OPTIONS[option][0]}) must be 0 or more, not {text!r}")
    return value
