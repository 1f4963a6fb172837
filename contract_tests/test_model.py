"""Model-based test: random sequences of operations on a few sessions, run on the server and on the
pure model of the contract (`contract_tests.model`) side by side. Every answer is checked by the
rule it concerns, so a disagreement names the rule."""

from __future__ import annotations

import hypothesis
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, precondition, rule

from contract_tests import model, rules
from contract_tests.client import unique_tag
from contract_tests.plugin import hypothesis_settings

TAGS = st.lists(st.sampled_from(["red", "green", "blue"]), unique=True, max_size=3)


def make_machine(api):
    class SessionContract(RuleBasedStateMachine):
        sessions = Bundle("sessions")

        def __init__(self):
            super().__init__()
            self.mark = unique_tag("model")
            self.state: dict[str, model.State] = {}
            self.last: dict[str, dict] = {}  # last body a write answered, per session
            # Per session, the answers of each write operation since its last change: idempotence
            # compares a repeat only with an earlier answer of the same operation.
            self.answers: dict[str, dict[str, object]] = {}
            self.history: list = []

        def remember(self, exchange):
            self.history = [*self.history[-4:], exchange]
            return exchange

        def tags_of(self, extra):
            return tuple(sorted({api.run_tag, self.mark, *extra}))

        @rule(target=sessions, tags=TAGS)
        def create(self, tags):
            prompt = "Model session"
            created = self.remember(api.create_session(prompt, tags=[self.mark, *tags]))
            rules.new_session_is_running(created)
            sid = created.json["session_id"]
            self.state[sid] = model.create(prompt, self.tags_of(tags)).state
            self.last[sid] = created.json
            return sid

        def check_write(self, sid, operation, exchange, outcome, rule_for_success):
            before = self.last[sid]
            if outcome.ok:
                rule_for_success(exchange)
                rules.updated_at_is_monotonic(before, exchange, changed=outcome.changed)
                self.last[sid] = exchange.json
                if outcome.changed:
                    self.answers[sid] = {}
                self.answers.setdefault(sid, {}).setdefault(operation, exchange)
            self.state[sid] = outcome.state

        def repeated(self, sid, operation, outcome):
            """The earlier answer of the same operation that a no-op repeat must equal, if any."""
            return None if outcome.changed else self.answers.get(sid, {}).get(operation)

        @rule(sid=sessions)
        def archive(self, sid):
            before, outcome = self.last[sid], model.archive(self.state[sid])
            first = self.repeated(sid, "archive", outcome)
            answer = self.remember(api.archive(sid))
            self.check_write(sid, "archive", answer, outcome,
                             lambda e: rules.archive_puts_session_to_sleep({**before, **vars_of(self.state[sid])}, e))
            if first is not None:
                rules.archive_is_idempotent(first, answer)

        @rule(sid=sessions)
        def unarchive(self, sid):
            before, outcome = self.last[sid], model.unarchive(self.state[sid])
            first = self.repeated(sid, "unarchive", outcome)
            answer = self.remember(api.unarchive(sid))
            self.check_write(sid, "unarchive", answer, outcome,
                             lambda e: rules.unarchive_keeps_status({**before, **vars_of(self.state[sid])}, e))
            if first is not None:
                rules.unarchive_is_idempotent(first, answer)

        @rule(sid=sessions)
        def send_message(self, sid):
            outcome = model.send_message(self.state[sid], "Model message")
            answer = self.remember(api.send_message(sid, "Model message"))
            if outcome.error_type == "session_archived":
                rules.archived_session_refuses_modification(answer, *self.history)
            elif outcome.error_type == "session_terminated":
                rules.terminated_session_refuses_messages(answer, *self.history)
            self.check_write(sid, "send_message", answer, outcome, rules.message_resumes_session)

        @rule(sid=sessions, flag=st.sampled_from([None, False, True]))
        def terminate(self, sid, flag):
            before, outcome = self.last[sid], model.terminate(self.state[sid], flag)
            answer = self.remember(api.terminate(sid, archive=flag))
            self.check_write(sid, "terminate", answer, outcome,
                             lambda e: rules.terminate_ends_session({**before, **vars_of(self.state[sid])}, e, flag))

        @rule(sid=sessions, tags=TAGS)
        def replace_tags(self, sid, tags):
            wanted = list(self.tags_of(tags))
            outcome = model.replace_tags(self.state[sid], tuple(wanted))
            answer = self.remember(api.replace_tags(sid, wanted))
            if outcome.error_type:
                rules.archived_session_refuses_modification(answer, *self.history)
            else:
                rules.replace_tags_sets_tags(answer, wanted)
                self.state[sid] = outcome.state
                # The answer is `{tags}` only, and a change may move updated_at (§5): learn it from a read,
                # which must show the new tags and an updated_at no earlier (equal if nothing changed).
                before = self.last[sid]
                read = self.remember(api.get_session(sid))
                rules.reads_see_writes({**vars_of(outcome.state), "session_id": sid}, read, *self.history)
                # Only "the same list changes nothing" (§5): the same tags in another order may count as a change.
                reordered = wanted != list(before.get("tags") or [])
                rules.updated_at_is_monotonic(before, read, changed=outcome.changed or reordered)
                self.last[sid] = {**before, "tags": read.json["tags"], "updated_at": read.json["updated_at"]}
                if outcome.changed or reordered:
                    self.answers[sid] = {}  # a change since: no earlier answer to repeat

        @precondition(lambda self: self.state)
        @rule(sid=sessions)
        def get(self, sid):
            read = api.get_session(sid)
            rules.reads_see_writes({**self.last[sid], **vars_of(self.state[sid])}, read, *self.history)

        @precondition(lambda self: self.state)
        @rule(flag=st.sampled_from([None, True, False]), tags=TAGS)
        def list_filtered(self, flag, tags):
            wanted = self.tags_of(tags)
            page = api.list_sessions(tags=list(wanted), is_archived=flag, first=200)
            rules.page_is_consistent(page)
            expected = {sid for sid, s in self.state.items() if model.matches(s, is_archived=flag, tags=wanted)}
            rules.tags_filter_matches_all(page.json["items"], list(wanted), expected, *self.history, page)
            rules.is_archived_filter_is_exact(page.json["items"], flag, expected, *self.history, page)
            for item in page.json["items"]:
                rules.reads_see_writes({**self.last[item["session_id"]], **vars_of(self.state[item["session_id"]])},
                                       page, *self.history)

    return SessionContract


def vars_of(state: model.State) -> dict:
    return {"status": state.status, "is_archived": state.is_archived, "tags": list(state.tags)}


def test_behaves_like_model(api):
    machine = make_machine(api)
    hypothesis.stateful.run_state_machine_as_test(
        machine, settings=hypothesis_settings(max_examples=20, stateful_step_count=12))
