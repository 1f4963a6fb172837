"""The pipeline runs its steps in the contract's order, stops at the first refusal, checks the
handler's answer before it leaves, and lets a fault drawn `after` replace only a success."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from mock_server.envelope import ApiError
from mock_server.pipeline import Pipeline
from mock_server.validate import Validated

ORDER = ["route", "prefer", "faults", "auth", "rate limit", "validate", "progress", "handle", "check"]


class Steps:
    """Stand-ins for every step, recording their calls; `refuse` names the one that raises."""

    def __init__(self, refuse: str | None = None, fault_after: ApiError | None = None,
                 unknown: dict[str, str] | None = None) -> None:
        self.calls: list[str] = []
        self.refuse = refuse
        self.fault_after = fault_after
        self.unknown = unknown or {}
        self.operation = SimpleNamespace(operation_id="op")

    def step(self, name: str, result=None):
        self.calls.append(name)
        if name == self.refuse:
            raise ApiError(418, f"refused by {name}")
        return result

    def pipeline(self) -> Pipeline:
        async def validate(scope, receive, operation):
            return self.step("validate", Validated({"a": 1}, {"b": 2}, self.unknown))

        async def handle(operation, request, credential):
            assert (request.arguments, request.body, credential) == ({"a": 1}, {"b": 2}, "token")
            return self.step("handle", (201, {"made": True}))

        return Pipeline(
            None,
            router=SimpleNamespace(resolve=lambda scope: self.step("route", self.operation)),
            prefer=SimpleNamespace(check=lambda scope, op: self.step("prefer")),
            faults=SimpleNamespace(draw=lambda op: self.step("faults", self.fault_after)),
            auth=SimpleNamespace(authorize=lambda scope, op: self.step("auth", "token")),
            rate_limiter=SimpleNamespace(take=lambda scope, op, credential: self.step("rate limit")),
            validator=SimpleNamespace(read=validate),
            progress=SimpleNamespace(catch_up=lambda: self.step("progress")),
            handle=handle,
            answers=SimpleNamespace(check=lambda op, status, headers, body, value: self.step("check")),
        )


def run(pipeline: Pipeline) -> list[dict]:
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    asyncio.run(pipeline({"type": "http", "headers": []}, None, send))
    return sent


def test_the_steps_run_in_the_contracts_order_and_the_answer_leaves_checked():
    steps = Steps()
    start, body = run(steps.pipeline())
    assert steps.calls == ORDER
    assert start["status"] == 201 and body["body"] == b'{"made":true}'
    assert dict(start["headers"]) == {b"content-type": b"application/json", b"content-length": b"13"}


@pytest.mark.parametrize("refusing", ORDER)
def test_a_refusal_stops_every_later_step_and_nothing_is_sent(refusing):
    steps = Steps(refuse=refusing)
    with pytest.raises(ApiError, match=f"refused by {refusing}"):
        run(steps.pipeline())
    assert steps.calls == ORDER[: ORDER.index(refusing) + 1]


def test_a_fault_after_replaces_a_success_once_carried_out_and_checked():
    steps = Steps(fault_after=ApiError(504, "lost"))
    with pytest.raises(ApiError, match="lost"):
        run(steps.pipeline())
    assert steps.calls == ORDER


def test_a_fault_after_leaves_an_error_answer_as_it_is():
    steps = Steps(refuse="handle", fault_after=ApiError(504, "lost"))
    with pytest.raises(ApiError, match="refused by handle"):
        run(steps.pipeline())


def test_the_unknown_query_header_goes_on_the_answer_and_on_errors_after_validation():
    unknown = {"X-Mock-Unknown-Query": "tags[]"}
    start, _ = run(Steps(unknown=unknown).pipeline())
    assert (b"x-mock-unknown-query", b"tags[]") in start["headers"]
    with pytest.raises(ApiError) as refused:
        run(Steps(refuse="handle", unknown=unknown).pipeline())
    assert refused.value.headers == unknown
