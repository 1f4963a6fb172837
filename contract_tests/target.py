"""The target of a run: the probe that refuses what is not this API, and the clean-up at the end."""

from __future__ import annotations

import requests

from contract_tests.config import Settings
from contract_tests.contract import Contract
from contract_tests.ownership import Ownership
from contract_tests.transport import (
    PoliteSession,
    RunStopped,
    TargetUnreachable,
    one_line,
)


def target_problem(settings: Settings, contract: Contract) -> str | None:
    """Why the target cannot be checked (one line), or None. The probe asks for one page of
    sessions with the main token: anything but a page is not this API."""
    base_url = settings.base_url or ""
    if not settings.token:
        return "--token (or CONTRACT_TOKEN) is required with --base-url"
    missing = settings.missing_tenancy(contract)
    if missing:
        return missing
    if not base_url.startswith(("http://", "https://")):
        return f"--base-url {base_url!r} is not an http(s) URL"
    url = f"{base_url}{contract.list.fill(settings.tenant(contract))}?{contract.page.size}=1"
    try:
        response = requests.get(url, headers={"Authorization": f"Bearer {settings.token}"},
                                timeout=min(settings.request_timeout, 30), allow_redirects=False)
    except requests.RequestException as exc:
        return f"cannot reach {base_url} ({one_line(exc)})"
    status, media = response.status_code, response.headers.get("Content-Type", "no content type").split(";")[0]
    tenant = ", ".join(f"{k} {v}" for k, v in settings.tenant(contract).items())
    if status == 401:
        return f"{base_url} refused the token (401): check --token / CONTRACT_TOKEN"
    if status == 403:
        return f"{base_url} answered 403 for {tenant}: check the tenant options (--org...)"
    if status != 200:
        hint = "; is it up?" if status >= 500 else ""
        return f"{base_url} does not answer like the sessions API: GET {url} answered {status} ({media}){hint}"
    try:
        page = response.json()
    except ValueError:
        page = None
    if not isinstance(page, dict) or not isinstance(page.get(contract.page.items), list):
        return f"{base_url} does not look like the sessions API: GET {url} answered 200 ({media}) but no page of sessions"
    return None


def clean_up(session: PoliteSession, base_url: str, contract: Contract, ownership: Ownership) -> None:
    """Apply the declared clean-up to every session of the run, with the credential that created
    it: as far as the API lets a client clean up. They keep the run's marker, so they can be found."""
    with session.guard.relaxed():
        for owned in ownership.owned():
            headers = {"Authorization": owned.authorization} if owned.authorization else {}
            for op_id, query in contract.kit.clean_up:
                operation = contract.operations[op_id]
                path = operation.fill({**owned.tenant, contract.resource.id_parameter: owned.record_id})
                params = {k: ("true" if v is True else "false" if v is False else v) for k, v in query.items()}
                try:
                    session.request(operation.method, base_url + path, params=params, headers=headers)
                except (RunStopped, TargetUnreachable):
                    return  # the target is gone: nothing more can be cleaned
