"""The lifecycle the declaration says (docs/contract.md#the-lifecycle), from every state a client
can reach: a new session starts in its declared state; each write does what its rules say; each
refusal answers its declared error; a repeat of an idempotent write changes nothing; the update
instant moves only on a change; a sub-collection lists what was added, in order; a deleted
session is gone; a taken client-chosen id is refused; every answer keeps the declared invariants."""

from __future__ import annotations

import pytest

from api_model import Open, Source
from contract_tests import rules
from contract_tests.model import Outcome, Request
from contract_tests.scenarios import play, reachable, send


def test_new_session_is_initial(api, model, contract):
    created = api.create()
    expected = model.created(created.sent_json, api.tenant)
    rules.new_session_is_initial(contract, expected, created, api.read(api.id_of(created)))


def _cases(api, model, op_id, *, refused: bool):
    """(steps, state, request, outcome) for `op_id` from each reachable state, refused or not."""
    operation = api.contract.operations[op_id]
    body = api.ownership.marked(api.contract.example_body(operation), creating=False)
    seen = set()
    for steps, state in reachable(api, model):
        for request in model.requests(op_id, body):
            outcome = model.apply(op_id, state, request)
            key = (model.key(state), request.label(), outcome.error)
            if outcome.ok != refused and key not in seen:
                seen.add(key)
                yield steps, state, request, outcome


def test_write_follows_lifecycle(api, model, contract, write_operation):
    op_id = write_operation.operation_id
    for steps, _, request, expected in _cases(api, model, op_id, refused=False):
        scenario = play(api, model, steps)
        answer = send(api, op_id, scenario.record_id, request)
        read = api.read(scenario.record_id)
        rules.write_follows_lifecycle(contract, op_id, expected, answer, read, *scenario.history)


def test_refusal_follows_lifecycle(api, model, contract, refusable_write):
    op_id = refusable_write.operation_id
    errors_seen = set()
    for steps, _, request, expected in _cases(api, model, op_id, refused=True):
        if expected.error in errors_seen:
            continue  # each declared refusal once, from the nearest state it holds in
        errors_seen.add(expected.error)
        scenario = play(api, model, steps)
        answer = send(api, op_id, scenario.record_id, request)
        rules.refusal_follows_lifecycle(contract, op_id, expected.error, answer, *scenario.history)
        # a refusal changes nothing
        rules.other_sessions_untouched(contract, scenario.body, api.read(scenario.record_id), answer)
    if not errors_seen:
        pytest.skip(f"no state a client can reach refuses {op_id}")


def test_write_is_idempotent(api, model, contract, idempotent_operation):
    """Each idempotent write, repeated from every reachable state: the same answer, nothing changed
    (the archive's and the unarchive's repeats report under their own rules)."""
    op_id = idempotent_operation.operation_id
    check = rules.idempotence_rule(contract, op_id)
    for steps, _, request, _ in _cases(api, model, op_id, refused=False):
        scenario = play(api, model, steps)
        first = send(api, op_id, scenario.record_id, request)
        again = send(api, op_id, scenario.record_id, request)
        check(contract, first, again, api.read(scenario.record_id))


def test_updated_at_is_monotonic(api, model, contract, write_operation):
    """Each write, then the same write again: the update instant moves only when the model says the
    session changed, and never back."""
    op_id = write_operation.operation_id
    for steps, state, request, expected in _cases(api, model, op_id, refused=False):
        scenario = play(api, model, steps)
        before = api.read(scenario.record_id).json
        send(api, op_id, scenario.record_id, request)
        after = api.read(scenario.record_id)
        rules.updated_at_is_monotonic(contract, before, after, changed=expected.changed)
        repeat = model.apply(op_id, expected.state, request)
        if repeat.ok:
            before = after.json
            send(api, op_id, scenario.record_id, request)
            rules.updated_at_is_monotonic(contract, before, api.read(scenario.record_id), changed=repeat.changed)


def test_children_are_listed_in_order(api, model, contract):
    for name, child in contract.resource.children.items():
        lister = next(op for op in contract.of_kind("list-children") if contract.behaviour(op.operation_id).child == name)
        created = api.create()
        record_id = api.id_of(created)
        first = contract.behaviour(contract.create.operation_id).append
        expected = [_item(first, created.sent_json)] if first is not None and first.child == name else []
        appenders = [op for op in contract.of_kind("append") if contract.behaviour(op.operation_id).append.child == name]
        for operation in appenders:
            for number in range(2):
                body = {**contract.example_body(operation)}
                for member, value in body.items():
                    if isinstance(value, str):
                        body[member] = f"{value} ({number})"
                answer = send(api, operation.operation_id, record_id, Request(body))
                if 200 <= answer.status < 300:
                    expected.append(_item(contract.behaviour(operation.operation_id).append, body))
        listed = api.call(lister, record_id, query={contract.page.size: contract.largest_page(lister)})
        rules.children_are_listed_in_order(contract, name, listed, [e for e in expected if e])


def _item(append, body):
    """The members of an appended item the declaration makes known: literals and body values."""
    if append is None:
        return {}
    known = {}
    for member, value in append.item.items():
        if isinstance(value, Source) and value.kind == "from" and value.text.startswith("body."):
            known[member] = (body or {}).get(value.text.removeprefix("body."))
        elif not isinstance(value, (Source, Open)):
            known[member] = value  # an open value may be anything
    return known


def test_deleted_session_is_gone(api, contract):
    deleters = contract.of_kind("delete")
    if not deleters:
        pytest.skip("the API has no delete operation")
    for deleter in deleters:
        record_id = api.id_of(api.create())
        gone = api.write(deleter, record_id)
        rules.write_follows_lifecycle(contract, deleter.operation_id, _no_state(deleter), gone)
        for operation in [contract.read, *contract.writes(), deleter]:
            rules.deleted_session_is_gone(contract, api.write(operation, record_id) if operation is not contract.read
                                          else api.read(record_id), gone)
        rules.deleted_session_not_listed(contract, api.list(**{contract.page.size: contract.largest_page()}), record_id)


def _no_state(operation):
    return Outcome(operation.success, None, {}, True)


def test_taken_id_is_409(api, contract):
    member = contract.resource.id_from_body
    if member is None:
        pytest.skip("the API makes every id itself (no client-chosen id)")
    chosen = api.absent_id("taken")
    first = api.create(**{member: chosen})
    rules.new_session_is_initial(contract, {contract.resource.id_field: chosen}, first)
    rules.taken_id_is_409(contract, api.create(**{member: chosen}), first)


def test_representation_keeps_invariants(api, contract):
    if not contract.resource.invariants:
        pytest.skip("the declaration names no invariant")
    page = api.list(**{contract.page.size: contract.largest_page()})
    for item in (page.json or {}).get(contract.page.items) or []:
        rules.representation_keeps_invariants(contract, item, page)
    created = api.create()
    rules.representation_keeps_invariants(contract, created.json, created)
