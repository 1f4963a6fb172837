"""An OpenAPI 3.1 document as read from its file, and JSON pointer and `$ref` helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .files import FileError, read_yaml


class SpecError(FileError):
    """The spec cannot be read, is not OpenAPI 3.1, or its declaration is wrong; one line, naming the key."""


def read_document(path: str | Path) -> dict[str, Any]:
    try:
        document = read_yaml(path, "spec")
    except FileError as exc:
        raise SpecError(str(exc)) from exc
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3.1"):
        raise SpecError(f"spec {path} is not an OpenAPI 3.1 document")
    dangling = next(_dangling_refs(document, document, ""), None)
    if dangling is not None:
        where, ref = dangling
        raise SpecError(f"spec {path}: the $ref {ref!r} at {where or '(document)'} names nothing in the document")
    return document


def _dangling_refs(document: dict[str, Any], node: Any, where: str) -> Any:
    """(where, $ref) of every local `$ref` that names nothing; the readers follow them blindly."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            target: Any = document
            for token in ref.removeprefix("#/").split("/") if ref != "#" else []:
                token = token.replace("~1", "/").replace("~0", "~")
                target = target.get(token) if isinstance(target, dict) else None
            if target is None:
                yield where, ref
        for key, value in node.items():
            yield from _dangling_refs(document, value, f"{where}.{key}" if where else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _dangling_refs(document, value, f"{where}[{index}]")


def escape_pointer(token: str) -> str:
    """`token` as one JSON pointer segment."""
    return token.replace("~", "~0").replace("/", "~1")


def resolve_ref(document: dict[str, Any], node: Any) -> Any:
    """Follow local `$ref`s (`#/components/...`) until a concrete object."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for token in node["$ref"].removeprefix("#/").split("/"):
            target = target[token.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    """The schema `name` under components/schemas, its `$ref` followed."""
    return resolve_ref(document, document.get("components", {}).get("schemas", {}).get(name))


MISSING = object()


def default_of(document: dict[str, Any], node: Any) -> Any:
    """A schema's `default`: its own (3.1 allows one beside a `$ref`), else the referenced schema's;
    MISSING when neither gives one."""
    if isinstance(node, dict) and "default" in node:
        return node["default"]
    resolved = resolve_ref(document, node)
    return resolved.get("default", MISSING) if isinstance(resolved, dict) else MISSING


def properties(document: dict[str, Any], node: Any) -> dict[str, Any]:
    """The properties a schema declares, through `$ref` and `allOf`."""
    node = resolve_ref(document, node)
    if not isinstance(node, dict):
        return {}
    found = dict(node.get("properties", {}))
    for part in node.get("allOf", []):
        for name, sub in properties(document, part).items():
            found.setdefault(name, sub)
    return found
