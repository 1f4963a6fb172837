"""Schemathesis set-up shared by the conformance and stateful tests.

The spec (3.1) is loaded from its file, not from the server, so a server cannot weaken the contract
by serving a different document. Checks: every built-in check, with two replaced by contract-aware
versions (`positive_data_acceptance` and `negative_data_rejection` below), plus the envelope rule.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import hypothesis
import jsonschema_rs
import requests
import schemathesis
from schemathesis import GenerationMode
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.specs.openapi import checks as builtin

from contract_tests import rules
from contract_tests.client import ABSENT, Exchange, absent_id
from contract_tests.config import Settings
from contract_tests.contract import Contract, types_of


def load_schema(settings: Settings, contract: Contract) -> Any:
    schema = schemathesis.openapi.from_path(str(settings.spec))
    # The tenant is the token's own in every generated call: a random one is only ever a 403, which
    # would hide everything behind it. Tenancy has tests of its own (test_auth_tenancy).
    schema.config.update(parameters={f"path.{name}": value for name, value in settings.tenant(contract).items()})
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                    max_examples=settings.max_examples)
    if settings.seed is not None:
        schema.config.seed = settings.seed
    return schema


def operation_test(schema: Any, operation: Any, check: Callable[[schemathesis.Case], None],
                   settings: hypothesis.settings) -> Callable[[], None]:
    """The Hypothesis test of one operation, with every phase schemathesis runs (explicit examples,
    coverage, fuzzing): the builder `schema.parametrize()` uses, called at run time, so the schema
    comes from the run's settings instead of a module global (`schemathesis.pytest.from_fixture`,
    the lazy alternative, fails under pytest 9)."""
    from schemathesis.pytest._test_builder import build_operation_test

    return build_operation_test(config=schema.config, operation=operation, test_func=check, given_kwargs={},
                                feedback=FeedbackSources(), explicit_settings=settings)


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


class OpenBounds:
    """What a server of the contract may accept: a request as sent, checked against the schemas of
    the spec without the bounds it marks open (`x-kit-open`, docs/declaration.md)."""

    URI = "urn:relaxed-document"

    def __init__(self, contract: Contract) -> None:
        registry = jsonschema_rs.Registry([(self.URI, contract.relaxed_document)])

        def compiled(pointer: str) -> jsonschema_rs.Draft202012Validator:
            return jsonschema_rs.Draft202012Validator({"$ref": f"{self.URI}#{quote(pointer, safe='/~')}"},
                                                      registry=registry)

        self.operations = contract.operations
        self.paths = {template.template: template.regex for template in contract.api.paths}
        self.parameters = {op_id: [(p, contract.resolve(p.schema), compiled(p.schema_pointer))
                                   for p in op.parameters if p.location in ("path", "query")]
                           for op_id, op in contract.operations.items()}
        self.bodies = {op_id: compiled(op.body_pointer) for op_id, op in contract.operations.items() if op.body_pointer}

    def accept(self, op_id: str, request: requests.PreparedRequest) -> bool:
        """Whether every path, query and body value of the request is valid with the open bounds lifted."""
        operation = self.operations[op_id]
        url = urlsplit(str(request.url))
        matched = self.paths[operation.path].fullmatch(url.path)
        if matched is None:
            return False
        path = {name: unquote(value) for name, value in matched.groupdict().items()}
        query: dict[str, list[str]] = {}
        for name, value in parse_qsl(url.query, keep_blank_values=True):
            query.setdefault(name, []).append(value)
        for parameter, schema, validator in self.parameters[op_id]:
            sent = [path[parameter.name]] if parameter.location == "path" else query.get(parameter.name)
            if sent is None:
                if parameter.required:
                    return False
                continue
            value = [_typed(v, schema.get("items", {})) for v in sent] if schema.get("type") == "array" \
                else _typed(sent[-1], schema)
            if not validator.is_valid(value):
                return False
        return self._body_accepted(op_id, request)

    def _body_accepted(self, op_id: str, request: requests.PreparedRequest) -> bool:
        validator, operation = self.bodies.get(op_id), self.operations[op_id]
        if validator is None:
            return True
        if not request.body:
            return not operation.body_required
        if not request.headers.get("Content-Type", "").lower().startswith("application/json"):
            return False
        try:
            return validator.is_valid(json.loads(request.body))
        except (ValueError, RecursionError):
            return False


def _typed(value: str, schema: dict[str, Any]) -> Any:
    """A query or path string as its schema's type reads it (left as is when it does not parse)."""
    digits = value[1:] if value[:1] in ("+", "-") else value
    if schema.get("type") == "integer" and digits.isascii() and digits.isdigit() and len(digits) <= 30:
        return int(value)  # (longer ones are past any bound a spec gives)
    if schema.get("type") == "boolean":
        return {"true": True, "false": False}.get(value, value)
    return value


class Checks:
    """The contract-aware checks of a run (they need the contract, so they are made per run)."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.boolean_query = {p.name for op in contract.operations.values() for p in op.parameters
                              if p.location == "query" and "boolean" in types_of(contract.resolve(p.schema))}
        self.cursor = contract.page.cursor
        self.open_bounds = OpenBounds(contract)
        self.added = [self.error_is_envelope, self.negative_data_rejection, self.positive_data_acceptance]
        # Replaced by the versions below; a deleted resource is gone only where the API deletes.
        self.excluded = [builtin.negative_data_rejection, builtin.positive_data_acceptance]
        if not contract.of_kind("delete"):
            self.excluded.append(builtin.use_after_free)

    def error_is_envelope(self, ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
        """Every response >= 400 is the envelope; see `rules.error_is_envelope`."""
        if response.status_code >= 400:
            rules.error_is_envelope(self.contract, exchange_of(response))
        return None

    def _sends_boolean_spelling(self, case: schemathesis.Case) -> bool:
        for name in self.boolean_query:
            value = (case.query or {}).get(name)
            if value is not None and not isinstance(value, bool) and str(value) not in ("true", "false"):
                return True
        return False

    def negative_data_rejection(self, ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> Any:
        """The built-in check, minus what the contract leaves open: booleans in the query other than
        `true` / `false`, and values past a bound the spec marks open, may be accepted or refused
        (schemathesis generates both as negative data)."""
        op_id = case.operation.definition.raw.get("operationId")
        if self._sends_boolean_spelling(case) or self.open_bounds.accept(op_id, response.request):
            return None
        return builtin.negative_data_rejection(ctx, response, case)

    def positive_data_acceptance(self, ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> Any:
        """The built-in check, minus what valid-looking data may legitimately get: a cursor string is
        schema-valid, but one the server never issued is a 422."""
        if response.status_code == 422 and (case.query or {}).get(self.cursor) is not None:
            return None
        return builtin.positive_data_acceptance(ctx, response, case)


class Guard:
    """Keeps generated calls away from sessions this run did not create.

    A call whose id is well-formed is re-aimed, half the time at a session of this run's pool and
    half the time at an id that cannot exist; a malformed id (negative data) names no session and is
    sent as generated. Reads are re-aimed too: otherwise a generated id never names a session and no
    answer of a read would ever be checked.
    """

    def __init__(self, contract: Contract, pool: list[str], run_tag: str, created: Any = ()) -> None:
        self.contract = contract
        self.parameter = contract.resource.id_parameter
        self.pool = pool
        self.run_tag = run_tag
        self.created = created  # ids this run created (its Ownership): kept as they are

    def well_formed(self, value: Any) -> bool:
        pattern = self.contract.id_pattern
        return isinstance(value, str) and (pattern is None or pattern.fullmatch(value) is not None)

    def apply(self, case: schemathesis.Case) -> None:
        record_id = (case.path_parameters or {}).get(self.parameter)
        if not self.well_formed(record_id):
            return
        if record_id in self.pool or record_id in self.created or record_id in ABSENT:
            return
        digest = int(hashlib.sha256(record_id.encode()).hexdigest(), 16)
        if self.pool and digest % 2 == 0:
            case.path_parameters[self.parameter] = self.pool[(digest // 2) % len(self.pool)]
        else:
            case.path_parameters[self.parameter] = absent_id(self.contract, self.run_tag, record_id)


def count_case(node: Any, case: schemathesis.Case) -> None:
    """Tally generated cases per test (the plugin prints them at the end of the run)."""
    counts = node.__dict__.setdefault("contract_cases", {})
    node.__dict__["contract_operation"] = case.operation.label
    mode = case.meta.generation.mode.value if case.meta is not None else "explicit"
    phase = case.meta.phase.name.value if case.meta is not None else "explicit"
    key = f"{mode}/{phase}"
    counts[key] = counts.get(key, 0) + 1
