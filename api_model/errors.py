"""The error catalog, read from the document: every error type, its status, its title.

The types are the envelope's `type` enum; a type's status is read from the schemas that pin it
(`type` narrowed and `status` fixed, as `const` or `enum`, in the schema itself or through `$ref`
and `allOf`) and from the error responses that document it; a pinned type must be one of the
envelope's. Titles come from the declaration, where the envelope has a title member.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .document import SpecError, properties, resolve_ref


@dataclass(frozen=True)
class ErrorCatalog:
    status: dict[str, int]  # type -> HTTP status
    titles: dict[str, str]  # type -> title ({} without a title member)

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(self.status)

    def of_status(self, status: int) -> tuple[str, ...]:
        return tuple(t for t, s in self.status.items() if s == status)


def _allowed(document: dict[str, Any], node: Any) -> list[Any]:
    node = resolve_ref(document, node)
    if not isinstance(node, dict):
        return []
    if "const" in node:
        return [node["const"]]
    return list(node.get("enum", []))


def _pinned(document: dict[str, Any], schema: Any, member: str) -> list[Any]:
    """The values a schema allows `member`, the most specific ones found through allOf."""
    node = resolve_ref(document, schema)
    if not isinstance(node, dict):
        return []
    found = _allowed(document, node.get("properties", {}).get(member))
    for part in node.get("allOf", []):
        narrower = _pinned(document, part, member)
        if narrower and (not found or len(narrower) < len(found)):
            found = narrower
    return found


def read_catalog(document: dict[str, Any], envelope_schema: str, members: dict[str, str], media_type: str,
                 titles: dict[str, str]) -> ErrorCatalog:
    type_member, status_member = members["type"], members["status"]
    envelope = document.get("components", {}).get("schemas", {}).get(envelope_schema)
    if envelope is None:
        raise SpecError(f"x-kit.envelope.schema: no schema {envelope_schema!r} in components/schemas")
    types = _allowed(document, properties(document, envelope).get(type_member))
    if not types:
        raise SpecError(f"x-kit.envelope.members.type: {envelope_schema}.{type_member} names no closed list of types")
    status: dict[str, int] = {}

    def place(narrowed: list[Any], code: int) -> None:
        if not narrowed or set(narrowed) >= set(types):
            return  # open to every type: says nothing of their statuses
        # A variant need not derive from the envelope; its types must still be from the closed list.
        unknown = [t for t in narrowed if t not in types]
        if unknown:
            raise SpecError(f"error types {unknown} of status {code} are not in {envelope_schema}.{type_member}")
        for error_type in narrowed:
            known = status.setdefault(error_type, code)
            if known != code:
                raise SpecError(f"error type {error_type!r} is documented with status {known} and {code}")

    for node in document.get("components", {}).get("schemas", {}).values():
        pinned = _pinned(document, node, status_member)
        if len(pinned) == 1 and isinstance(pinned[0], int):
            place(_pinned(document, node, type_member), pinned[0])
    for path_item in document.get("paths", {}).values():
        for op in path_item.values():
            if not isinstance(op, dict):
                continue
            for code, raw in op.get("responses", {}).items():
                if not code.isdigit() or int(code) < 400:
                    continue
                schema = resolve_ref(document, raw).get("content", {}).get(media_type, {}).get("schema")
                place(_pinned(document, schema, type_member), int(code))
    unplaced = [t for t in types if t not in status]
    if unplaced:
        raise SpecError(f"error types {unplaced} are documented on no error response")
    ordered = {t: status[t] for t in types}
    if "title" in members:
        missing = [t for t in types if t not in titles]
        if missing:
            raise SpecError(f"x-kit.envelope.titles: no title for {missing}")
    unknown = [t for t in titles if t not in ordered]
    if unknown:
        raise SpecError(f"x-kit.envelope.titles: {unknown} are not error types")
    return ErrorCatalog(ordered, dict(titles))
