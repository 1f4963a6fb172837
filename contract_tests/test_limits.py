"""Every bound the spec gives a create body's members, at its edge (docs/contract.md#validation):
lengths count code points (an astral character is one, though four UTF-8 bytes and two UTF-16
units), lists and maps count their items (the run's marker among them), numbers their bounds,
and null is accepted exactly where the schema says."""

from __future__ import annotations

from typing import Any

from contract_tests import rules
from contract_tests.contract import types_of

ASTRAL = "\N{GRINNING FACE}"  # one code point, four UTF-8 bytes, two UTF-16 units


def _edges(contract, member: str, node: dict[str, Any], marker: bool) -> list[tuple[str, Any, bool]]:
    """(label, value, accepted) at the edges of one member's bounds."""
    kinds = types_of(node)
    b = contract.bounds(node)
    found = [(f"null {member}", None, "null" in kinds)]
    if "string" in kinds and "enum" not in b:
        if "maxLength" in b:
            found += [(f"{member} of {b['maxLength']} astral", ASTRAL * b["maxLength"], True),
                      (f"{member} of {b['maxLength'] + 1} astral", ASTRAL * (b["maxLength"] + 1), False)]
        if b.get("minLength", 0) > 0:
            found.append((f"empty {member}", "", False))
    if kinds & {"integer", "number"}:
        for keyword, step in (("minimum", -1), ("maximum", 1)):
            if keyword in b:
                found += [(f"{member} at its {keyword}", b[keyword], True),
                          (f"{member} past its {keyword}", b[keyword] + step, False)]
    if "array" in kinds:
        item = contract.bounds(contract.resolve(b.get("items", {})))
        spare = 1 if marker else 0  # the run's marker takes one place
        if "maxItems" in b:
            found += [(f"{b['maxItems']} {member}", [f"i{n}" for n in range(b["maxItems"] - spare)], True),
                      (f"{b['maxItems'] + 1} {member}", [f"i{n}" for n in range(b["maxItems"] + 1)], False)]
        if "maxLength" in item:
            found += [(f"{member} item of {item['maxLength']} astral", [ASTRAL * item["maxLength"]], True),
                      (f"{member} item of {item['maxLength'] + 1} letters", ["a" * (item["maxLength"] + 1)], False)]
        if item.get("minLength", 0) > 0:
            found.append((f"empty {member} item", [""], False))
    if "object" in kinds and isinstance(b.get("additionalProperties"), dict):
        values = contract.bounds(contract.resolve(b["additionalProperties"]))
        spare = 1 if marker else 0
        key = "k"
        if "maxProperties" in b:
            found += [(f"{b['maxProperties']} {member} keys", {f"k{n}": ["v"] for n in range(b["maxProperties"] - spare)}, True),
                      (f"{b['maxProperties'] + 1} {member} keys", {f"k{n}": ["v"] for n in range(b["maxProperties"] + 1)}, False)]
        pattern = contract.resolve(b.get("propertyNames", {})).get("pattern")
        if pattern:
            found.append((f"{member} key off its pattern", {"Not A Key!": ["v"]}, False))
        item = contract.bounds(contract.resolve(values.get("items", {})))
        if "maxItems" in values:
            found += [(f"{member} value of {values['maxItems']} items", {key: ["v"] * values["maxItems"]}, True),
                      (f"{member} value of {values['maxItems'] + 1} items", {key: ["v"] * (values["maxItems"] + 1)}, False)]
        if "maxLength" in item:
            found += [(f"{member} value item of {item['maxLength']} astral", {key: [ASTRAL * item["maxLength"]]}, True),
                      (f"{member} value item of {item['maxLength'] + 1} letters", {key: ["a" * (item["maxLength"] + 1)]}, False)]
    return found


def cases(contract) -> list[tuple[str, str, Any, bool]]:
    create = contract.create
    found = []
    for member, node in contract.body_members(create).items():
        if member == contract.resource.id_from_body:
            continue  # an id of the client's choice has tests of its own
        for label, value, accepted in _edges(contract, member, node, member == contract.kit.marker_field):
            found.append((label, member, value, accepted))
    return found


def pytest_generate_tests(metafunc):
    if "limit_case" in metafunc.fixturenames:
        from contract_tests.plugin import CONTRACT

        contract = metafunc.config.stash[CONTRACT]
        found = cases(contract)
        metafunc.parametrize("limit_case", found, ids=[c[0] for c in found])


def test_limits_follow_the_contract(api, contract, limit_case):
    label, member, value, accepted = limit_case
    example = contract.example_body(contract.create) or {}
    body = api.ownership.marked({**example, member: value}, creating=True)
    answer = api.request(contract.create.method, api.path(contract.create), json_body=body)
    rules.limits_follow_the_contract(contract, answer, accepted=accepted, member=member)

