"""The `x-kit` declaration, read into plain data and checked against the document.

`spec/declaration.schema.yaml` is the vocabulary; this module checks a declaration against it
and then against the document (every member named is a property of the schema it belongs to,
every operation and parameter exists, every error type is in the catalog), so that a wrong
declaration fails at start with one line naming the key. It interprets nothing: the mock and
the contract suite each give these data their meaning with their own code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs
from sessions_spec import VOCABULARY_PATH as VOCABULARY

from .document import SpecError, escape_pointer, properties, resolve_ref, schema
from .files import read_yaml
from .operations import Operation


@dataclass(frozen=True)
class Source:
    """A value computed when the operation runs: `{from: ...}` or `{template: ...}`."""

    kind: str  # "from" or "template"
    text: str  # `now`, `body.prompt`, `credential.user.id`...; or the template


@dataclass(frozen=True)
class Open:
    """A value the contract leaves open: the mock sets `value`; a check accepts any."""

    value: Any


@dataclass(frozen=True)
class Term:
    member: str  # a representation member, `query.<name>` or `body.<name>`
    test: str  # "equals", "one-of" or "none-of"
    value: Any


@dataclass(frozen=True)
class Effect:
    when: tuple[Term, ...]  # all must hold; none: always
    then: dict[str, Any]  # member -> JSON value or Source


@dataclass(frozen=True)
class Refusal:
    when: tuple[Term, ...]
    error: str


@dataclass(frozen=True)
class Append:
    child: str
    item: dict[str, Any]  # member -> JSON value or Source


@dataclass(frozen=True)
class Filter:
    kind: str  # "archived", "equals", "includes-all" or "entries"
    member: str | None  # the representation member it selects on (None for archived)


@dataclass(frozen=True)
class Behaviour:
    kind: str
    refuse: tuple[Refusal, ...] = ()
    set: tuple[Effect, ...] = ()
    append: Append | None = None
    child: str | None = None
    filters: dict[str, Filter] = field(default_factory=dict)
    idempotent: bool = False


@dataclass(frozen=True)
class Child:
    name: str
    schema: str
    id: str
    created: str


@dataclass(frozen=True)
class Resource:
    schema: str
    id_field: str
    id_parameter: str
    id_template: str
    id_from_body: str | None
    tenancy: dict[str, str | None]  # path parameter -> representation member, outermost first
    created: str
    updated: str
    archived: str
    read_only: tuple[str, ...]
    unordered: tuple[str, ...]
    children: dict[str, Child]
    invariants: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Page:
    size: str
    cursor: str
    items: str
    next: str
    more: str | None
    total: str | None
    tenant_cursors: bool = False  # a cursor issued for another tenant's list is refused (422)


@dataclass(frozen=True)
class Envelope:
    schema: str
    media_type: str
    members: dict[str, str]  # role -> member: type, status, message, details[, title, instance]
    titles: dict[str, str]


@dataclass(frozen=True)
class Declaration:
    resource: Resource
    lifecycle: dict[str, str]  # "archive" / "unarchive" -> operationId
    page: Page
    envelope: Envelope
    errors: dict[str, str]  # role -> error type
    grants: tuple[str, ...]
    read_only_grants: tuple[str, ...]
    marker_field: str
    marker_key: str | None
    clean_up: tuple[tuple[str, dict[str, Any]], ...]  # (operationId, query) applied to what a run created
    mock_data: dict[str, Path]  # "credentials" / "seed" -> file
    behaviours: dict[str, Behaviour]  # by operationId
    open_bounds: dict[str, tuple[str, ...]] = field(default_factory=dict)  # schema pointer -> its `x-kit-open`


_validators: dict[str, jsonschema_rs.Draft202012Validator] = {}


def _validator(definition: str) -> jsonschema_rs.Draft202012Validator:
    if definition not in _validators:
        vocabulary = read_yaml(VOCABULARY, "declaration vocabulary")
        _validators[definition] = jsonschema_rs.Draft202012Validator(
            {"$ref": f"urn:sessions-contract-kit:declaration#/$defs/{definition}"},
            registry=jsonschema_rs.Registry([("urn:sessions-contract-kit:declaration", vocabulary)]),
        )
    return _validators[definition]


def _check_shape(value: Any, definition: str, where: str) -> None:
    error = next(_validator(definition).iter_errors(value), None)
    if error is not None:
        at = ".".join([where, *map(str, error.instance_path)])
        raise SpecError(f"{at}: {error.message}")


def parse_value(raw: Any) -> Any:
    """A declared value: a JSON value, a Source for `{from: ...}` and `{template: ...}`, or an Open."""
    if isinstance(raw, dict) and set(raw) == {"from"}:
        return Source("from", raw["from"])
    if isinstance(raw, dict) and set(raw) == {"template"}:
        return Source("template", raw["template"])
    if isinstance(raw, dict) and set(raw) == {"open"}:
        return Open(parse_value(raw["open"]))
    return raw


def _terms(raw: dict[str, Any]) -> tuple[Term, ...]:
    terms = []
    for member, expected in raw.items():
        if isinstance(expected, dict):
            terms.append(Term(member, "none-of", tuple(expected["not"])))
        elif isinstance(expected, list):
            terms.append(Term(member, "one-of", tuple(expected)))
        else:
            terms.append(Term(member, "equals", expected))
    return tuple(terms)


def _behaviour(raw: dict[str, Any]) -> Behaviour:
    append = raw.get("append")
    return Behaviour(
        kind=raw["kind"],
        refuse=tuple(Refusal(_terms(r["when"]), r["error"]) for r in raw.get("refuse", [])),
        set=tuple(Effect(_terms(e.get("when", {})), {k: parse_value(v) for k, v in e["then"].items()})
                  for e in raw.get("set", [])),
        append=Append(append["child"], {k: parse_value(v) for k, v in append["item"].items()}) if append else None,
        child=raw.get("child") or (append["child"] if append else None),
        filters={name: Filter(*next(iter(spec.items()))) if "archived" not in spec else Filter("archived", None)
                 for name, spec in raw.get("filters", {}).items()},
        idempotent=bool(raw.get("idempotent")),
    )


def read_declaration(document: dict[str, Any], operations: dict[str, Operation], spec_path: Path) -> Declaration:
    raw = document.get("x-kit")
    if raw is None:
        raise SpecError(f"spec {spec_path} has no x-kit declaration (see docs/declaration.md)")
    _check_shape(raw, "Api", "x-kit")
    r = raw["resource"]
    resource = Resource(
        schema=r["schema"], id_field=r["id"]["field"], id_parameter=r["id"]["parameter"],
        id_template=r["id"]["generate"], id_from_body=r["id"].get("from-body"), tenancy=dict(r["tenancy"]),
        created=r["created"], updated=r["updated"], archived=r["archived"], read_only=tuple(r.get("read-only", [])),
        unordered=tuple(r.get("unordered", [])),
        children={name: Child(name, c["schema"], c["id"], c["created"]) for name, c in r.get("children", {}).items()},
        invariants=tuple(r.get("invariants", [])),
    )
    p = raw["page"]
    page = Page(p["size"], p["cursor"], p["items"], p["next"], p.get("more"), p.get("total"),
                p.get("tenant-cursors", False))
    e = raw["envelope"]
    envelope = Envelope(e["schema"], e["media-type"], dict(e["members"]), dict(e.get("titles", {})))
    behaviours = {}
    for op_id, operation in operations.items():
        where = f"{op_id}.x-kit"
        if not operation.declaration:
            raise SpecError(f"{where}: every operation declares its behaviour (kind: create, list, ...)")
        _check_shape(operation.declaration, "Operation", where)
        behaviours[op_id] = _behaviour(operation.declaration)
    base = spec_path.parent
    declaration = Declaration(
        resource=resource,
        lifecycle=dict(raw.get("lifecycle", {})),
        page=page,
        envelope=envelope,
        errors=dict(raw["errors"]),
        grants=tuple(raw["grants"]["all"]),
        read_only_grants=tuple(raw["grants"]["read-only"]),
        marker_field=raw["run-marker"]["field"],
        marker_key=raw["run-marker"].get("key"),
        clean_up=tuple((step["operation"], dict(step.get("query", {}))) for step in raw["clean-up"]),
        mock_data={name: base / path for name, path in raw.get("mock", {}).items()},
        behaviours=behaviours,
        open_bounds=read_open_bounds(document),
    )
    return declaration


def read_open_bounds(document: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """Every schema's `x-kit-open`, by the schema's JSON pointer; each keyword it names must be a
    bound the schema gives, so that a typo fails at start."""
    found: dict[str, tuple[str, ...]] = {}

    def walk(node: Any, pointer: str) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{pointer}/{index}")
        if not isinstance(node, dict):
            return
        if "x-kit-open" in node:
            where = pointer.removeprefix("/").replace("/", ".") + ".x-kit-open"
            _check_shape({"x-kit-open": node["x-kit-open"]}, "Schema", where.removesuffix(".x-kit-open"))
            stray = [keyword for keyword in node["x-kit-open"] if keyword not in node]
            if stray:
                raise SpecError(f"{where}: {stray[0]!r} is no bound of this schema")
            found[pointer] = tuple(node["x-kit-open"])
        for key, value in node.items():
            if key not in ("x-kit", "examples", "example"):  # the declaration itself, and sample data
                walk(value, f"{pointer}/{escape_pointer(key)}")

    walk(document, "")
    return found


def check_declaration(d: Declaration, document: dict[str, Any], operations: dict[str, Operation],
                      error_types: tuple[str, ...]) -> None:
    """Every name the declaration uses exists in the document (`error_types`: its catalog)."""
    r = d.resource

    def member_of(schema_name: str, member: str, where: str) -> None:
        if member.split(".")[0] not in properties(document, schema(document, schema_name)):
            raise SpecError(f"{where}: {member!r} is not a property of {schema_name}")

    def named_schema(name: str, where: str) -> None:
        if schema(document, name) is None:
            raise SpecError(f"{where}: no schema {name!r} in components/schemas")

    named_schema(r.schema, "x-kit.resource.schema")
    named = [("id.field", r.id_field), ("created", r.created), ("updated", r.updated), ("archived", r.archived)]
    for key, member in named + [("read-only", m) for m in r.read_only] + [("unordered", m) for m in r.unordered]:
        member_of(r.schema, member, f"x-kit.resource.{key}")
    for parameter, member in r.tenancy.items():
        if member is not None:
            member_of(r.schema, member, f"x-kit.resource.tenancy.{parameter}")
    for name, child in r.children.items():
        named_schema(child.schema, f"x-kit.resource.children.{name}.schema")
        member_of(child.schema, child.id, f"x-kit.resource.children.{name}.id")
        member_of(child.schema, child.created, f"x-kit.resource.children.{name}.created")
    for index, invariant in enumerate(r.invariants):
        named = invariant.get("present-together") or invariant.get("same") or \
            [invariant["sum"]["total"], *invariant["sum"]["of"]]
        for member in named:
            member_of(r.schema, member, f"x-kit.resource.invariants.{index}")
    member_of(r.schema, d.marker_field, "x-kit.run-marker.field")
    for role, op_id in d.lifecycle.items():
        if op_id not in operations:
            raise SpecError(f"x-kit.lifecycle.{role}: no operation {op_id!r}")
    for index, (op_id, query) in enumerate(d.clean_up):
        if op_id not in operations:
            raise SpecError(f"x-kit.clean-up.{index}.operation: no operation {op_id!r}")
        stray = [name for name in query if operations[op_id].parameter(name) is None]
        if stray:
            raise SpecError(f"x-kit.clean-up.{index}.query: {op_id} has no parameter {stray[0]!r}")
    item_paths = [op for op in operations.values() if op.parameter(r.id_parameter)]
    if not item_paths:
        raise SpecError(f"x-kit.resource.id.parameter: no operation has a path parameter {r.id_parameter!r}")
    for op in operations.values():
        for parameter in r.tenancy:
            if op.parameter(parameter) is None or op.parameter(parameter).location != "path":
                raise SpecError(f"x-kit.resource.tenancy.{parameter}: {op.operation_id} has no such path parameter")
    named_schema(d.envelope.schema, "x-kit.envelope.schema")
    for role, member in d.envelope.members.items():
        member_of(d.envelope.schema, member, f"x-kit.envelope.members.{role}")
    for op in operations.values():
        if op.permission is not None and op.permission not in d.grants:
            raise SpecError(f"{op.operation_id}.x-required-permission: {op.permission!r} is not in x-kit.grants.all")
    stray = [g for g in d.read_only_grants if g not in d.grants]
    if stray:
        raise SpecError(f"x-kit.grants.read-only: {stray} are not in x-kit.grants.all")
    for role, error_type in d.errors.items():
        if error_type not in error_types:
            raise SpecError(f"x-kit.errors.{role}: {error_type!r} is not an error type")
    if r.id_from_body is not None and "taken" not in d.errors:
        raise SpecError("x-kit.errors.taken: the create takes a client-chosen id (id.from-body), "
                        "so name the error type a taken id answers")
    for op_id, behaviour in d.behaviours.items():
        _check_behaviour(op_id, behaviour, d, document, operations[op_id], member_of, error_types)
    kinds = {b.kind for b in d.behaviours.values()}
    for needed in ("create", "read", "list"):
        if needed not in kinds:
            raise SpecError(f"x-kit: no operation declares kind {needed!r}; the kit needs one to create, "
                            "read and list resources")
    marker_filters = [op_id for op_id, b in d.behaviours.items() if b.kind == "list"
                      and any(f.member == d.marker_field and f.kind in ("includes-all", "entries") for f in b.filters.values())]
    if not marker_filters:
        raise SpecError(f"x-kit.run-marker.field: no list filter selects by {d.marker_field!r} "
                        "(includes-all or entries), so a run could not find what it created")


def _check_behaviour(op_id: str, b: Behaviour, d: Declaration, document: dict[str, Any], op: Operation,
                     member_of: Any, error_types: tuple[str, ...]) -> None:
    where = f"{op_id}.x-kit"
    r = d.resource
    needs = {"transition": b.set, "append": b.append, "list-children": b.child}
    if b.kind in needs and not needs[b.kind]:
        raise SpecError(f"{where}: a {b.kind} needs {'set' if b.kind == 'transition' else 'append' if b.kind == 'append' else 'child'}")
    if b.child is not None and b.child not in r.children:
        raise SpecError(f"{where}: no sub-collection {b.child!r} in x-kit.resource.children")
    one = b.kind not in ("create", "list")
    if one and (op.parameter(r.id_parameter) is None or op.parameter(r.id_parameter).location != "path"):
        raise SpecError(f"{where}: kind {b.kind} names one resource, but {op_id} has no path parameter {r.id_parameter!r}")
    if b.kind in ("list", "list-children"):
        for role in ("size", "cursor"):
            if op.parameter(getattr(d.page, role)) is None:
                raise SpecError(f"{where}: a list takes the page's {role} parameter {getattr(d.page, role)!r}")
        size = resolve_ref(document, op.parameter(d.page.size).schema)
        if not isinstance(size, dict) or not isinstance(size.get("default"), int):
            raise SpecError(f"{where}: the page size parameter {d.page.size!r} needs an integer default")
        if op.success_schema is None:
            raise SpecError(f"{where}: a list answers a named schema (components/schemas)")
        for role in ("items", "next", "more", "total"):
            member = getattr(d.page, role)
            if member is not None:
                member_of(op.success_schema, member, f"x-kit.page.{role} ({op_id})")
    for name, spec in b.filters.items():
        if op.parameter(name) is None:
            raise SpecError(f"{where}.filters.{name}: {op_id} has no parameter {name!r}")
        if spec.kind == "archived":
            declared = resolve_ref(document, op.parameter(name).schema)
            types = declared.get("type") if isinstance(declared, dict) else None
            if "boolean" not in (types if isinstance(types, list) else [types]):
                raise SpecError(f"{where}.filters.{name}: an archived filter takes a boolean parameter")
        if spec.member is not None:
            member_of(r.schema, spec.member, f"{where}.filters.{name}")
    body = properties(document, {"$ref": f"#{op.body_pointer}"}) if op.body_pointer else {}
    members = properties(document, schema(document, r.schema))

    def check_terms(terms: tuple[Term, ...], at: str) -> None:
        for term in terms:
            scope, _, name = term.member.partition(".")
            if scope == "query" and name:
                if op.parameter(name) is None:
                    raise SpecError(f"{at}: {op_id} has no query parameter {name!r}")
            elif scope == "body" and name:
                if name not in body:
                    raise SpecError(f"{at}: {op_id}'s body has no member {name!r}")
            elif term.member not in members:
                raise SpecError(f"{at}: {term.member!r} is not a property of {r.schema}")

    def check_values(values: dict[str, Any], at: str, target: dict[str, Any]) -> None:
        for member, value in values.items():
            if member not in target:
                raise SpecError(f"{at}: {member!r} is not a property of the {'item' if target is not members else r.schema}")
            if isinstance(value, Source) and value.kind == "from":
                scope, _, name = value.text.partition(".")
                if scope == "body" and name not in body:
                    raise SpecError(f"{at}.{member}: {op_id}'s body has no member {name!r}")
                if scope in ("query", "path") and op.parameter(name) is None:
                    raise SpecError(f"{at}.{member}: {op_id} has no parameter {name!r}")

    for index, refusal in enumerate(b.refuse):
        check_terms(refusal.when, f"{where}.refuse.{index}.when")
        if refusal.error not in error_types:
            raise SpecError(f"{where}.refuse.{index}.error: {refusal.error!r} is not an error type")
    for index, effect in enumerate(b.set):
        check_terms(effect.when, f"{where}.set.{index}.when")
        check_values(effect.then, f"{where}.set.{index}.then", members)
    if b.append is not None:
        child = r.children[b.append.child]
        check_values(b.append.item, f"{where}.append.item", properties(document, schema(document, child.schema)))
