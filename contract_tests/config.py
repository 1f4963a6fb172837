"""Where the suite points, with which credentials: command line options and environment variables."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

# Defaults of the embedded mock (CONTRACT.md section 3).
MOCK_TOKEN = "cog_mock_admin"
MOCK_ORG = "org-mock"
MOCK_VIEWER_TOKEN = "cog_mock_viewer"
MOCK_OTHER_TOKEN = "cog_other_admin"
MOCK_OTHER_ORG = "org-other"

# option name -> (environment variable, help)
OPTIONS: dict[str, tuple[str, str]] = {
    "base_url": ("CONTRACT_BASE_URL", "URL of the API under test (default: start the embedded mock)."),
    "token": ("CONTRACT_TOKEN", "Bearer token with ManageOrgSessions and ViewOrgSessions in --org."),
    "org": ("CONTRACT_ORG", "Organization id the token belongs to."),
    "viewer_token": ("CONTRACT_VIEWER_TOKEN", "Token of --org with ViewOrgSessions only (403 checks)."),
    "other_token": ("CONTRACT_OTHER_TOKEN", "Token of another organization (tenancy checks)."),
    "other_org": ("CONTRACT_OTHER_ORG", "The organization of --other-token."),
    "spec": ("CONTRACT_SPEC", "OpenAPI 3.1 document to check against (default: the shipped spec)."),
    "contract_seed": ("CONTRACT_SEED", "Seed for generated data (default: derandomized, same cases every run)."),
    "request_budget": ("CONTRACT_REQUEST_BUDGET", "Most HTTP requests one test process may send (default 20000)."),
    "max_examples": ("CONTRACT_MAX_EXAMPLES", "Hypothesis examples per generated test (default 25)."),
    "run_id": ("CONTRACT_RUN_ID", "Name of this run: its sessions carry the tag contract-<run id> (default: random)."),
    "deadline": ("CONTRACT_DEADLINE", "Seconds the whole run may take; then it stops with a summary (default: none)."),
    "request_timeout": ("CONTRACT_REQUEST_TIMEOUT", "Seconds to wait for one answer (default 30)."),
    "max_retry_wait": ("CONTRACT_MAX_RETRY_WAIT",
                       "Longest Retry-After (seconds) the suite waits out; a longer one stops the run (default 30)."),
}


class SettingsError(ValueError):
    """An option's value cannot be used; the message is one line naming the option."""


def default_spec_path() -> Path:
    """The spec shipped with the kit (the `sessions_spec` package, installed alongside)."""
    from sessions_spec import OPENAPI_PATH

    return Path(OPENAPI_PATH)


@dataclass
class Settings:
    base_url: str | None = None
    token: str = MOCK_TOKEN
    org: str = MOCK_ORG
    viewer_token: str | None = MOCK_VIEWER_TOKEN
    other_token: str | None = MOCK_OTHER_TOKEN
    other_org: str | None = MOCK_OTHER_ORG
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

    @property
    def run_tag(self) -> str:
        """Tag carried by every session the suite creates, so that a person can find them."""
        return f"contract-{self.run_id}"

    def with_base_url(self, url: str) -> Settings:
        return replace(self, base_url=url)


def run_id() -> str:
    # pytest-xdist gives every worker of one run the same id: all workers then share one tag.
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
    remote = base_url is not None
    for name in ("token", "org", "viewer_token", "other_token", "other_org"):
        value = pick(name)
        if value is not None:
            setattr(settings, name, value)
        elif remote:
            # Against a real target the mock's credentials mean nothing: optional ones become missing.
            setattr(settings, name, None if name != "token" and name != "org" else "")
    if pick("spec"):
        settings.spec = Path(pick("spec")).expanduser().resolve()  # type: ignore[arg-type]
    if pick("run_id") is not None:
        settings.run_id = str(pick("run_id"))
        if not (1 <= len(settings.run_tag) <= 64) or not settings.run_id.isprintable():
            raise SettingsError(f"--run-id ({OPTIONS['run_id'][0]}) must be printable and make a tag of at most "
                                f"64 characters, not {settings.run_id!r}")
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
    if value < 0 or value != value:  # NaN
        raise SettingsError(f"{flag} ({OPTIONS[option][0]}) must be 0 or more, not {text!r}")
    return value


_current: Settings | None = None


def current() -> Settings:
    """The settings of this run (set by the plugin; environment only when imported without it)."""
    global _current
    if _current is None:
        _current = from_values({})
    return _current


def install(settings: Settings) -> None:
    global _current
    _current = settings
