"""Authentication and tenancy on every operation (CONTRACT.md §1, §5): 401 before anything else,
403 for a missing permission or another organization, 404 for another organization's sessions."""

from __future__ import annotations

import pytest

from contract_tests import rules
from contract_tests.operations import OPERATIONS, call

OPS = [pytest.param(op, id=op.name) for op in OPERATIONS]
UNAUTHENTICATED = {
    "no-header": None,
    "basic-scheme": "Basic Y29nX21vY2tfYWRtaW46",
    "unknown-token": "Bearer cog_contract_unknown_token",
    "empty-bearer": "Bearer ",
}


@pytest.fixture(scope="module")
def own(api):
    """A session of this run, in --org."""
    created = api.create_session("Auth target")
    rules.new_session_is_running(created)
    return created.json["session_id"]


@pytest.fixture(scope="module")
def foreign(other_api):
    """A session this run created in the other organization (terminated and archived at the end)."""
    created = other_api.create_session("Tenancy target")
    rules.new_session_is_running(created)
    sid = created.json["session_id"]
    yield sid
    other_api.terminate(sid, archive=True)


@pytest.mark.parametrize("credential", list(UNAUTHENTICATED), ids=list(UNAUTHENTICATED))
@pytest.mark.parametrize("op", OPS)
def test_requires_authentication(api, own, op, credential):
    rules.requires_authentication(call(api, op, own, authorization=UNAUTHENTICATED[credential]))


@pytest.mark.parametrize("op", OPS)
def test_requires_authentication_before_validation(api, op):
    # a malformed id and an invalid body: authentication still comes first (§1, §5)
    bad_body = {"unknown": 1} if op.body is not None else None
    answer = call(api, op, "bad id!", body=bad_body, authorization=None)
    rules.requires_authentication(answer)
    answer = call(api, op, "bad id!", org="bad org!", body=bad_body, authorization="Bearer cog_contract_unknown")
    rules.requires_authentication(answer)


@pytest.mark.parametrize("op", OPS)
def test_requires_permission(viewer_api, api, own, op):
    answer = call(viewer_api, op, own)
    if op.manage:
        rules.requires_permission(answer)
    else:
        # ViewOrgSessions is all a read needs
        if answer.status != 200:
            rules.fail("requires_permission", f"a ViewOrgSessions token must be able to {op.name}", answer)


@pytest.mark.parametrize("op", OPS)
def test_org_boundary_is_403(api, own, op, contract_settings):
    other_org = contract_settings.other_org or "org-contractelsewhere"
    if other_org == api.org:
        other_org = "org-contractelsewhere"
    rules.org_boundary_is_403(call(api, op, own, org=other_org))
    # a malformed org id is never the token's own: 403, not 422 (§5)
    rules.org_boundary_is_403(call(api, op, own, org="org_not!valid"))


@pytest.mark.parametrize("op", OPS)
def test_org_boundary_is_403_from_the_other_side(other_api, api, own, op):
    """The other organization's token on this organization's paths."""
    rules.org_boundary_is_403(call(other_api, op, own, org=api.org))


@pytest.mark.parametrize("op", [p for p in OPS if p.values[0].session_scoped])
def test_foreign_session_is_not_found(api, foreign, op):
    rules.foreign_session_is_not_found(call(api, op, foreign))
    # the other organization's session is unchanged, and never listed here
    rules.foreign_session_not_listed(api.list_sessions(first=200), foreign)


@pytest.mark.parametrize("op", [p for p in OPS if p.values[0].session_scoped])
def test_foreign_session_is_not_found_absent(api, op):
    rules.foreign_session_is_not_found(call(api, op, api.absent_id(op.name)))


@pytest.mark.parametrize("op", [p for p in OPS if p.values[0].session_scoped])
def test_foreign_session_is_not_found_from_the_other_side(other_api, api, own, op):
    """The other organization's token, on its own paths, with a session of this organization."""
    rules.foreign_session_is_not_found(call(other_api, op, own))
    rules.foreign_session_not_listed(other_api.list_sessions(first=200), own)


def test_foreign_session_is_not_found_unchanged(api, other_api, foreign, own):
    for owner, intruder, sid in ((other_api, api, foreign), (api, other_api, own)):
        before = owner.get_session(sid)
        answers = [call(intruder, op, sid) for op in OPERATIONS if op.session_scoped and op.manage]
        rules.other_sessions_untouched(before.json, owner.get_session(sid), *answers)
