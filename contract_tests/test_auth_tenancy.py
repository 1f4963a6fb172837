"""Authentication and tenancy on every operation (docs/contract.md#authentication-and-tenancy): 401
before anything else, 403 for a missing permission or a tenant the credential does not belong to
(both ways, at every tenancy level), 404 for another tenant's sessions."""

from __future__ import annotations

import pytest

from contract_tests import rules
from contract_tests.client import UNSET

UNAUTHENTICATED = {
    "no-header": None,
    "basic-scheme": "Basic Y29udHJhY3Q6dGVzdA==",
    "unknown-token": "Bearer contract-unknown-token",
    "empty-bearer": "Bearer ",
}


@pytest.fixture(scope="module")
def own(api, contract):
    """A session of this run, in the main tenant."""
    created = api.create()
    return api.id_of(created)


@pytest.fixture(scope="module")
def foreign(other_api):
    """A session this run created in the other tenant (cleaned up with the other credential)."""
    return other_api.id_of(other_api.create())


def call(api, contract, operation, record_id, **kwargs):
    """`operation` with a valid body, on `record_id` when it names one; no guard: the ids passed are
    the run's own or ones that cannot exist."""
    body = contract.example_body(operation) if operation.body_pointer else UNSET
    if operation is contract.create and body is not UNSET:
        body = api.ownership.marked(body, creating=True)
    return api.call(operation, record_id if contract.targets_one(operation) else None, body=body, **kwargs)


@pytest.mark.parametrize("credential", list(UNAUTHENTICATED))
def test_requires_authentication(api, contract, own, operation, credential):
    rules.requires_authentication(contract, call(api, contract, operation, own, authorization=UNAUTHENTICATED[credential]))


def test_requires_authentication_before_validation(api, contract, operation):
    # a malformed id, malformed tenancy values and an invalid body: authentication still comes first
    bad_body = {"contract-unknown-member": 1}
    body = bad_body if operation.body_pointer else UNSET
    record = "bad id!" if contract.targets_one(operation) else None
    rules.requires_authentication(contract, api.call(operation, record, body=body, authorization=None))
    bad_tenant = {name: "bad value!" for name in contract.resource.tenancy}
    answer = api.call(operation, record, body=body, tenant=bad_tenant, authorization="Bearer contract-unknown")
    rules.requires_authentication(contract, answer)


def test_requires_permission(viewer_api, api, contract, own, operation):
    answer = call(viewer_api, contract, operation, own)
    if operation.permission in contract.kit.read_only_grants:
        if not 200 <= answer.status < 300:
            rules.fail("requires_permission", f"a read-only token must be able to {operation.operation_id}", answer)
    else:
        rules.requires_permission(contract, answer)


def _elsewhere(contract, level: str) -> str:
    """A well-formed value of a tenancy parameter that names nobody's tenant: the spec's example
    of it, made longer."""
    examples = contract.parameter_schema(contract.read, level).get("examples") or [""]
    return f"{examples[0]}contractelsewhere"


def test_tenancy_boundary_is_403(api, contract, own, operation):
    for level in contract.resource.tenancy:
        rules.tenancy_boundary_is_403(contract, call(api, contract, operation, own, tenant={level: _elsewhere(contract, level)}))
        # a malformed value is never the credential's own: 403, not 422
        rules.tenancy_boundary_is_403(contract, call(api, contract, operation, own, tenant={level: "not valid!"}))


def test_tenancy_boundary_is_403_with_the_other_tenant(api, other_api, contract, own, operation):
    """The main token on the other tenant's paths."""
    rules.tenancy_boundary_is_403(contract, call(api, contract, operation, own, tenant=other_api.tenant))


def test_tenancy_boundary_is_403_from_the_other_side(other_api, api, contract, own, operation):
    """The other tenant's token on this tenant's paths."""
    rules.tenancy_boundary_is_403(contract, call(other_api, contract, operation, own, tenant=api.tenant))


def test_foreign_session_is_not_found(api, contract, foreign, one_operation):
    rules.foreign_session_is_not_found(contract, call(api, contract, one_operation, foreign))
    rules.foreign_session_not_listed(contract, api.list(**{contract.page.size: contract.largest_page()}), foreign)


def test_foreign_session_is_not_found_from_the_other_side(other_api, api, contract, own, one_operation):
    """The other tenant's token, on its own paths, with a session of this tenant."""
    rules.foreign_session_is_not_found(contract, call(other_api, contract, one_operation, own))
    rules.foreign_session_not_listed(contract, other_api.list(**{contract.page.size: contract.largest_page()}), own)


def test_foreign_session_is_not_found_absent(api, contract, one_operation):
    rules.foreign_session_is_not_found(contract, call(api, contract, one_operation, api.absent_id(one_operation.operation_id)))


def test_foreign_session_is_not_found_unchanged(api, other_api, contract, foreign, own):
    for owner, intruder, sid in ((other_api, api, foreign), (api, other_api, own)):
        before = owner.read(sid)
        answers = [call(intruder, contract, op, sid) for op in contract.writes() + contract.of_kind("delete")]
        rules.other_sessions_untouched(contract, before.json, owner.read(sid), *answers)
