"""Fixture files: sessions written as the API represents them, checked against its spec.

The format is the admin document's `Fixtures` schema, built from the API's representation (see
`admin_document`); only the id is required, the rest has defaults. A file may be YAML or JSON.
Every problem names its entry and member:

    fixtures.yaml: sessions[2] (s-abc).status: "runing" is not one of "new", "claimed", ...

Besides the schema, two rules: ids are unique in a tenant, and each session, once completed with
the defaults, must render as a valid representation (so the mock never holds a session whose
answer would fail its own response validation).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jsonschema_rs

from api_model import Api, Credential, FileError, Open, Source, read_yaml

from .envelope import field_error
from .lifecycle import Lifecycle, Request
from .store import Record
from .validate import compile_schema, schema_errors

Problem = dict[str, Any]


def where(loc: Sequence[str | int], document: Any, id_member: str) -> str:
    """`sessions[2] (s-abc).status` for loc ["sessions", 2, "status"]."""
    text = ""
    node = document
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get(id_member), str):
                text += f" ({node[id_member]})"
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text or "(document)"


class FixtureError(FileError):
    """A fixtures file that breaks the spec; the message lists every problem, one a line."""

    def __init__(self, source: str, problems: list[Problem], document: Any, id_member: str) -> None:
        lines = [f"{source}: {where(p['loc'], document, id_member)}: {p['msg']}" for p in problems]
        super().__init__("\n".join(lines))
        self.problems = problems
        self.first = lines[0] + (f" (and {len(lines) - 1} more)" if len(lines) > 1 else "")


class FixtureReader:
    def __init__(self, api: Api, lifecycle: Lifecycle, registry: jsonschema_rs.Registry, admin_uri: str,
                 product_uri: str, tenants: list[tuple[tuple[str, ...], Credential]], clock: Callable[[], float]) -> None:
        self.resource = api.kit.resource
        self.lifecycle = lifecycle
        self.representation = lifecycle.representation
        self.fixtures_schema = compile_schema(registry, admin_uri, "/components/schemas/Fixtures")
        self.response_schema = compile_schema(registry, product_uri, f"/components/schemas/{self.resource.schema}")
        self.credential_of = dict(tenants)  # each tenant's first credential
        self.default_tenant = tenants[0][0]
        self.clock = clock
        # An item left without a member takes the value an append gives it literally (a source, say).
        self.item_defaults: dict[str, dict[str, Any]] = {name: {} for name in self.resource.children}
        for behaviour in api.kit.behaviours.values():
            if behaviour.append is not None:
                for member, value in behaviour.append.item.items():
                    value = value.value if isinstance(value, Open) else value
                    if not isinstance(value, (Source, Open)):
                        self.item_defaults[behaviour.append.child].setdefault(member, value)

    def problems(self, document: Any, loc: list[str | int] | None = None) -> list[Problem]:
        """Every problem of a fixtures document, located under `loc` (e.g. ["body"])."""
        loc = loc or []
        found = schema_errors(self.fixtures_schema, document, loc)
        if found:
            return found
        first_index: dict[tuple[tuple[str, ...], str], int] = {}
        now = self.clock()
        for index, entry in enumerate(document["sessions"]):
            at = [*loc, "sessions", index]
            record = self.record(entry, now)
            earlier = first_index.setdefault((record.tenant, record.id), index)
            if earlier != index:
                found.append(field_error([*at, self.resource.id_field], f"Duplicate of sessions[{earlier}]", "duplicate"))
                continue
            found.extend(schema_errors(self.response_schema, self.representation.of(record, read=True), at))
        return found

    def record(self, entry: dict[str, Any], now: float) -> Record:
        """The session an entry describes: what a create would make in its tenant, then its members."""
        r = self.resource
        record_id = entry[r.id_field]
        tenant = tuple(entry.get(member, default) if member else default
                       for member, default in zip(r.tenancy.values(), self.default_tenant))
        given = self.representation.parse({k: v for k, v in entry.items() if k not in r.children})
        created = given.get(r.created) if given.get(r.created) is not None else now
        request = Request(path=dict(zip(r.tenancy, tenant)),
                          credential=self.credential_of.get(tenant, self.credential_of[self.default_tenant]))
        fields = self.lifecycle.new_record(self.lifecycle.create, tenant, request, created, record_id, first_item=False).fields
        fields.update(given)
        fields[r.updated] = given.get(r.updated) if given.get(r.updated) is not None else created
        children = {name: [self.item(record_id, name, raw, number, created)
                           for number, raw in enumerate(entry.get(name, []), start=1)]
                    for name in r.children}
        return Record(record_id, tenant, created, fields, children)

    def item(self, record_id: str, name: str, raw: dict[str, Any], number: int, created: float) -> dict[str, Any]:
        """Item `number` (from 1) of a record's sub-collection `name`, as given; its id is made, its
        instant defaults to `created`."""
        child, shape = self.resource.children[name], self.representation.children[name]
        item = {member: shape.defaults[member] for member in shape.members}
        item.update(self.item_defaults[name])
        item.update(self.representation.parse(raw, shape))
        item[child.id] = f"{record_id}-{number}"
        if item.get(child.created) is None:
            item[child.created] = created
        return item

    def append(self, record: Record, name: str, raw: dict[str, Any], at: float) -> dict[str, Any]:
        """An item added at the end of a record's sub-collection (a record being changed: a copy)."""
        items = record.children.setdefault(name, [])
        items.append(self.item(record.id, name, raw, len(items) + 1, at))
        return items[-1]

    def records(self, document: dict[str, Any]) -> list[Record]:
        """The sessions of a document that has no problems."""
        now = self.clock()
        return [self.record(entry, now) for entry in document["sessions"]]

    def read(self, path: str | Path) -> list[Record]:
        """The sessions of a YAML or JSON file; FileError says why it cannot be used."""
        document = read_yaml(path, "fixtures file")
        problems = self.problems(document)
        if problems:
            raise FixtureError(str(path), problems, document, self.resource.id_field)
        return self.records(document)
