"""The rules of the contract, one function per rule.

Each rule looks at what the server answered (one or more `Exchange`s) and raises a
`ContractViolation` naming itself when the answer breaks the contract. The facts a rule needs
(error types and statuses, envelope members, the representation, the lifecycle) come from the
`Contract` the suite read from the spec; the test modules drive the API into the situations that
exercise a rule. Each rule's statement cites the section of the contract document that ships
with the kit (`docs/contract.md`, installed as `sessions_docs/contract.md`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from contract_tests.client import Exchange
from contract_tests.contract import Contract, means_archived
from contract_tests.model import UNKNOWN, Outcome, State, known

RULES: dict[str, str] = {}  # rule name -> one-line statement, citing the contract document
LOC_ROOTS = {"path", "query", "header", "body"}
DOC = "docs/contract.md"


class ContractViolation(AssertionError):
    """A server answer that breaks a rule of the contract."""

    def __init__(self, rule: str, message: str, exchanges: Sequence[Exchange] = ()) -> None:
        self.rule = rule
        self.message = message
        self.exchanges = list(exchanges)
        super().__init__(self.render())

    def render(self) -> str:
        statement = RULES.get(self.rule, "")
        lines = [f"contract rule `{self.rule}` broken: {self.message}"]
        if statement:
            lines.append(f"  rule: {statement}")
        for index, exchange in enumerate(self.exchanges[-6:], 1):
            lines.append(f"--- exchange {index} of {len(self.exchanges)} ---")
            lines.append(exchange.render())
        return "\n".join(lines)


def rule(statement: str, section: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a rule: its statement, and the section of the contract document it comes from."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        RULES[func.__name__] = f"{statement} ({DOC}#{section})"
        func.rule = func.__name__  # type: ignore[attr-defined]
        return func

    return register


def rule_of_test(test_name: str) -> str | None:
    """The rule a test enforces, read from its name (`test_<rule>...`), or None."""
    name = test_name.removeprefix("test_")
    candidates = [r for r in RULES if name == r or name.startswith(r + "_") or name.startswith(r + "[")]
    return max(candidates, key=len) if candidates else None


def fail(name: str, message: str, *exchanges: Exchange) -> None:
    raise ContractViolation(name, message, exchanges)


RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})")


def instant(value: Any) -> Decimal | None:
    """An instant as written (epoch seconds, or RFC 3339 at any precision, nanoseconds and beyond
    kept), comparable; else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    match = RFC3339.fullmatch(str(value))
    if match is None:
        return None
    whole, fraction, zone = match.groups()
    try:
        seconds = datetime.fromisoformat(f"{whole}{'+00:00' if zone in 'Zz' else zone}").timestamp()
    except ValueError:
        return None
    return Decimal(int(seconds)) + Decimal(f"0.{fraction or 0}")


def same(contract: Contract, member: str, left: Any, right: Any) -> bool:
    """Two values of a member agree: instants as instants, the declaration's unordered lists in any order."""
    if contract.is_instant(member) and left is not None and right is not None:
        return instant(left) == instant(right)
    if member in contract.resource.unordered and isinstance(left, list) and isinstance(right, list):
        return sorted(map(repr, left)) == sorted(map(repr, right))
    return left == right


def _status(name: str, exchange: Exchange, expected: int | Iterable[int], *context: Exchange) -> None:
    allowed = {expected} if isinstance(expected, int) else set(expected)
    if exchange.status not in allowed:
        shown = " or ".join(str(s) for s in sorted(allowed))
        fail(name, f"expected HTTP {shown}, got {exchange.status}", *context, exchange)


def _error(contract: Contract, name: str, exchange: Exchange, status: int, error_type: str | Iterable[str] | None,
           *context: Exchange) -> None:
    """The answer is an error of this status (and type), in the envelope."""
    _status(name, exchange, status, *context)
    types = set(contract.errors.of_status(status)) if error_type is None else \
        {error_type} if isinstance(error_type, str) else set(error_type)
    actual = exchange.field(contract.envelope.members["type"])
    if actual not in types:
        fail(name, f"expected error type {' or '.join(sorted(types))}, got {actual!r}", *context, exchange)
    error_is_envelope(contract, exchange)


def _session(contract: Contract, name: str, exchange: Exchange, *context: Exchange, status: int | None = None) -> dict[str, Any]:
    """The representation a successful answer holds."""
    _status(name, exchange, status or {200, 201}, *context)
    body = exchange.json
    if not isinstance(body, dict) or not isinstance(body.get(contract.resource.id_field), str):
        fail(name, f"expected a {contract.resource.schema} body", *context, exchange)
    return body


def _diff(contract: Contract, left: dict[str, Any], right: dict[str, Any], members: Iterable[str]) -> list[str]:
    return [f"{m}: {left.get(m)!r} != {right.get(m)!r}" for m in members if not same(contract, m, left.get(m), right.get(m))]


# ---------------------------------------------------------------------------------------------
# The error envelope
# ---------------------------------------------------------------------------------------------


@rule("Every response with status >= 400 is the declared envelope: its media type, its members, a `type` "
      "from the closed list that belongs to the HTTP status, the status repeated, a located list of details "
      "on 422 (null otherwise)", "the-error-envelope")
def error_is_envelope(contract: Contract, exchange: Exchange) -> None:
    name = "error_is_envelope"
    if exchange.status < 400:
        return
    envelope = contract.envelope
    m = envelope.members
    if exchange.media_type != envelope.media_type:
        fail(name, f"Content-Type is {exchange.content_type!r}, not {envelope.media_type}", exchange)
    body = exchange.json
    if not isinstance(body, dict):
        fail(name, "the body is not a JSON object", exchange)
    missing = set(m.values()) - set(body)
    if missing:
        fail(name, f"the envelope lacks {sorted(missing)}", exchange)
    declared = set(contract.members(envelope.schema))
    closed = contract.document["components"]["schemas"][envelope.schema].get("additionalProperties") is False
    if closed and set(body) - declared:
        fail(name, f"the envelope has members it does not declare: {sorted(set(body) - declared)}", exchange)
    if body[m["status"]] != exchange.status or isinstance(body[m["status"]], bool):
        fail(name, f"`{m['status']}` is {body[m['status']]!r} but the HTTP status is {exchange.status}", exchange)
    error_type = body[m["type"]]
    if error_type not in contract.errors.status:
        fail(name, f"`{m['type']}` {error_type!r} is not one of the documented error types", exchange)
    expected = contract.errors.of_status(exchange.status)
    if expected and error_type not in expected:
        fail(name, f"`{m['type']}` {error_type!r} does not belong to HTTP {exchange.status} "
                   f"(expected {' or '.join(expected)})", exchange)
    for role in ("message", "title"):
        if role in m and (not isinstance(body[m[role]], str) or not body[m[role]]):
            fail(name, f"`{m[role]}` must be a non-empty string, got {body[m[role]]!r}", exchange)
    if "instance" in m:
        # The request path, raw or percent-decoded: compare decoded (the client may encode what it sends).
        instance, sent = body[m["instance"]], exchange.path
        if not isinstance(instance, str) or (instance != unquote(sent) and unquote(instance) != unquote(sent)):
            fail(name, f"`{m['instance']}` is {instance!r}, expected the request path {sent!r}", exchange)
    details = body[m["details"]]
    if exchange.status == 422:
        if not isinstance(details, list) or not details:
            fail(name, f"a 422 must list its validation errors in `{m['details']}`", exchange)
        for item in details:
            if not isinstance(item, dict) or not {"loc", "msg", "type"} <= set(item):
                fail(name, f"validation error {item!r} lacks loc/msg/type", exchange)
            loc = item["loc"]
            if not isinstance(loc, list) or not loc or loc[0] not in LOC_ROOTS:
                fail(name, f"`loc` {loc!r} must start with path, query, header or body", exchange)
            if not all(isinstance(p, (str, int)) and not isinstance(p, bool) for p in loc):
                fail(name, f"`loc` {loc!r} may hold only strings and integers", exchange)
            if not isinstance(item["msg"], str) or not isinstance(item["type"], str):
                fail(name, f"validation error {item!r}: msg and type must be strings", exchange)
    elif details is not None:
        fail(name, f"`{m['details']}` must be null outside 422, got {details!r}", exchange)
    if exchange.status == 401:
        challenge = exchange.headers.get("WWW-Authenticate", "")
        if not challenge.lower().startswith("bearer"):
            fail(name, f"a 401 needs `WWW-Authenticate: Bearer`, got {challenge!r}", exchange)
    if exchange.status == 429 and not exchange.headers.get("Retry-After", "").strip().isdigit():
        fail(name, "a 429 needs `Retry-After` in seconds", exchange)


@rule("A path that is no route of the API answers 404 with the declared `no-route` type, before "
      "authentication", "routes-and-methods")
def unknown_route_is_not_found(contract: Contract, exchange: Exchange) -> None:
    _error(contract, "unknown_route_is_not_found", exchange, 404, contract.kit.errors["no-route"])


@rule("A method the path does not document answers 405 with an `Allow` header naming the documented "
      "methods (HEAD and OPTIONS may be named too), before authentication", "routes-and-methods")
def wrong_method_is_405_with_allow(contract: Contract, exchange: Exchange, documented: set[str]) -> None:
    name = "wrong_method_is_405_with_allow"
    _error(contract, name, exchange, 405, None)
    allow = {m.strip().upper() for m in exchange.headers.get("Allow", "").split(",") if m.strip()}
    missing = documented - allow
    extra = allow - documented - {"HEAD", "OPTIONS"}
    if missing or extra:
        fail(name, f"`Allow: {exchange.headers.get('Allow')}` should name exactly {sorted(documented)}", exchange)


@rule("A body with another or no content type is a 415; JSON with a charset parameter is accepted", "bodies")
def wrong_content_type_is_415(contract: Contract, exchange: Exchange) -> None:
    _error(contract, "wrong_content_type_is_415", exchange, 415, None)


@rule("Malformed JSON (NaN and Infinity included) is a 400", "bodies")
def malformed_json_is_400(contract: Contract, exchange: Exchange) -> None:
    _error(contract, "malformed_json_is_400", exchange, 400, None)


@rule("Invalid input is a 422 whose details locate every offending input (path, query and body errors "
      "together)", "validation")
def validation_error_locates_input(contract: Contract, exchange: Exchange, locations: Iterable[Sequence[Any]] = ()) -> None:
    name = "validation_error_locates_input"
    _error(contract, name, exchange, 422, None)
    found = [tuple(item["loc"]) for item in exchange.json[contract.envelope.members["details"]]]
    for expected in locations:
        expected = tuple(expected)
        if not any(loc[: len(expected)] == expected for loc in found):
            fail(name, f"the details should locate {list(expected)}; they locate {[list(loc) for loc in found]}", exchange)


@rule("Every bound the spec gives an input holds at its edge: a value at the edge is accepted and one past it "
      "is a 422 locating it, or, past a bound the spec marks open (beyond the contract), accepted; lengths count "
      "code points, a list or a map its items, and null is accepted exactly where the schema says", "validation")
def limits_follow_the_contract(contract: Contract, exchange: Exchange, loc: Sequence[Any], within: bool,
                               open_bound: bool = False) -> None:
    """`loc` is where the input goes (`["body", "title"]`); `within`: the value is within every bound;
    `open_bound`: the one bound it crosses is one the contract leaves open (`x-kit-open`)."""
    name = "limits_follow_the_contract"
    shown = ".".join(map(str, loc))
    if not within and exchange.status == 422:
        validation_error_locates_input(contract, exchange, [loc])
        return
    if not within and not open_bound:
        _error(contract, name, exchange, 422, None)
    # Accepted: served, or for a path id (a well-formed id that names nothing here) looked up and not found.
    path_id = loc[0] == "path"
    accepted = exchange.status == 404 if path_id else 200 <= exchange.status < 300
    if not accepted:
        due = "a 404 (it names no session)" if path_id else "accepted"
        verdict = f"within its bounds: it must be {due}" if within else \
            f"past a bound the contract leaves open: it must be {due} or a 422 locating it"
        fail(name, f"this `{shown}` is {verdict}, got {exchange.status}", exchange)
    if path_id:
        _error(contract, name, exchange, 404, contract.kit.errors["no-resource"])


@rule("Bad input never makes the server fail: no 5xx for any request the suite sends, a corpus of hostile "
      "inputs (deep nesting, odd charsets, oversize bodies and numbers, non-ASCII ids and cursors, invalid "
      "Unicode) sent to every operation included", "bad-input")
def no_server_error_on_bad_input(exchange: Exchange) -> None:
    if exchange.status >= 500:
        fail("no_server_error_on_bad_input", f"bad input answered {exchange.status}", exchange)


# ---------------------------------------------------------------------------------------------
# The lifecycle (read from the declaration by the suite's own model)
# ---------------------------------------------------------------------------------------------


def _unexpected(contract: Contract, expected: State, got: dict[str, Any], *, read: bool) -> list[str]:
    """Members whose value the model knows and the answer does not show (outside reads, the
    read-only members may be null)."""
    skipped = set() if read else set(contract.resource.read_only)
    wrong = [f"{m}: expected {v!r}, got {got.get(m)!r}" for m, v in expected.items()
             if m not in skipped and known(v) and m in got and not same(contract, m, v, got.get(m))]
    return wrong + [f"{m}: expected a value, got null" for m, v in expected.items()
                    if m not in skipped and v is UNKNOWN and m in got and got[m] is None]


@rule("A new session is in the state its create declares (the body's members, the declared values), "
      "shows its id in the declared form, and a read shows the same", "the-lifecycle")
def new_session_is_initial(contract: Contract, expected: State, created: Exchange, read: Exchange | None = None) -> None:
    name = "new_session_is_initial"
    body = _session(contract, name, created, status=contract.create.success)
    record_id = body[contract.resource.id_field]
    if contract.id_pattern is not None and not contract.id_pattern.fullmatch(record_id):
        fail(name, f"{contract.resource.id_field} {record_id!r} does not match {contract.id_pattern.pattern}", created)
    wrong = _unexpected(contract, expected, body, read=False)
    if wrong:
        fail(name, "the created session is not in its initial state: " + "; ".join(wrong), created)
    if read is not None:
        got = _session(contract, name, read, created)
        wrong = _unexpected(contract, expected, got, read=True)
        if wrong or got[contract.resource.id_field] != record_id or not read.path.endswith("/" + record_id):
            fail(name, "a read shows another state: " + "; ".join(wrong or ["the id differs from the path's"]),
                 created, read)


@rule("Each write does what the declaration says: the values its `set` rules give (`now`: the write's update "
      "instant), the body members an update replaces, the items an append adds, and its documented success "
      "status; a read shows the same",
      "the-lifecycle")
def write_follows_lifecycle(contract: Contract, op_id: str, expected: Outcome, answer: Exchange,
                            read: Exchange | None = None, *context: Exchange) -> None:
    name = "write_follows_lifecycle"
    operation = contract.operations[op_id]
    _status(name, answer, operation.success, *context)
    shown: list[Exchange] = [*context, answer]
    if contract.answers_representation(operation):
        body = _session(contract, name, answer, *context)
        wrong = _unexpected(contract, expected.state, body, read=False)
        updated = contract.resource.updated
        wrong += [f"{m} is {body.get(m)}, not the write's instant ({updated} {body.get(updated)})"
                  for m in sorted(expected.stamped_now) if instant(body.get(m)) != instant(body.get(updated))]
        if wrong:
            fail(name, f"{op_id} left the session in another state than declared: " + "; ".join(wrong), *shown)
    elif operation.success_schema is not None and isinstance(answer.json, dict):
        wrong = [f"{m}: expected {expected.state.get(m)!r}, got {v!r}" for m, v in answer.json.items()
                 if m in expected.state and known(expected.state[m]) and not same(contract, m, expected.state[m], v)]
        if wrong:
            fail(name, f"{op_id} answered another state than declared: " + "; ".join(wrong), *shown)
    if read is not None:
        wrong = _unexpected(contract, expected.state, _session(contract, name, read, *shown), read=True)
        if wrong:
            fail(name, f"after {op_id}, a read shows another state than declared: " + "; ".join(wrong), *shown, read)


@rule("A state in which the declaration's `refuse` rules stop a write answers the first such rule's error, "
      "and changes nothing", "the-lifecycle")
def refusal_follows_lifecycle(contract: Contract, op_id: str, error_type: str, answer: Exchange, *context: Exchange) -> None:
    name = "refusal_follows_lifecycle"
    _error(contract, name, answer, contract.errors.status[error_type], error_type, *context)


def _idempotent(contract: Contract, name: str, first: Exchange, again: Exchange, read: Exchange | None) -> None:
    one = _session(contract, name, first)
    two = _session(contract, name, again, first)
    differences = _diff(contract, one, two, sorted(set(one) | set(two)))
    if differences:
        fail(name, "the repeated call answered a different body: " + "; ".join(differences), first, again)
    if read is not None:
        updated = contract.resource.updated
        got = _session(contract, name, read, first, again)
        if not same(contract, updated, got.get(updated), one.get(updated)):
            fail(name, f"{updated} moved from {one.get(updated)} to {got.get(updated)} although nothing changed",
                 first, again, read)


@rule("Archive is idempotent: archiving an archived session answers the same status and body as the first "
      "archive, and changes nothing, the update instant included", "archive-is-idempotent")
def archive_is_idempotent(contract: Contract, first: Exchange, again: Exchange, read: Exchange | None = None) -> None:
    _idempotent(contract, "archive_is_idempotent", first, again, read)


@rule("Unarchive is idempotent in the same way as archive", "archive-is-idempotent")
def unarchive_is_idempotent(contract: Contract, first: Exchange, again: Exchange, read: Exchange | None = None) -> None:
    _idempotent(contract, "unarchive_is_idempotent", first, again, read)


@rule("Every other write the declaration calls idempotent answers a repeat with the same body, and changes "
      "nothing", "archive-is-idempotent")
def write_is_idempotent(contract: Contract, first: Exchange, again: Exchange, read: Exchange | None = None) -> None:
    _idempotent(contract, "write_is_idempotent", first, again, read)


def idempotence_rule(contract: Contract, op_id: str) -> Callable[..., None]:
    """The idempotence rule that names `op_id`: the archive's, the unarchive's, or the general one."""
    roles = {v: k for k, v in contract.kit.lifecycle.items()}
    return {"archive": archive_is_idempotent, "unarchive": unarchive_is_idempotent}.get(roles.get(op_id, ""),
                                                                                         write_is_idempotent)


@rule("N concurrent archives of one session all answer the same status and identical bodies", "archive-is-idempotent")
def concurrent_archives_agree(contract: Contract, exchanges: Sequence[Exchange]) -> None:
    name = "concurrent_archives_agree"
    bodies = [_session(contract, name, e, *exchanges) for e in exchanges]
    for exchange, body in zip(exchanges[1:], bodies[1:], strict=True):
        differences = _diff(contract, bodies[0], body, sorted(set(bodies[0]) | set(body)))
        if differences or exchange.status != exchanges[0].status:
            fail(name, "concurrent archives disagree: " + "; ".join(differences or ["status"]), exchanges[0], exchange)


@rule("A write's answer agrees with the next read on every member (read-only members aside)", "reads-see-writes")
def write_agrees_with_read(contract: Contract, written: Exchange, read: Exchange) -> None:
    name = "write_agrees_with_read"
    one = _session(contract, name, written)
    got = _session(contract, name, read, written)
    members = sorted((set(one) | set(got)) - set(contract.resource.read_only))
    differences = _diff(contract, one, got, members)
    if differences:
        fail(name, "the answer and the following read differ: " + "; ".join(differences), written, read)


@rule("The update instant never decreases, may stay within the same instant after a change, and moves only "
      "when something changed; the creation instant never changes", "the-lifecycle")
def updated_at_is_monotonic(contract: Contract, before: dict[str, Any], after: Exchange, changed: bool) -> None:
    name = "updated_at_is_monotonic"
    updated = contract.resource.updated
    body = _session(contract, name, after)
    old, new = instant(before.get(updated)), instant(body.get(updated))
    if new is None:
        fail(name, f"{updated} {body.get(updated)!r} is not an instant", after)
    if contract.instant_as_number(updated) and not isinstance(body.get(updated), int):
        fail(name, f"{updated} {body.get(updated)!r} is not whole epoch seconds", after)
    if old is not None and new < old:
        fail(name, f"{updated} went back from {before.get(updated)} to {body.get(updated)}", after)
    if not changed and old is not None and new != old:
        fail(name, f"{updated} moved from {before.get(updated)} to {body.get(updated)} although nothing changed", after)
    created = contract.resource.created
    if created in before and instant(before.get(created)) != instant(body.get(created)):
        fail(name, f"{created} changed from {before.get(created)} to {body.get(created)}", after)


@rule("A write on one session never changes another session", "the-lifecycle")
def other_sessions_untouched(contract: Contract, before: dict[str, Any], read: Exchange, *context: Exchange) -> None:
    name = "other_sessions_untouched"
    got = _session(contract, name, read, *context)
    members = sorted(set(before) - set(contract.resource.read_only))
    differences = _diff(contract, before, got, members)
    if differences:
        fail(name, f"session {before.get(contract.resource.id_field)} changed although nobody touched it: "
                   + "; ".join(differences), *context, read)


@rule("A sub-collection is listed oldest first, starting with what the create added, then what each append "
      "added, in order", "sub-collections")
def children_are_listed_in_order(contract: Contract, child: str, listed: Exchange,
                                 expected: Sequence[dict[str, Any]]) -> None:
    name = "children_are_listed_in_order"
    _status(name, listed, 200)
    items = (listed.json or {}).get(contract.page.items) or []
    mine = [item for item in items if any(all(item.get(k) == v for k, v in e.items()) for e in expected)]
    keys = [tuple(sorted(e.items())) for e in expected]
    got = [next(k for k in keys if all(item.get(a) == b for a, b in k)) for item in mine]
    if got[: len(keys)] != keys:
        fail(name, f"expected items {list(expected)} in this order, got {mine}", listed)
    created_member = contract.resource.children[child].created
    times = [instant(i.get(created_member)) for i in items]
    if times != sorted(times):
        fail(name, "items are not oldest first", listed)


@rule("A deleted session is gone: reads and writes answer 404 with the `no-resource` type, lists no longer "
      "show it", "the-lifecycle")
def deleted_session_is_gone(contract: Contract, exchange: Exchange, *context: Exchange) -> None:
    _error(contract, "deleted_session_is_gone", exchange, 404, contract.kit.errors["no-resource"], *context)


@rule("A client-chosen id already in use in the tenant is a 409 with the declared `taken` type; the id of a "
      "deleted session, or one in use only in another tenant, may be chosen", "the-lifecycle")
def taken_id_is_409(contract: Contract, exchange: Exchange, *context: Exchange) -> None:
    _error(contract, "taken_id_is_409", exchange, 409, contract.kit.errors.get("taken"), *context)


def freed_id_is_accepted(contract: Contract, exchange: Exchange, chosen: str, *context: Exchange) -> None:
    """`taken_id_is_409`, the other way: a create choosing a free id (a deleted session's, or one
    taken only in another tenant) makes a session of it."""
    body = _session(contract, "taken_id_is_409", exchange, *context, status=contract.create.success)
    if body[contract.resource.id_field] != chosen:
        fail("taken_id_is_409", f"chose the free id {chosen!r}, got a session {body[contract.resource.id_field]!r}",
             *context, exchange)


def member_value(representation: Any, path: str) -> Any:
    """A member by its dotted path (`usage.total_tokens`); None where absent."""
    node = representation
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


@rule("Every representation keeps the declared invariants (members present together, equal, or summing up)",
      "the-representation")
def representation_keeps_invariants(contract: Contract, representation: dict[str, Any], *context: Exchange) -> None:
    name = "representation_keeps_invariants"

    def get(path: str) -> Any:
        return member_value(representation, path)

    for invariant in contract.resource.invariants:
        if "present-together" in invariant:
            a, b = invariant["present-together"]
            if (get(a) is None) != (get(b) is None):
                fail(name, f"{a} is {get(a)!r} but {b} is {get(b)!r}: they are present together", *context)
        elif "same" in invariant:
            a, b = invariant["same"]
            if get(a) is not None and get(b) is not None and get(a) != get(b):
                fail(name, f"{a} is {get(a)!r} but {b} is {get(b)!r}: they must be equal", *context)
        else:
            total, parts = invariant["sum"]["total"], invariant["sum"]["of"]
            values = [get(p) for p in parts]
            if get(total) is not None and all(isinstance(v, int) for v in values) and get(total) != sum(values):
                fail(name, f"{total} is {get(total)!r}, not the sum of {parts} ({sum(values)})", *context)


# ---------------------------------------------------------------------------------------------
# Reads and lists
# ---------------------------------------------------------------------------------------------


@rule("Reads see every earlier write at once: a read and a list show the state a write left", "reads-see-writes")
def reads_see_writes(contract: Contract, expected: dict[str, Any], read: Exchange, *context: Exchange) -> None:
    name = "reads_see_writes"
    id_field = contract.resource.id_field
    if not (isinstance(read.json, dict) and contract.page.items in read.json and id_field not in read.json):
        got = _session(contract, name, read, *context)
    else:
        _status(name, read, 200, *context)
        items = [i for i in (read.json or {}).get(contract.page.items) or [] if i.get(id_field) == expected.get(id_field)]
        if len(items) != 1:
            fail(name, f"the list should show {expected.get(id_field)} once, found {len(items)}", *context, read)
        got = items[0]
    differences = [f"{m}: wrote {v!r}, read {got.get(m)!r}" for m, v in expected.items()
                   if known(v) and m in got and m not in contract.resource.read_only
                   and not same(contract, m, v, got.get(m))]
    if differences:
        fail(name, "the read does not show the write: " + "; ".join(differences), *context, read)


@rule("The archived filter is exact: true lists only archived sessions, false only active ones, absent both",
      "lists")
def archived_filter_is_exact(contract: Contract, listed: Sequence[dict[str, Any]], flag: bool | None,
                             expected_ids: set[str], *context: Exchange) -> None:
    name = "archived_filter_is_exact"
    member, id_field = contract.resource.archived, contract.resource.id_field
    wrong = [i[id_field] for i in listed if flag is not None and means_archived(i.get(member)) != flag]
    if wrong:
        fail(name, f"the archived filter {flag} listed sessions of the other kind: {wrong}", *context)
    ids = {i[id_field] for i in listed}
    if ids != expected_ids:
        fail(name, f"archived={flag}: expected {sorted(expected_ids)}, listed {sorted(ids)}", *context)


@rule("Every list filter selects exactly the sessions it names (equal members, lists holding every value, "
      "maps holding every key:value)", "lists")
def filters_select_exactly(contract: Contract, listed: Sequence[dict[str, Any]], query: dict[str, Any],
                           expected_ids: set[str], *context: Exchange) -> None:
    ids = {i[contract.resource.id_field] for i in listed}
    if ids != expected_ids:
        fail("filters_select_exactly", f"{query}: expected {sorted(expected_ids)}, listed {sorted(ids)}", *context)


@rule("A page is consistent: the next cursor is null exactly on the last page, it holds at most the page "
      "size, and the total (where the page has one) counts all matches", "pagination")
def page_is_consistent(contract: Contract, page: Exchange, size: int | None = None, total: int | None = None) -> None:
    name = "page_is_consistent"
    shape = contract.page
    _status(name, page, 200)
    body = page.json or {}
    if shape.more and (body.get(shape.next) is None) != (body.get(shape.more) is False):
        fail(name, f"{shape.next}={body.get(shape.next)!r} with {shape.more}={body.get(shape.more)!r}", page)
    if size is not None and len(body.get(shape.items) or []) > size:
        fail(name, f"{shape.size}={size} but the page has {len(body[shape.items])} items", page)
    if total is not None and shape.total and body.get(shape.total) != total:
        fail(name, f"{shape.total} is {body.get(shape.total)}, expected {total} matching items", page)


@rule("Walking every page by its cursor returns every matching item exactly once, in order", "pagination")
def pagination_returns_each_once(contract: Contract, pages: Sequence[Exchange], expected: Sequence[str], key: str) -> None:
    name = "pagination_returns_each_once"
    seen = [item.get(key) for page in pages for item in (page.json or {}).get(contract.page.items) or []]
    duplicates = sorted({i for i in seen if seen.count(i) > 1})
    if duplicates:
        fail(name, f"items returned more than once: {duplicates}", *pages)
    if seen != list(expected):
        missing = [i for i in expected if i not in seen]
        if missing:
            fail(name, f"items never returned: {missing}", *pages)
        fail(name, f"items out of order: got {seen}, expected {list(expected)}", *pages)


@rule("Sessions are listed newest first (creation instant descending, then id descending)", "pagination")
def list_is_newest_first(contract: Contract, items: Sequence[dict[str, Any]], *context: Exchange) -> None:
    created, id_field = contract.resource.created, contract.resource.id_field
    keys = [(instant(i.get(created)) or 0, i.get(id_field)) for i in items]
    if keys != sorted(keys, reverse=True):
        fail("list_is_newest_first", f"the list is not newest first: {keys}", *context)


@rule("A cursor the server never issued (an empty one included, and where cursors belong to their tenant, "
      "one issued for another tenant's list) is a 422 located at the cursor parameter",
      "pagination")
def unissued_cursor_is_422(contract: Contract, exchange: Exchange, *context: Exchange) -> None:
    name = "unissued_cursor_is_422"
    _error(contract, name, exchange, 422, None, *context)
    validation_error_locates_input(contract, exchange, [("query", contract.page.cursor)])


# ---------------------------------------------------------------------------------------------
# Authentication and tenancy
# ---------------------------------------------------------------------------------------------


@rule("A missing header, another scheme or an unknown token answers 401 with `WWW-Authenticate: Bearer`, "
      "before any validation", "authentication-and-tenancy")
def requires_authentication(contract: Contract, exchange: Exchange) -> None:
    name = "requires_authentication"
    _status(name, exchange, 401)
    if not exchange.headers.get("WWW-Authenticate", "").lower().startswith("bearer"):
        fail(name, "401 without `WWW-Authenticate: Bearer`", exchange)
    _error(contract, name, exchange, 401, None)


@rule("A credential without the operation's permission answers 403; one with it is served", "authentication-and-tenancy")
def requires_permission(contract: Contract, exchange: Exchange) -> None:
    _error(contract, "requires_permission", exchange, 403, None)


@rule("A credential used on a tenant it does not belong to, at any tenancy level (a malformed value "
      "included), answers 403", "authentication-and-tenancy")
def tenancy_boundary_is_403(contract: Contract, exchange: Exchange) -> None:
    _error(contract, "tenancy_boundary_is_403", exchange, 403, None)


@rule("A session of another tenant, or one that does not exist, answers 404 with the `no-resource` type, "
      "and lists never show another tenant's sessions", "authentication-and-tenancy")
def foreign_session_is_not_found(contract: Contract, exchange: Exchange, *context: Exchange) -> None:
    _error(contract, "foreign_session_is_not_found", exchange, 404, contract.kit.errors["no-resource"], *context)


def foreign_session_not_listed(contract: Contract, listed: Exchange, foreign_id: str) -> None:
    _not_listed(contract, "foreign_session_is_not_found", listed, foreign_id, "of another tenant")


def deleted_session_not_listed(contract: Contract, listed: Exchange, deleted_id: str) -> None:
    _not_listed(contract, "deleted_session_is_gone", listed, deleted_id, "deleted")


def _not_listed(contract: Contract, name: str, listed: Exchange, record_id: str, what: str) -> None:
    ids = [i.get(contract.resource.id_field) for i in (listed.json or {}).get(contract.page.items) or []]
    if record_id in ids:
        fail(name, f"the list shows {record_id}, {what}", listed)


# ---------------------------------------------------------------------------------------------
# Conformance to the spec (schemathesis)
# ---------------------------------------------------------------------------------------------

RULES["conforms_to_spec"] = (
    "Every operation answers with a documented status, content type, headers and a body matching its schema; "
    f"valid data is accepted and invalid data refused; no 5xx (schemathesis checks) ({DOC}#conformance)")
RULES["links_conform"] = (
    "Chains of calls along the spec's links keep conforming, and what a call returns is usable by the next "
    f"(schemathesis stateful checks) ({DOC}#conformance)")


def from_schemathesis(rule_name: str, group: BaseException, token: str | None = None) -> ContractViolation:
    """A schemathesis failure group as a contract violation; an envelope failure keeps its own rule."""
    failures = list(getattr(group, "exceptions", []) or [group])
    names = {getattr(f, "title", type(f).__name__) for f in failures}
    text = str(group)
    if token:
        text = text.replace(token, "$TOKEN")
    envelope = [f for f in failures if isinstance(f, ContractViolation) or "contract rule `" in str(f)]
    if envelope and len(envelope) == len(failures):
        rule_name = "error_is_envelope"
    summary = "; ".join(sorted(str(n) for n in names))
    return ContractViolation(rule_name, f"{summary}\n{text}")
