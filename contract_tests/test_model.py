"""Model-based test: random sequences of writes, reads and lists on a few sessions, run on the
server and on the suite's own model of the declaration side by side. Every answer is checked by
the rule it concerns, so a disagreement names the rule."""

from __future__ import annotations

import hypothesis
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, precondition, rule

from contract_tests import rules
from contract_tests.client import unique_tag
from contract_tests.contract import means_archived
from contract_tests.model import Request, known
from contract_tests.plugin import suite_settings
from contract_tests.scenarios import all_writes, send


def make_machine(api, model, contract):
    # A step is drawn as an operation, then one of its requests: an operation with several query
    # variants (terminate?archive=...) is not drawn more often for it. The archive and unarchive
    # come first, so the simplest examples Hypothesis tries exercise the API's central operation.
    central = [op.operation_id for op in (contract.role("archive"), contract.role("unarchive")) if op is not None]
    by_operation: dict[str, list] = {}
    for step in sorted(all_writes(api, model), key=lambda s: central.index(s[0]) if s[0] in central else len(central)):
        by_operation.setdefault(step[0], []).append(step)
    step_strategy = st.sampled_from(list(by_operation.values())).flatmap(st.sampled_from)
    id_field, updated = contract.resource.id_field, contract.resource.updated
    archived_filter = next((name for name, spec in contract.behaviour(contract.list.operation_id).filters.items()
                            if spec.kind == "archived"), None)

    class Lifecycle(RuleBasedStateMachine):
        sessions = Bundle("sessions")

        def __init__(self):
            super().__init__()
            self.mark = unique_tag("model")
            self.state: dict[str, dict] = {}  # what the model says each session is in
            self.last: dict[str, dict] = {}  # the last representation the server showed, per session
            # Per session, the answers of each write since its last change: idempotence compares a
            # repeat only with an earlier answer of the same write.
            self.answers: dict[str, dict] = {}
            self.history: list = []

        def remember(self, exchange):
            self.history = [*self.history[-4:], exchange]
            return exchange

        @initialize(target=sessions)
        def first(self):
            # Every run starts with a session, so that most steps act on one already there.
            return self.create()

        @rule(target=sessions)
        def create(self):
            created = self.remember(api.create(**api.marked_with(self.mark)))
            expected = model.created(created.sent_json, api.tenant)
            rules.new_session_is_initial(contract, expected, created)
            sid = created.json[id_field]
            self.state[sid], self.last[sid], self.answers[sid] = expected, created.json, {}
            return sid

        # A few writes in a row on one session: the orders that matter (archive, then a message)
        # come up often, not once in many runs.
        @rule(sid=sessions, chosen=st.lists(step_strategy, min_size=1, max_size=4))
        def writes(self, sid, chosen):
            for step in chosen:
                self.write(sid, step)

        def write(self, sid, step):
            op_id, request = step
            request = Request(api.keeping(request.body, self.mark), request.query)  # the list finds it by the mark
            operation = contract.operations[op_id]
            expected = model.apply(op_id, self.state[sid], request)
            key = (op_id, request.label())
            earlier = None if expected.changed else self.answers[sid].get(key)
            answer = self.remember(send(api, op_id, sid, request))
            if not expected.ok:
                rules.refusal_follows_lifecycle(contract, op_id, expected.error, answer, *self.history)
                return
            rules.write_follows_lifecycle(contract, op_id, expected, answer, None, *self.history)
            shown = answer if contract.answers_representation(operation) else self.remember(api.read(sid))
            rules.updated_at_is_monotonic(contract, self.last[sid], shown, changed=expected.changed)
            if earlier is not None and contract.answers_representation(operation) and \
                    contract.behaviour(op_id).idempotent:
                rules.idempotence_rule(contract, op_id)(contract, earlier, answer)
            if expected.changed:
                self.answers[sid] = {}
            self.answers[sid].setdefault(key, answer)
            self.state[sid], self.last[sid] = expected.state, shown.json

        @precondition(lambda self: self.state)
        @rule(sid=sessions)
        def read(self, sid):
            predicted = {k: v for k, v in self.state[sid].items() if known(v)} | {id_field: sid, updated: self.last[sid][updated]}
            rules.reads_see_writes(contract, predicted, api.read(sid), *self.history)

        @precondition(lambda self: self.state and archived_filter is not None)
        @rule(flag=st.sampled_from([None, True, False]))
        def list_filtered(self, flag):
            page = api.list(**api.selecting(self.mark, **{archived_filter: flag}))
            rules.page_is_consistent(contract, page)
            archived = contract.resource.archived
            expected = {sid for sid, s in self.state.items()
                        if flag is None or means_archived(s.get(archived)) == flag}
            rules.archived_filter_is_exact(contract, page.json[contract.page.items], flag, expected, *self.history, page)
            for item in page.json[contract.page.items]:
                sid = item[id_field]
                predicted = {k: v for k, v in self.state[sid].items() if known(v)} | {id_field: sid}
                rules.reads_see_writes(contract, predicted, page, *self.history)

    return Lifecycle


def test_behaves_like_model(api, model, contract):
    machine = make_machine(api, model, contract)
    hypothesis.stateful.run_state_machine_as_test(
        machine, settings=suite_settings(max_examples=50, stateful_step_count=12))
