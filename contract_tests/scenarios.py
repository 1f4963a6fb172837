"""Bringing sessions of the run into the states the lifecycle declaration names.

The model lists the states a client can reach (sequences of writes from a new session); a
scenario replays such a sequence on a new session of the run, checking every step as it goes, so
a test can then exercise a write, a refusal or a repeat from that state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contract_tests import rules
from contract_tests.client import UNSET, Api, Exchange
from contract_tests.model import Model, Request, State

Step = tuple[str, Request]
DEPTH = 2  # writes from a new session: enough to reach every state the declarations of both APIs name


@dataclass
class Scenario:
    record_id: str
    state: State  # what the model says the session is in
    body: dict[str, Any]  # the last representation the server answered
    history: list[Exchange] = field(default_factory=list)


def all_writes(api: Api, model: Model) -> list[Step]:
    """Every write, with each request worth trying (its example body, each combination of the query
    values its rules test)."""
    contract = api.contract
    return [(op.operation_id, request) for op in contract.writes()
            for request in model.requests(op.operation_id, api.ownership.marked(contract.example_body(op), creating=False))]


def reachable(api: Api, model: Model, depth: int = DEPTH) -> list[tuple[list[Step], State]]:
    """The states a client reaches from a new session, each by its shortest sequence of writes."""
    contract = api.contract
    start = model.created(api.ownership.marked(contract.example_body(contract.create) or {}, creating=True), api.tenant)
    return list(model.paths(start, all_writes(api, model), depth))


def send(api: Api, op_id: str, record_id: str, request: Request) -> Exchange:
    """A write of `request` (its body carrying the run's marker where it must)."""
    operation = api.contract.operations[op_id]
    body = api.ownership.marked(request.body, creating=False) if operation.body_pointer else UNSET
    return api.write(op_id, record_id, body=body, **request.query)


def play(api: Api, model: Model, steps: list[Step]) -> Scenario:
    """A new session of the run, brought through `steps`, each answer checked against the model."""
    contract = api.contract
    created = api.create()
    state = model.created(created.sent_json, api.tenant)
    rules.new_session_is_initial(contract, state, created)
    scenario = Scenario(api.id_of(created), state, created.json, [created])
    for op_id, request in steps:
        answer = send(api, op_id, scenario.record_id, request)
        outcome = model.apply(op_id, scenario.state, request)
        rules.write_follows_lifecycle(contract, op_id, outcome, answer, None, *scenario.history)
        scenario.history.append(answer)
        scenario.state = outcome.state
        if contract.answers_representation(contract.operations[op_id]):
            scenario.body = answer.json
    return scenario


def describe(steps: list[Step]) -> str:
    return " -> ".join(f"{op_id}({request.label()})" for op_id, request in steps) or "a new session"
