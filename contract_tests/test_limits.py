"""Every bound the spec gives an input, at its edge (docs/contract.md#validation): the members of
every body, the query parameters of every list and the resource's path id. Lengths count code
points (an astral character is one, though four UTF-8 bytes and two UTF-16 units), lists and maps
count their items (the run's marker among them), numbers their bounds, and null is accepted exactly
where the schema says. A value at an edge is accepted; one past it is a located 422, or, past a
bound the spec marks open (`x-kit-open`: more than the contract fixes), may also be accepted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from api_model import Operation
from contract_tests import rules
from contract_tests.client import absent_id
from contract_tests.contract import OPEN, types_of

ASTRAL = "\N{GRINNING FACE}"  # one code point, four UTF-8 bytes, two UTF-16 units


@dataclass(frozen=True)
class Edge:
    label: str
    value: Any
    within: bool  # within every bound: to be accepted
    open: bool = False  # past a bound the contract leaves open: accepted or refused


@dataclass(frozen=True)
class Case:
    operation: Operation
    loc: tuple[str, str]  # where the value goes: ("body", member), ("query", name) or ("path", name)
    edge: Edge

    @property
    def label(self) -> str:
        return f"{self.operation.operation_id} {'.'.join(self.loc)}: {self.edge.label}"


def _pair(label: str, keyword: str, node: dict[str, Any], at: Any, past: Any) -> list[Edge]:
    """The value at a bound and the value past it."""
    return [Edge(f"{label} at its {keyword}", at, True),
            Edge(f"{label} past its {keyword}", past, False, keyword in node.get(OPEN, ()))]


def _items(item: dict[str, Any], count: int) -> list[str]:
    """`count` distinct list items of the item schema's form: its example, numbered."""
    base = (item.get("examples") or ["i"])[0]
    return [f"{base}{n}" for n in range(count)]


def _string_edges(label: str, node: dict[str, Any], wrap=lambda value: value) -> list[Edge]:
    """Length edges of a free-text string (a patterned one has its form checked elsewhere)."""
    if "pattern" in node or "enum" in node:
        return []
    found = []
    if "maxLength" in node:
        found += _pair(label, "maxLength", node, wrap(ASTRAL * node["maxLength"]), wrap("a" * (node["maxLength"] + 1)))
    if node.get("minLength", 0) > 0:
        found += _pair(label, "minLength", node, wrap("a" * node["minLength"]), wrap("a" * (node["minLength"] - 1)))
    return found


def _edges(contract, node: dict[str, Any], marker: bool, nullable: bool) -> list[Edge]:
    """The values at and past each bound of one input; `marker`: the run's marker takes a place in it."""
    b = contract.bounds(node)
    kinds = types_of(node) | types_of(b)  # an option's type through its `$ref` too
    found = [Edge("null", None, "null" in kinds)] if nullable else []
    if "string" in kinds:
        found += _string_edges("a string", b)
    if kinds & {"integer", "number"}:
        for keyword, step in (("minimum", -1), ("maximum", 1)):
            if keyword in b:
                found += _pair("a number", keyword, b, b[keyword], b[keyword] + step)
    spare = 1 if marker else 0
    if "array" in kinds:
        item = contract.bounds(contract.resolve(b.get("items", {})))
        if "maxItems" in b:
            found += _pair("a list", "maxItems", b, _items(item, b["maxItems"] - spare), _items(item, b["maxItems"] + 1))
        found += _string_edges("an item", item, lambda value: [value])
    if "object" in kinds and isinstance(b.get("additionalProperties"), dict):
        values = contract.bounds(contract.resolve(b["additionalProperties"]))
        if "maxProperties" in b:
            found += _pair("a map", "maxProperties", b, {f"k{n}": ["v"] for n in range(b["maxProperties"] - spare)},
                           {f"k{n}": ["v"] for n in range(b["maxProperties"] + 1)})
        if contract.resolve(b.get("propertyNames", {})).get("pattern"):
            found.append(Edge("a key off its pattern", {"Not A Key!": ["v"]}, False))
        if "maxItems" in values:
            found += _pair("a value", "maxItems", values, {"k": ["v"] * values["maxItems"]},
                           {"k": ["v"] * (values["maxItems"] + 1)})
        item = contract.bounds(contract.resolve(values.get("items", {})))
        found += _string_edges("a value item", item, lambda value: {"k": [value]})
    return found


def _id_edges(contract, node: dict[str, Any]) -> list[Edge]:
    """Well-formed ids (an id no server issues, lengthened by its last character) at and past the
    id's length bound: one within it names nothing, so it is a 404."""
    if "maxLength" not in node:
        return []
    absent = absent_id(contract, "limits")
    at, past = (absent + absent[-1] * (length - len(absent)) for length in (node["maxLength"], node["maxLength"] + 1))
    pattern = contract.id_pattern
    if len(absent) > node["maxLength"] or (pattern and not all(pattern.fullmatch(v) for v in (at, past))):
        return []  # the pattern alone decides (a UUID): no longer id is well-formed
    return _pair("an id", "maxLength", node, at, past)


def cases(contract) -> list[Case]:
    found = []
    for op in contract.operations.values():
        for member, node in contract.body_members(op).items():
            if member == contract.resource.id_from_body:
                continue  # an id of the client's choice has tests of its own
            marker = member == contract.kit.marker_field
            found += [Case(op, ("body", member), edge) for edge in _edges(contract, node, marker, nullable=True)]
        if contract.behaviour(op.operation_id).kind not in ("list", "list-children"):
            continue  # the other operations' query parameters are flags, with no bounds
        for parameter in op.parameters:
            # A cursor is valid only as the server issued it: `unissued_cursor_is_422` checks it.
            if parameter.location == "query" and parameter.name != contract.page.cursor:
                node = contract.resolve(parameter.schema)
                found += [Case(op, ("query", parameter.name), edge)
                          for edge in _edges(contract, node, marker=False, nullable=False)]
    read, name = contract.read, contract.resource.id_parameter
    found += [Case(read, ("path", name), edge) for edge in _id_edges(contract, contract.parameter_schema(read, name))]
    return found


def pytest_generate_tests(metafunc):
    if "limit_case" in metafunc.fixturenames:
        from contract_tests.plugin import CONTRACT

        found = cases(metafunc.config.stash[CONTRACT])
        metafunc.parametrize("limit_case", found, ids=[c.label for c in found])


@pytest.fixture(scope="module")
def own(api):
    """A session of this run, for the writes and lists of one session."""
    return api.id_of(api.create())


def test_limits_follow_the_contract(api, contract, own, limit_case):
    op, (where, name), edge = limit_case.operation, limit_case.loc, limit_case.edge
    if where == "path":
        answer = api.read(edge.value)
    elif where == "query":
        answer = api.call(op, own if contract.targets_one(op) else None, query={name: edge.value})
    elif op is contract.create:
        body = api.ownership.marked({**(contract.example_body(op) or {}), name: edge.value}, creating=True)
        answer = api.request(op.method, api.path(op), json_body=body)
    else:
        answer = api.write(op, own, body={**(contract.example_body(op) or {}), name: edge.value})
    rules.limits_follow_the_contract(contract, answer, [where, name], edge.within, edge.open)
