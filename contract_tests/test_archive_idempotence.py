"""Archive and unarchive are idempotent (docs/contract.md#archive-is-idempotent): repeated,
interleaved with reads, concurrent; their answers agree with the next read; a write on one session
never touches another."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests import rules
from contract_tests.client import unique_tag
from contract_tests.plugin import suite_settings
from contract_tests.scenarios import send

CONCURRENCY = 8


@pytest.fixture(scope="module")
def roles(contract):
    archive, unarchive = contract.role("archive"), contract.role("unarchive")
    if archive is None or unarchive is None:
        pytest.skip("the declaration names no archive and unarchive operations (x-kit.lifecycle)")
    return archive, unarchive


def test_archive_is_idempotent(api, contract, fresh, roles):
    sid = fresh()[contract.resource.id_field]
    first = api.archive(sid)
    again = api.archive(sid)
    rules.archive_is_idempotent(contract, first, again, api.read(sid))


def test_unarchive_is_idempotent(api, contract, fresh, roles):
    sid = fresh()[contract.resource.id_field]
    api.archive(sid)
    first = api.unarchive(sid)
    rules.unarchive_is_idempotent(contract, first, api.unarchive(sid), api.read(sid))


def test_unarchive_is_idempotent_on_active_session(api, contract, fresh, roles):
    created = fresh()
    sid = created[contract.resource.id_field]
    first = api.unarchive(sid)  # never archived: nothing changes
    rules.updated_at_is_monotonic(contract, created, first, changed=False)
    rules.unarchive_is_idempotent(contract, first, api.unarchive(sid), api.read(sid))


def test_concurrent_archives_agree(api, contract, fresh, roles):
    sid = fresh()[contract.resource.id_field]
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        answers = list(pool.map(lambda _: api.archive(sid), range(CONCURRENCY)))
    rules.concurrent_archives_agree(contract, answers)
    rules.archive_is_idempotent(contract, answers[0], api.archive(sid), api.read(sid))


def test_concurrent_unarchives_agree(api, contract, fresh, roles):
    sid = fresh()[contract.resource.id_field]
    api.archive(sid)
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        answers = list(pool.map(lambda _: api.unarchive(sid), range(CONCURRENCY)))
    rules.concurrent_archives_agree(contract, answers)


def test_write_agrees_with_read(api, model, contract, representing_write):
    op_id = representing_write.operation_id
    created = api.create()
    state = model.created(created.sent_json, api.tenant)
    body = api.ownership.marked(contract.example_body(representing_write), creating=False)
    for request in model.requests(op_id, body):
        if model.apply(op_id, state, request).ok:
            answer = send(api, op_id, api.id_of(created), request)
            rules.write_agrees_with_read(contract, answer, api.read(api.id_of(created)))
            state = model.apply(op_id, state, request).state


def test_other_sessions_untouched(api, model, contract, fresh):
    id_field = contract.resource.id_field
    bystander = fresh()
    archived_bystander = fresh()
    if contract.role("archive") is not None:
        api.archive(archived_bystander[id_field])
    archived_bystander = api.read(archived_bystander[id_field]).json
    sid = fresh()[id_field]
    writes = []
    for operation in contract.writes():
        body = api.ownership.marked(contract.example_body(operation), creating=False)
        for request in model.requests(operation.operation_id, body):
            writes.append(send(api, operation.operation_id, sid, request))
    for other in (bystander, archived_bystander):
        rules.other_sessions_untouched(contract, other, api.read(other[id_field]), *writes)


@suite_settings(max_examples=15)
@given(steps=st.lists(st.sampled_from(["archive", "unarchive", "read", "list"]), min_size=2, max_size=8))
def test_archive_is_idempotent_interleaved(api, contract, steps):
    """Random interleavings of archive, unarchive and reads: a repeat of the last write answers the same
    body as that write, and reads in between agree with it."""
    if contract.role("archive") is None:
        pytest.skip("the declaration names no archive operation")
    mark = unique_tag("il")
    created = api.create(**api.marked_with(mark))
    sid = api.id_of(created)
    last: dict = {}
    for step in steps:
        if step in ("archive", "unarchive"):
            answer = api.archive(sid) if step == "archive" else api.unarchive(sid)
            if step in last:
                check = rules.archive_is_idempotent if step == "archive" else rules.unarchive_is_idempotent
                check(contract, last[step], answer)
            last = {step: answer}
        elif step == "read" and last:
            rules.write_agrees_with_read(contract, next(iter(last.values())), api.read(sid))
        elif step == "list" and last:
            written = next(iter(last.values()))
            rules.reads_see_writes(contract, written.json, api.list(**api.selecting(mark)), written)
