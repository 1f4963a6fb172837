"""Schemathesis set-up shared by the conformance and stateful tests.

The spec (3.1) is loaded from its file, not from the server, so a server cannot weaken the contract
by serving a different document. Checks: every built-in check, with two replaced by contract-aware
versions (see `positive_data_acceptance` and `negative_data_rejection` below), plus
`error_is_envelope`.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import requests
import schemathesis
from schemathesis import GenerationMode
from schemathesis.specs.openapi import checks as builtin

from contract_tests import config, rules
from contract_tests.client import ABSENT_PREFIX, Exchange, absent_id

MUTATING = {"archive_session", "unarchive_session", "send_message", "terminate_session", "replace_tags"}
BOOLEAN_QUERY = {"is_archived", "archive"}
DEVIN_ID = re.compile(r"devin-[A-Za-z0-9]+")
ORG_ID = re.compile(r"org-[A-Za-z0-9]+")


def load_schema() -> Any:
    settings = config.current()
    schema = schemathesis.openapi.from_path(str(settings.spec))
    # The organization is the token's own in every generated call: a random org id is only ever a 403,
    # which would hide everything behind it. The org boundary has tests of its own (test_auth_tenancy).
    schema.config.update(parameters={"path.org_id": settings.org})
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=settings.max_examples,
    )
    if settings.seed is not None:
        schema.config.seed = settings.seed
    return schema


def exchange_of(response: schemathesis.Response, credential: str = "$TOKEN") -> Exchange:
    request = response.request
    headers = requests.structures.CaseInsensitiveDict(
        {name: ", ".join(values) if isinstance(values, list) else values for name, values in response.headers.items()}
    )
    body = request.body
    if isinstance(body, str):
        body = body.encode()
    return Exchange(
        method=str(request.method),
        url=str(request.url),
        request_headers={k: v for k, v in request.headers.items()
                         if k.lower() in ("authorization", "content-type", "accept")},
        request_body=body,
        status=response.status_code,
        headers=headers,
        text=response.content.decode("utf-8", "replace"),
        credential=credential,
        elapsed=response.elapsed,
    )


@schemathesis.check
def error_is_envelope(ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case):
    """Every response >= 400 is the problem+json envelope (§2); see `rules.error_is_envelope`."""
    if response.status_code >= 400:
        rules.error_is_envelope(exchange_of(response))
    return None


def _sends_boolean_spelling(case: schemathesis.Case) -> bool:
    for name in BOOLEAN_QUERY:
        value = (case.query or {}).get(name)
        if value is not None and not isinstance(value, bool) and str(value) not in ("true", "false"):
            return True
    return False


def negative_data_rejection(ctx, response, case):
    """The built-in check, minus what the contract leaves open.

    §5: booleans in the query are `true` / `false`, but other spellings (`1`, `yes`, `True`...) "may be
    accepted or refused". Schemathesis generates such spellings as negative data and would fail a
    server that accepts them; the contract allows that reading, so such cases are not judged here.
    """
    if _sends_boolean_spelling(case):
        return None
    return builtin.negative_data_rejection(ctx, response, case)


def positive_data_acceptance(ctx, response, case):
    """The built-in check, minus what valid-looking data may legitimately get.

    An `after` string is schema-valid, but a cursor the server never issued is a 422 (§1, §5); a
    generated id names no session (404), and a session of this run may be archived or terminated by
    an earlier call (409).
    """
    if response.status_code == 422 and (case.query or {}).get("after") is not None:
        return None
    return builtin.positive_data_acceptance(ctx, response, case)


REPLACED = [builtin.negative_data_rejection, builtin.positive_data_acceptance]
# DELETE terminates a session, which stays readable (§1): "a deleted resource is gone" does not apply.
NOT_APPLICABLE = [builtin.use_after_free]
EXCLUDED = REPLACED + NOT_APPLICABLE
ADDED = [negative_data_rejection, positive_data_acceptance]


class Guard:
    """Keeps generated calls away from sessions this run did not create.

    A call (modifying ones above all: archive, unarchive, message, terminate, tags) whose `devin_id`
    is well-formed is re-aimed, half the time at a session of this run's pool and
    half the time at an id that cannot exist; a malformed id (negative data) names no session and is
    sent as generated.
    """

    def __init__(self, pool: list[str], run_tag: str, created: Any = ()) -> None:
        self.pool = pool
        self.run_tag = run_tag
        self.created = created  # ids this run created (its Ownership): kept as they are

    def apply(self, case: schemathesis.Case) -> None:
        # Reads are re-aimed too (they are safe anywhere): otherwise a generated id never names a
        # session and no 200 body of get_session or list_messages would ever be checked.
        devin_id = (case.path_parameters or {}).get("devin_id")
        if not isinstance(devin_id, str) or not DEVIN_ID.fullmatch(devin_id):
            return
        if devin_id in self.pool or devin_id in self.created or devin_id.startswith(ABSENT_PREFIX):
            return
        digest = int(hashlib.sha256(devin_id.encode()).hexdigest(), 16)
        if self.pool and digest % 2 == 0:
            case.path_parameters["devin_id"] = self.pool[(digest // 2) % len(self.pool)]
        else:
            case.path_parameters["devin_id"] = absent_id(self.run_tag, devin_id)


def operation_id(case: schemathesis.Case) -> str:
    return case.operation.definition.raw.get("operationId", case.operation.label)


def count_case(node: Any, case: schemathesis.Case) -> None:
    """Tally generated cases per test (the plugin prints them at the end of the run)."""
    counts = node.__dict__.setdefault("contract_cases", {})
    node.__dict__["contract_operation"] = case.operation.label
    mode = case.meta.generation.mode.value if case.meta is not None else "explicit"
    phase = case.meta.phase.name.value if case.meta is not None else "explicit"
    key = f"{mode}/{phase}"
    counts[key] = counts.get(key, 0) + 1
