"""Conformance of every operation to the OpenAPI 3.1 spec (schemathesis): positive and negative data,
all built-in checks, and the error envelope on every error."""

from __future__ import annotations

import pytest

from contract_tests import conformance, rules
from contract_tests.plugin import hypothesis_settings

schema = conformance.load_schema()


@pytest.fixture(scope="module")
def pool(api):
    """Sessions of this run that generated modifying calls may target."""
    ids = []
    for index in range(4):
        created = api.create_session(f"Conformance pool {index}")
        rules.new_session_is_running(created)
        ids.append(created.json["session_id"])
    return ids


@schema.parametrize()
@hypothesis_settings()
def test_conforms_to_spec(case, api, pool, request):
    conformance.count_case(request.node, case)
    guard = conformance.Guard(pool, api.run_tag, api.ownership)
    guard.apply(case)
    try:
        case.call_and_validate(
            base_url=api.base_url,
            session=api.http,
            headers={"Authorization": f"Bearer {api.token}"},
            excluded_checks=conformance.EXCLUDED,
            additional_checks=conformance.ADDED,
        )
    except BaseExceptionGroup as group:
        raise rules.from_schemathesis("conforms_to_spec", group, api.token) from None
