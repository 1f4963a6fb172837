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
    for members in model.create_variants():
        created = api.create(**members)
        expected = model.created(created.sent_json, api.tenant)
        rules.new_session_is_initial(contract, expected, created, api.read(api.id_of(created)))


def _bodies(contract, operation):
    """The example body, and for an update one more that empties each map or list the example
    gives (where the schema allows): replacing drops what merging would keep."""
    example = contract.example_body(operation)
    if contract.behaviour(operation.operation_id).kind != "update" or not isinstance(example, dict):
        return [example]
    members = contract.body_members(operation)
    emptied = {m: type(v)() for m, v in example.items() if isinstance(v, (dict, list))
               and not members.get(m, {}).get("minProperties") and not members.get(m, {}).get("minItems")}
    return [example, {**example, **emptied}] if emptied else [example]


def _cases(api, model, op_id, *, refused: bool):
    """(steps, state, request, outcome) for `op_id` from each reachable state, refused or not."""
    operation = api.contract.operations[op_id]
    requests = [(index, request) for index, body in enumerate(_bodies(api.contract, operation))
                for request in model.requests(op_id, api.ownership.marked(body, creating=False))]
    seen = set()
    for steps, state in reachable(api, model):
        for index, request in requests:
            outcome = model.apply(op_id, state, request)
            key = (model.key(state), index, request.label(), outcome.error)
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
        empty = Request({}, request.query)  # the state refuses even a body that changes nothing
        if _accepts_empty_body(contract, refusable_write) and model.apply(op_id, scenario.state, empty).error:
            answer = send(api, op_id, scenario.record_id, empty)
            rules.refusal_follows_lifecycle(contract, op_id, model.apply(op_id, scenario.state, empty).error,
                                            answer, *scenario.history)
        # a refusal changes nothing
        rules.other_sessions_untouched(contract, scenario.body, api.read(scenario.record_id), answer)
    if not errors_seen:
        pytest.skip(f"no state a client can reach refuses {op_id}")


def _accepts_empty_body(contract, operation) -> bool:
    schema = contract.body_schema(operation)
    return schema is not None and not schema.get("required")


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


def test_deleted_session_is_gone(api, model, contract):
    deleters = contract.of_kind("delete")
    if not deleters:
        pytest.skip("the API has no delete operation")
    for deleter in deleters:
        # from every state a client can reach (an archived session is deleted too, unless a rule refuses)
        for steps, state in reachable(api, model):
            if model.apply(deleter.operation_id, state, Request()).error:
                continue
            scenario = play(api, model, steps)
            record_id = scenario.record_id
            gone = api.write(deleter, record_id)
            rules.write_follows_lifecycle(contract, deleter.operation_id, _no_state(deleter), gone, None, *scenario.history)
            for operation in [contract.read, *contract.writes(), deleter]:
                rules.deleted_session_is_gone(contract, api.write(operation, record_id) if operation is not contract.read
                                              else api.read(record_id), gone)
            rules.deleted_session_not_listed(contract, api.list(**{contract.page.size: contract.largest_page()}),
                                             record_id)


def _no_state(operation):
    return Outcome(operation.success, None, {}, True)


def test_taken_id_is_409(api, contract):
    member = contract.resource.id_from_body
    if member is None:
        pytest.skip("the API makes every id itself (no client-chosen id)")
    chosen = api.absent_id("taken")
    first = api.create(**{member: chosen})
    rules.new_session_is_initial(contract, {contract.resource.id_field: chosen}, first)
    taken = api.create(**{member: chosen})
    rules.taken_id_is_409(contract, taken, first)
    for deleter in contract.of_kind("delete"):
        gone = api.write(deleter, chosen)
        rules.freed_id_is_accepted(contract, api.create(**{member: chosen}), chosen, first, taken, gone)


def test_taken_id_is_409_only_in_its_tenant(api, other_api, contract):
    """The same chosen id in another tenant is another resource."""
    member = contract.resource.id_from_body
    if member is None:
        pytest.skip("the API makes every id itself (no client-chosen id)")
    chosen = api.absent_id("elsewhere")
    first = api.create(**{member: chosen})
    rules.freed_id_is_accepted(contract, first, chosen)
    rules.freed_id_is_accepted(contract, other_api.create(**{member: chosen}), chosen, first)


def test_representation_keeps_invariants(api, contract):
    if not contract.resource.invariants:
        pytest.skip("the declaration names no invariant")
    created = api.create()
    rules.representation_keeps_invariants(contract, created.json, created)
    rules.representation_keeps_invariants(contract, api.read(api.id_of(created)).json, created)


def test_representation_keeps_invariants_listed(api, contract):
    """Sessions the suite did not make: no operation sets a summed member (usage), so only
    existing sessions can show a non-zero sum."""
    if not contract.resource.invariants:
        pytest.skip("the declaration names no invariant")
    page = api.list(**{contract.page.size: contract.largest_page()})
    items = (page.json or {}).get(contract.page.items) or []
    for item in items:
        rules.representation_keeps_invariants(contract, item, page)
    sums = [i["sum"] for i in contract.resource.invariants if "sum" in i]
    if sums and not any(rules.member_value(item, s["total"]) for item in items for s in sums):
        pytest.skip("no listed session has a non-zero " + ", ".join(s["total"] for s in sums) +
                    ": the sums were only seen on zeros")
