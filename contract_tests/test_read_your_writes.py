"""Read-your-writes and list filters (docs/contract.md#reads-see-writes, #lists): a read and a list
see every write at once; the archived filter and every declared filter select exactly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests import rules
from contract_tests.client import unique_tag
from contract_tests.model import known, matches
from contract_tests.plugin import suite_settings
from contract_tests.scenarios import send


def _listed(api, contract, query):
    page = api.list(**query)
    rules.page_is_consistent(contract, page)
    return page, page.json[contract.page.items]


def test_reads_see_writes(api, model, contract):
    mark = unique_tag("ryw")
    created = api.create(**api.marked_with(mark))
    sid = api.id_of(created)
    state = model.created(created.sent_json, api.tenant)
    rules.reads_see_writes(contract, created.json, api.read(sid), created)
    rules.reads_see_writes(contract, created.json, api.list(**api.selecting(mark)), created)
    for operation in contract.writes():
        body = api.keeping(api.ownership.marked(contract.example_body(operation), creating=False), mark)
        for request in model.requests(operation.operation_id, body):
            outcome = model.apply(operation.operation_id, state, request)
            if not outcome.ok:
                continue
            written = send(api, operation.operation_id, sid, request)
            state = outcome.state
            expected = written.json if contract.answers_representation(operation) else \
                {k: v for k, v in state.items() if known(v)} | {contract.resource.id_field: sid}
            rules.reads_see_writes(contract, expected, api.read(sid), written)
            rules.reads_see_writes(contract, expected, api.list(**api.selecting(mark)), written)


def _archived_parameter(contract):
    filters = contract.behaviour(contract.list.operation_id).filters
    return next((name for name, spec in filters.items() if spec.kind == "archived"), None)


def test_archived_filter_is_exact(api, contract):
    parameter = _archived_parameter(contract)
    if parameter is None or contract.role("archive") is None:
        pytest.skip("the list declares no archived filter, or the API no archive operation")
    mark = unique_tag("arch")
    ids = [api.id_of(api.create(**api.marked_with(mark))) for _ in range(4)]
    archived = {ids[0], ids[2]}
    for sid in archived:
        api.archive(sid)
    for flag, expected in ((True, archived), (False, set(ids) - archived), (None, set(ids))):
        page, items = _listed(api, contract, api.selecting(mark, **{parameter: flag}))
        rules.archived_filter_is_exact(contract, items, flag, expected, page)


def _settable_filters(contract):
    """The list's filters (but archived and the run's marker) on members a create body sets."""
    create_members = contract.body_members(contract.create)
    found = {}
    for name, spec in contract.behaviour(contract.list.operation_id).filters.items():
        if spec.kind != "archived" and spec.member in create_members and spec.member != contract.kit.marker_field:
            found[name] = spec
    return found


def _values(contract, spec):
    """Two values to create sessions with and to filter by, for a filter's member."""
    node = contract.body_members(contract.create)[spec.member]
    if spec.kind == "equals":
        options = node.get("enum") or ["kit-a", "kit-b"]
        return options[:2] if len(options) > 1 else options * 2
    return ["kit-a", "kit-b"]


def _member_value(spec, chosen):
    """The create member that gives a session the filter values `chosen`."""
    if spec.kind == "equals":
        return chosen[0] if chosen else None
    if spec.kind == "entries":
        return {key: ["on"] for key in chosen}
    return list(chosen)


def _query_value(spec, chosen):
    if spec.kind == "entries":
        return [f"{key}:on" for key in chosen]
    return chosen[0] if spec.kind == "equals" else list(chosen)


def test_filters_select_exactly(api, contract):
    filters = _settable_filters(contract)
    marker_param = next((p for p, f in contract.behaviour(contract.list.operation_id).filters.items()
                         if f.member == contract.kit.marker_field), None)
    if marker_param is None:
        pytest.skip("the list declares no filter on the member the run marks, to find a test's sessions by")
    mark = unique_tag("flt")
    a, b = "kit-a", "kit-b"
    # The marked member itself: sessions carrying one, the other or both marks beside the test's own.
    marked = {}
    for chosen in ((a,), (a, b), (b,)):
        members = api.marked_with(mark)
        field = contract.kit.marker_field
        extra = {f"{api.MARK_KEY}-{x}": [x] for x in chosen} if contract.kit.marker_key else list(chosen)
        members[field] = {**members[field], **extra} if contract.kit.marker_key else members[field] + extra
        marked[api.id_of(api.create(**members))] = set(chosen)
    spec = contract.behaviour(contract.list.operation_id).filters[marker_param]
    for wanted in ((a,), (b,), (a, b), ("kit-none",)):
        extra = [f"{api.MARK_KEY}-{x}:{x}" for x in wanted] if spec.kind == "entries" else list(wanted)
        query = api.selecting(mark)
        query[marker_param] = query[marker_param] + extra
        page, items = _listed(api, contract, query)
        expected = {sid for sid, held in marked.items() if set(wanted) <= held}
        rules.filters_select_exactly(contract, items, query, expected, page)
    # Every other filter on a member a create sets.
    for parameter, spec in filters.items():
        first, second = _values(contract, spec)
        made = {}
        for chosen in ((first,), (second,)):
            made[api.id_of(api.create(**api.marked_with(mark), **{spec.member: _member_value(spec, chosen)}))] = chosen
        for chosen in ((first,), (second,)):
            query = api.selecting(mark, **{parameter: _query_value(spec, chosen)})
            page, items = _listed(api, contract, query)
            expected = {sid for sid, held in made.items() if held == chosen or (spec.kind != "equals" and
                                                                                 set(chosen) <= set(held))}
            rules.filters_select_exactly(contract, [i for i in items if i[contract.resource.id_field] in made],
                                         query, expected, page)


@suite_settings(max_examples=10)
@given(plan=st.lists(st.tuples(st.sets(st.sampled_from(["red", "green", "blue"])), st.booleans()),
                     min_size=1, max_size=5),
       query=st.tuples(st.sets(st.sampled_from(["red", "green", "blue"])), st.sampled_from([None, True, False])))
def test_filters_agree_with_model(api, contract, plan, query):
    """Property: for any sessions (marks, archived) and any query, the list holds exactly the matches."""
    parameter = _archived_parameter(contract)
    if parameter is None or contract.role("archive") is None:
        pytest.skip("the list declares no archived filter, or the API no archive operation")
    field, keyed = contract.kit.marker_field, contract.kit.marker_key
    marker_param, spec = next((p, f) for p, f in contract.behaviour(contract.list.operation_id).filters.items()
                              if f.member == field)
    mark = unique_tag("prop")
    states = {}
    for colours, archived in plan:
        members = api.marked_with(mark)
        members[field] = {**members[field], **{c: ["on"] for c in colours}} if keyed else members[field] + sorted(colours)
        created = api.create(**members)
        sid = api.id_of(created)
        if archived:
            api.archive(sid)
        states[sid] = {field: created.json[field], contract.resource.archived: api.read(sid).json[contract.resource.archived]}
    colours, flag = query
    tokens = [f"{c}:on" for c in sorted(colours)] if spec.kind == "entries" else sorted(colours)
    search = api.selecting(mark, **{parameter: flag})
    search[marker_param] = search[marker_param] + tokens
    wanted = {marker_param: (spec.kind, field, search[marker_param]), parameter: ("archived", None, flag)}
    expected = {sid for sid, state in states.items() if matches(state, wanted, contract.resource.archived)}
    page, items = _listed(api, contract, search)
    rules.filters_select_exactly(contract, items, search, expected, page)
    rules.archived_filter_is_exact(contract, items, flag, expected, page)
    rules.page_is_consistent(contract, page, total=len(expected))

