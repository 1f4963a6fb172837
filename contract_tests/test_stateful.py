"""Stateful sequences along the spec's links (schemathesis state machine): create a session, then
archive, read, message, terminate, retag it... with every check on every step."""

from __future__ import annotations

from contract_tests import conformance, rules
from contract_tests.plugin import hypothesis_settings

schema = conformance.load_schema()
Workflow = schema.as_state_machine()


def test_links_conform(api):
    pool = [api.create_session(f"Stateful pool {i}").json["session_id"] for i in range(2)]
    guard = conformance.Guard(pool, api.run_tag, api.registry)
    headers = {"Authorization": f"Bearer {api.token}"}

    class SessionsWorkflow(Workflow):
        def before_call(self, case):
            guard.apply(case)
            guard.tag_created(case)

        def get_call_kwargs(self, case):
            return {"base_url": api.base_url, "session": api.http, "headers": headers}

        def after_call(self, response, case):
            super().after_call(response, case)
            if conformance.operation_id(case) == "create_session" and response.status_code == 200:
                api.registry.add(response.json()["session_id"])

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                excluded_checks=conformance.REPLACED,
                additional_checks=conformance.ADDED,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    try:
        SessionsWorkflow.run(settings=hypothesis_settings(max_examples=max(10, api_examples()), stateful_step_count=6))
    except BaseExceptionGroup as group:
        raise rules.from_schemathesis("links_conform", group, api.token) from None


def api_examples() -> int:
    from contract_tests import config

    return config.current().max_examples
