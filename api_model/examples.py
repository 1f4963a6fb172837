"""An operation's documented request: what a docs page fills in for "Try it out", and what the
benchmark sends. The shipped specs' `seeded` examples name sessions of the mock's default data."""

from __future__ import annotations

from typing import Any

from .document import resolve_ref


def example_of(document: dict[str, Any], node: dict[str, Any]) -> Any:
    """The value a docs page fills in for a parameter or body: its `example`, its first `examples`
    entry, else its schema's."""
    node = resolve_ref(document, node)
    if "example" in node:
        return node["example"]
    if node.get("examples"):
        first = node["examples"]
        return first[0] if isinstance(first, list) else resolve_ref(document, next(iter(first.values())))["value"]
    return example_of(document, node["schema"]) if "schema" in node else None


def example_parameters(document: dict[str, Any], operation: Any) -> dict[str, Any]:
    """The documented values of an operation's path parameters, by name."""
    item = document["paths"][operation.path]
    values = {}
    for node in (*item.get("parameters", []), *item[operation.method.lower()].get("parameters", [])):
        parameter = resolve_ref(document, node)  # the operation's own come last: they override the path's
        if parameter["in"] == "path":
            values[parameter["name"]] = example_of(document, parameter)
    return values


def example_request(api: Any, operation: Any) -> tuple[str, str, Any]:
    """(method, path, JSON body) of an operation's documented examples (optional query parameters left out)."""
    op = api.document["paths"][operation.path][operation.method.lower()]
    body = None
    if "requestBody" in op:
        body = example_of(api.document, op["requestBody"]["content"]["application/json"])
    return operation.method, operation.fill(example_parameters(api.document, operation)), body
