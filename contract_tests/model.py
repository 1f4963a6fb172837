"""The suite's own reading of the lifecycle declaration: a pure model of what each operation must do.

No I/O. Given a session's state (its representation members) and a write, the model says what
the server must answer (the success status, or the refusal's error) and what the state becomes.
It reads the declaration's `refuse`, `set` and `append` rules itself, with code of its own, so a
misreading in the mock cannot hide here. Members the suite cannot know in advance (an instant, a
credential's user, a template) are tracked as `UNKNOWN`, and never compared.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from api_model import Open, Source, Term
from contract_tests.contract import Contract, means_archived

State = dict[str, Any]


class _Unknown:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


# A value the server decides from what the suite cannot see (an instant, a credential's user, a
# template): present, not null, but not predictable.
UNKNOWN = _Unknown("UNKNOWN")
# A value the contract leaves open (`{open: ...}`, a member nothing declares): any value, null included.
ANY = _Unknown("ANY")


def known(value: Any) -> bool:
    """Whether the model predicts this very value."""
    return value is not UNKNOWN and value is not ANY


@dataclass(frozen=True)
class Request:
    body: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)

    def label(self) -> str:
        shown = {k: v for k, v in self.query.items() if v is not None}
        return ", ".join(f"{k}={v}" for k, v in shown.items())


@dataclass(frozen=True)
class Outcome:
    status: int
    error: str | None
    state: State
    changed: bool
    appended: bool = False
    stamped_now: frozenset[str] = frozenset()  # members set to the write's instant

    @property
    def ok(self) -> bool:
        return self.error is None


def _member_value(term: Term, state: State, request: Request) -> Any:
    scope, _, name = term.member.partition(".")
    if scope == "query" and name:
        return request.query.get(name)
    if scope == "body" and name:
        return request.body.get(name)
    return state.get(term.member)


def satisfied(terms: tuple[Term, ...], state: State, request: Request) -> bool:
    """Whether every term holds. An unknown value is some value that is not null: it equals
    nothing the declaration names, and is none of any list (an open one is taken the same way)."""
    for term in terms:
        value = _member_value(term, state, request)
        if not known(value):
            ok = term.test == "none-of"
        elif term.test == "equals":
            ok = value == term.value
        elif term.test == "one-of":
            ok = value in term.value
        else:
            ok = value not in term.value
        if not ok:
            return False
    return True


def _value(value: Any, request: Request) -> Any:
    if isinstance(value, Open):
        return ANY  # the contract leaves it open: any value is right
    if not isinstance(value, Source):
        return value
    scope, _, name = value.text.partition(".")
    if value.kind == "from" and scope == "body":
        return request.body.get(name)
    if value.kind == "from" and scope == "query":
        return request.query.get(name)
    return UNKNOWN  # now, a credential's member, a path value, a template


class Model:
    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.kit = contract.kit

    def created(self, body: dict[str, Any], path: dict[str, str]) -> State:
        """The state a create with `body` makes (in the tenant of `path`)."""
        create = self.contract.create
        members = self.contract.representation
        defaults = {name: node["default"] for name, node in self.contract.body_members(create).items() if "default" in node}
        # What neither the body nor the declaration gives is the server's to decide, but for a default.
        state: State = {name: node["default"] if "default" in node else ANY for name, node in members.items()}
        state.update({k: v for k, v in {**defaults, **body}.items() if k in members})
        for parameter, member in self.contract.resource.tenancy.items():
            if member is not None:
                state[member] = path.get(parameter, UNKNOWN)
        r = self.contract.resource
        for member in (r.id_field, r.created, r.updated):
            state[member] = UNKNOWN
        request = Request(body)
        for effect in self.kit.behaviours[create.operation_id].set:
            if satisfied(effect.when, state, request):
                state.update({name: _value(value, request) for name, value in effect.then.items()})
        return state

    def apply(self, op_id: str, state: State, request: Request) -> Outcome:
        """What `op_id` must do to a session in `state`."""
        behaviour = self.kit.behaviours[op_id]
        operation = self.contract.operations[op_id]
        for refusal in behaviour.refuse:
            if satisfied(refusal.when, state, request):
                return Outcome(self.contract.errors.status[refusal.error], refusal.error, state, False)
        new = dict(state)
        if behaviour.kind == "update":
            new.update({k: v for k, v in request.body.items() if k in self.contract.representation})
        stamped = False
        now: set[str] = set()
        for effect in behaviour.set:
            if satisfied(effect.when, state, request):
                for name, value in effect.then.items():
                    computed = _value(value, request)
                    stamped |= not known(computed) and state.get(name) is not computed
                    new[name] = computed
                    if isinstance(value, Source) and value.kind == "from" and value.text == "now":
                        now.add(name)
        appended = behaviour.append is not None
        changed = appended or stamped or _tracked(new) != _tracked(state)
        return Outcome(operation.success, None, new, changed, appended, frozenset(now))

    # -- exploring the lifecycle ------------------------------------------------------------

    def create_variants(self) -> list[dict[str, Any]]:
        """Body members worth varying on a create: one body for each value a create-body member
        tested by the create's own rules can take (each `origin`, say), beside the example's."""
        create = self.contract.create
        body = self.contract.body_members(create)
        tested = {t.member.removeprefix("body.") for e in self.kit.behaviours[create.operation_id].set for t in e.when}
        return [{}] + [{name: value} for name in sorted(tested & set(body)) for value in body[name].get("enum", [])]

    def requests(self, op_id: str, body: dict[str, Any] | None = None) -> list[Request]:
        """The requests worth trying for `op_id`: each combination of the query values its rules test."""
        behaviour = self.kit.behaviours[op_id]
        terms = [t for e in behaviour.set for t in e.when] + [t for r in behaviour.refuse for t in r.when]
        names = sorted({t.member.partition(".")[2] for t in terms if t.member.startswith("query.")})
        choices = [[None, *sorted({t.value for t in terms if t.member == f"query.{n}" and t.test == "equals"} | {True, False},
                                  key=repr)] for n in names]
        return [Request(dict(body or {}), dict(zip(names, combo))) for combo in itertools.product(*choices)]

    @cached_property
    def lifecycle_members(self) -> set[str]:
        """The members the lifecycle rules test or set (beside the archived member)."""
        found = {self.contract.resource.archived}
        for behaviour in self.kit.behaviours.values():
            for terms in [e.when for e in behaviour.set] + [r.when for r in behaviour.refuse]:
                found |= {t.member for t in terms if "." not in t.member}
            for effect in behaviour.set:
                found |= set(effect.then)
        return found

    def key(self, state: State) -> tuple[tuple[str, str], ...]:
        """A state as far as the lifecycle tells states apart."""
        members = self.lifecycle_members
        return _tracked({k: v for k, v in state.items() if k in members})

    def paths(self, start: State, writes: list[tuple[str, Request]], depth: int) -> Iterator[tuple[list[tuple[str, Request]], State]]:
        """Every sequence of up to `depth` successful writes from `start`, with the state it reaches
        (each lifecycle state once, by the shortest sequence)."""
        seen = {self.key(start)}
        frontier: list[tuple[list[tuple[str, Request]], State]] = [([], start)]
        yield [], start
        for _ in range(depth):
            reached = []
            for steps, state in frontier:
                for op_id, request in writes:
                    outcome = self.apply(op_id, state, request)
                    key = self.key(outcome.state)
                    if outcome.ok and key not in seen:
                        seen.add(key)
                        reached.append(([*steps, (op_id, request)], outcome.state))
                        yield reached[-1]
            frontier = reached


def _tracked(state: State) -> tuple[tuple[str, str], ...]:
    """A state as comparable, hashable data (unknown values compare equal to each other)."""
    return tuple(sorted((k, repr(v)) for k, v in state.items()))


def matches(state: State, filters: dict[str, tuple[str, str | None, Any]], archived: str) -> bool:
    """Whether a session in `state` is listed with these filters: param -> (kind, member, value)."""
    for kind, member, value in filters.values():
        if value is None:
            continue
        if kind == "archived":
            if means_archived(state.get(archived)) != bool(value):
                return False
        elif kind == "equals" and state.get(member) != value:
            return False
        elif kind == "includes-all" and not set(value) <= set(state.get(member) or []):
            return False
        elif kind == "entries":
            held = state.get(member) or {}
            for token in value:
                key, _, item = token.partition(":")
                if item not in (held.get(key) or []):
                    return False
    return True
