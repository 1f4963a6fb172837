"""Conformance of every operation to the OpenAPI 3.1 spec (schemathesis, docs/contract.md#conformance):
explicit examples, coverage cases and fuzzing, positive and negative data, every built-in check and
the envelope on every error."""

from __future__ import annotations

import pytest

from contract_tests import conformance, rules
from contract_tests.plugin import SETTINGS, suite_settings


@pytest.fixture(scope="module")
def st_schema(pytestconfig, contract):
    return conformance.load_schema(pytestconfig.stash[SETTINGS], contract)


@pytest.fixture(scope="module")
def checks(contract):
    return conformance.Checks(contract)


@pytest.fixture(scope="module")
def pool(api):
    """Sessions of this run that generated writes may target."""
    return [api.id_of(api.create()) for _ in range(4)]


def test_conforms_to_spec(api, contract, st_schema, checks, pool, request, operation):
    guard = conformance.Guard(contract, pool, api.run_tag, api.ownership)
    headers = {"Authorization": f"Bearer {api.token}"}

    def check(case):
        conformance.count_case(request.node, case)
        guard.apply(case)
        case.call_and_validate(base_url=api.base_url, session=api.http, headers=headers,
                               excluded_checks=checks.excluded, additional_checks=checks.added)

    run = conformance.operation_test(st_schema, st_schema.find_operation_by_id(operation.operation_id), check,
                                     suite_settings())
    try:
        run()
    except BaseExceptionGroup as group:
        raise rules.from_schemathesis("conforms_to_spec", group, api.token) from None
