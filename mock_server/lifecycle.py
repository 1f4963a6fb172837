"""The lifecycle stage: the declaration's `refuse`, `set` and `append` rules, applied to records.

For each operation the declaration says which states refuse it (with which error type), what it
sets (`then`, where `when` holds on the state before), and what sub-collection item it appends.
This module turns that into what the store runs under its lock: a new record for a create, a
change for the other writes. Values come from literals, the request (`body.`, `query.`,
`path.`), the credential (`credential.`), the instant of the operation (`now`), or a template of
the record's members.

A new record shares the values it takes (declared literals, the credential's, the request's)
rather than copying them: a stored record is never changed in place, and a change works on a
deep copy of it (`Record.copy`), so no value a record shares is ever changed.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from api_model import (
    MISSING,
    Api,
    Behaviour,
    Credential,
    Open,
    Source,
    Term,
    default_of,
    properties,
)

from .representation import Representation
from .store import Record


class Refused(Exception):
    """The state refuses the operation: answer `error_type` (a 409 of the declaration)."""

    def __init__(self, error_type: str, record_id: str) -> None:
        super().__init__(error_type, record_id)
        self.error_type = error_type
        self.record_id = record_id


SOURCES = ("body", "query", "path", "credential")  # the members of Request a value may come from


@dataclass
class Request:
    """What an operation's values may come from."""

    body: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    path: dict[str, Any] = field(default_factory=dict)
    credential: Credential | None = None


def _lookup(root: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        root = root.get(part) if isinstance(root, dict) else getattr(root, part, None)
    return root


Getter = Callable[[dict[str, Any], Request, float], Any]  # (the record's members, the request, now) -> value


def getter(value: Any) -> Getter:
    """How to compute a declared value, worked out once (a create applies a dozen of them)."""
    if isinstance(value, Open):
        return getter(value.value)  # the contract leaves it open: the mock's choice
    if not isinstance(value, Source):
        return lambda fields, request, now: value
    if value.kind == "template":
        text = value.text
        return lambda fields, request, now: text.format_map(_Members(fields))
    if value.text == "now":
        return lambda fields, request, now: now
    scope, _, name = value.text.partition(".")
    if scope not in SOURCES:
        raise KeyError(scope)
    return lambda fields, request, now: _lookup(getattr(request, scope), name)


def value_of(value: Any, fields: dict[str, Any], request: Request, now: float) -> Any:
    return getter(value)(fields, request, now)


class _Members:
    """A record's members for a template; one it lacks is empty."""

    __slots__ = ("fields",)

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields

    def __getitem__(self, key: str) -> Any:
        return self.fields.get(key, "")


def holds(terms: tuple[Term, ...], fields: dict[str, Any], request: Request) -> bool:
    for term in terms:
        scope, _, name = term.member.partition(".")
        if scope == "query" and name:
            actual = request.query.get(name)
        elif scope == "body" and name:
            actual = request.body.get(name)
        else:
            actual = fields.get(term.member)
        if term.test == "equals" and actual != term.value:
            return False
        if term.test == "one-of" and actual not in term.value:
            return False
        if term.test == "none-of" and actual in term.value:
            return False
    return True


# New ids need to be unique, not secret: drawn from a generator seeded once from the system's
# randomness (secrets.randbits reads the system's source for every id).
_NEW_IDS = random.Random(secrets.randbits(128))


def make_id(template: str, rng: random.Random | None = None) -> str:
    """An id of the declared form: random, or drawn from `rng` (the same ids for the same seed)."""
    bits = (rng or _NEW_IDS).getrandbits(128)
    if "{hex32}" in template:
        template = template.replace("{hex32}", f"{bits:032x}", 1)
    if "{uuid}" in template:
        template = template.replace("{uuid}", uuid4_text(bits), 1)
    return template


def uuid4_text(bits: int) -> str:
    """`str(uuid.UUID(int=bits, version=4))`, without the checks a UUID object makes (a third of a create's id)."""
    bits = (bits & UUID4_CLEARED) | UUID4_SET
    text = f"{bits:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


UUID4_CLEARED = ~((0xF000 << 64) | (0xC000 << 48))  # the version and variant bits
UUID4_SET = (0x4000 << 64) | (0x8000 << 48)  # version 4, RFC 4122 variant


class Lifecycle:
    def __init__(self, api: Api, representation: Representation) -> None:
        self.api = api
        self.resource = api.kit.resource
        self.representation = representation
        self._getters: dict[int, tuple[dict[str, Any], list[tuple[str, Getter]]]] = {}  # see `getters`
        create = api.by_kind("create")[0]
        self.create = api.kit.behaviours[create.operation_id]  # what seeds and fixtures start from
        # What a create body member left out means: its schema's default (an empty list, say).
        self.create_body: dict[str, Any] = {}
        self.create_defaults: dict[str, Any] = {}
        if create.body_pointer:
            self.create_body = properties(api.document, {"$ref": f"#{create.body_pointer}"})
            for name, node in self.create_body.items():
                default = default_of(api.document, node)
                if default is not MISSING:
                    self.create_defaults[name] = default

    def new_record(self, behaviour: Behaviour, tenant: tuple[str, ...], request: Request, now: float,
                   record_id: str | None = None, *, first_item: bool = True) -> Record:
        """What a create makes: defaults, then the body's members of the representation, the
        tenancy members, the id and instants, then the `set` rules in order, then the first item
        (seeds and fixtures start from this too, without a body, and bring their own items)."""
        r = self.resource
        fields = self.representation.defaults()
        members = self.representation.resource.members
        body = {**self.create_defaults, **request.body}
        fields.update({name: value for name, value in body.items() if name in members})
        for parameter, member in r.tenancy.items():
            if member is not None:
                fields[member] = request.path[parameter]
        record_id = record_id or make_id(r.id_template)
        fields[r.id_field] = record_id
        fields[r.created] = fields[r.updated] = now
        record = Record(record_id, tenant, now, fields)
        for effect in behaviour.set:
            if holds(effect.when, fields, request):
                fields.update({name: get(fields, request, now) for name, get in self.getters(effect.then)})
        if behaviour.append is not None and first_item:
            self._append(record, behaviour, request, now)
        return record

    def change(self, behaviour: Behaviour, request: Request, *, update_from_body: bool = False) -> Callable[[Record, float], None]:
        """What an update, transition or append does to a record, for the store to run."""

        refuse = self.refusals(behaviour, request)

        def change(record: Record, now: float) -> None:
            before = dict(record.fields)
            refuse(record)
            if update_from_body:
                members = self.representation.resource.members
                record.fields.update({name: v for name, v in request.body.items() if name in members})
            if behaviour.append is not None:
                self._append(record, behaviour, request, now)
            for effect in behaviour.set:
                if holds(effect.when, before, request):
                    record.fields.update({name: get(record.fields, request, now)
                                          for name, get in self.getters(effect.then)})

        return change

    def getters(self, values: dict[str, Any]) -> list[tuple[str, Getter]]:
        """A declared `then` or `item`, each value's getter worked out on first use."""
        known = self._getters.get(id(values))
        if known is None:  # the declaration lives as long as the mock; the mapping is kept, its id stays its own
            known = self._getters[id(values)] = (values, [(name, getter(value)) for name, value in values.items()])
        return known[1]

    def refusals(self, behaviour: Behaviour, request: Request) -> Callable[[Record], None]:
        """The operation's `refuse` rules, checked in order on a record's state: `Refused` for the first that holds."""

        def refuse(record: Record) -> None:
            for refusal in behaviour.refuse:
                if holds(refusal.when, record.fields, request):
                    raise Refused(refusal.error, record.id)

        return refuse

    def _append(self, record: Record, behaviour: Behaviour, request: Request, now: float) -> None:
        assert behaviour.append is not None
        child = self.resource.children[behaviour.append.child]
        items = record.children.setdefault(child.name, [])
        item = {name: get(record.fields, request, now) for name, get in self.getters(behaviour.append.item)}
        item[child.id] = f"{record.id}-{len(items) + 1}"
        item[child.created] = now
        items.append(item)
