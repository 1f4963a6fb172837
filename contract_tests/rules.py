"""The rules of the sessions API contract, one function per rule.

Each rule looks at what the server answered (one or more `Exchange`s) and raises a
`ContractViolation` naming itself when the answer breaks the contract. The test modules drive the
API into the situations that exercise a rule; the model-based tests call the same rules, so a
failure always names the rule that broke, whichever test found it.

The references (`§1`, `§5`...) point at the sections of the contract document.
"""

from __future__ import annotations

import re
from urllib.parse import unquote
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from contract_tests.client import Exchange

RULES: dict[str, str] = {}  # rule name -> one-line statement

ERROR_TYPES = {
    400: {"bad_request"},
    401: {"unauthenticated"},
    403: {"forbidden"},
    404: {"not_found", "session_not_found"},
    405: {"method_not_allowed"},
    409: {"session_archived", "session_terminated", "limit_exceeded"},
    413: {"payload_too_large"},
    415: {"unsupported_media_type"},
    422: {"validation_error"},
    426: {"upgrade_required"},
    429: {"rate_limited"},
    500: {"internal_error"},
    502: {"bad_gateway"},
    504: {"gateway_timeout"},
}
ALL_ERROR_TYPES = set().union(*ERROR_TYPES.values())
ENVELOPE_KEYS = {"type", "title", "status", "detail", "instance", "errors"}
LOC_ROOTS = {"path", "query", "header", "body"}
SLEEPABLE = {"new", "claimed", "running", "resuming"}
TERMINAL = {"exit", "error"}
# Fields that only get and list populate (§1); other operations may answer null.
READ_ONLY_FIELDS = {"status_detail", "category", "subcategory", "structured_output"}
# Fields describing the session's state, compared between a write and the reads that follow.
STATE_FIELDS = ("session_id", "status", "is_archived", "tags", "updated_at", "created_at", "org_id", "title")
DEVIN_ID = re.compile(r"devin-[A-Za-z0-9]+")


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


def rule(statement: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        RULES[func.__name__] = statement
        func.rule = func.__name__  # type: ignore[attr-defined]
        return func

    return register


def rule_of_test(test_name: str) -> str | None:
    """The rule a test enforces, read from its name (`test_<rule>...`), or None."""
    name = test_name.removeprefix("test_")
    candidates = [rule for rule in RULES if name == rule or name.startswith(rule + "_") or name.startswith(rule + "[")]
    return max(candidates, key=len) if candidates else None


def fail(name: str, message: str, *exchanges: Exchange) -> None:
    raise ContractViolation(name, message, exchanges)


def _status(name: str, exchange: Exchange, expected: int | Iterable[int], *context: Exchange) -> None:
    allowed = {expected} if isinstance(expected, int) else set(expected)
    if exchange.status not in allowed:
        shown = " or ".join(str(s) for s in sorted(allowed))
        fail(name, f"expected HTTP {shown}, got {exchange.status}", *context, exchange)


def _error(name: str, exchange: Exchange, status: int, error_type: str | Iterable[str], *context: Exchange) -> None:
    _status(name, exchange, status, *context)
    types = {error_type} if isinstance(error_type, str) else set(error_type)
    actual = exchange.field("type")
    if actual not in types:
        fail(name, f"expected error type {' or '.join(sorted(types))}, got {actual!r}", *context, exchange)
    error_is_envelope(exchange)


def _session(name: str, exchange: Exchange, *context: Exchange) -> dict[str, Any]:
    _status(name, exchange, 200, *context)
    body = exchange.json
    if not isinstance(body, dict) or not isinstance(body.get("session_id"), str):
        fail(name, "expected a SessionResponse body", *context, exchange)
    return body


def _diff(left: dict[str, Any], right: dict[str, Any], fields: Iterable[str]) -> list[str]:
    return [f"{f}: {left.get(f)!r} != {right.get(f)!r}" for f in fields if left.get(f) != right.get(f)]


# ---------------------------------------------------------------------------------------------
# §2 The error envelope
# ---------------------------------------------------------------------------------------------


@rule("Every response with status >= 400 is an application/problem+json envelope whose `status` is the "
      "HTTP status, `type` comes from the closed list, and `errors` is a located list on 422, else null (§2).")
def error_is_envelope(exchange: Exchange) -> None:
    name = "error_is_envelope"
    if exchange.status < 400:
        return
    if exchange.media_type != "application/problem+json":
        fail(name, f"Content-Type is {exchange.content_type!r}, not application/problem+json", exchange)
    body = exchange.json
    if not isinstance(body, dict):
        fail(name, "the body is not a JSON object", exchange)
    missing = ENVELOPE_KEYS - set(body)
    if missing:
        fail(name, f"the envelope lacks {sorted(missing)}", exchange)
    if body["status"] != exchange.status or isinstance(body["status"], bool):
        fail(name, f"`status` is {body['status']!r} but the HTTP status is {exchange.status}", exchange)
    if body["type"] not in ALL_ERROR_TYPES:
        fail(name, f"`type` {body['type']!r} is not one of the documented error types", exchange)
    expected_types = ERROR_TYPES.get(exchange.status)
    if expected_types is not None and body["type"] not in expected_types:
        fail(name, f"`type` {body['type']!r} does not belong to HTTP {exchange.status} "
                   f"(expected {' or '.join(sorted(expected_types))})", exchange)
    for key in ("title", "detail"):
        if not isinstance(body[key], str) or not body[key]:
            fail(name, f"`{key}` must be a non-empty string, got {body[key]!r}", exchange)
    # §5 "the request path", raw or percent-decoded: compare decoded (the client may encode what it sends).
    instance = body["instance"]
    sent = exchange.path
    if not isinstance(instance, str) or (instance != unquote(sent) and unquote(instance) != unquote(sent)):
        fail(name, f"`instance` is {body['instance']!r}, expected the request path {exchange.path!r}", exchange)
    errors = body["errors"]
    if exchange.status == 422:
        if not isinstance(errors, list) or not errors:
            fail(name, "a 422 must list its validation errors in `errors`", exchange)
        for item in errors:
            if not isinstance(item, dict) or not {"loc", "msg", "type"} <= set(item):
                fail(name, f"validation error {item!r} lacks loc/msg/type", exchange)
            loc = item["loc"]
            if not isinstance(loc, list) or not loc or loc[0] not in LOC_ROOTS:
                fail(name, f"`loc` {loc!r} must start with path, query, header or body", exchange)
            if not all(isinstance(p, (str, int)) and not isinstance(p, bool) for p in loc):
                fail(name, f"`loc` {loc!r} may hold only strings and integers", exchange)
            if not isinstance(item["msg"], str) or not isinstance(item["type"], str):
                fail(name, f"validation error {item!r}: msg and type must be strings", exchange)
    elif errors is not None:
        fail(name, f"`errors` must be null outside 422, got {errors!r}", exchange)
    if exchange.status == 401:
        challenge = exchange.headers.get("WWW-Authenticate", "")
        if not challenge.lower().startswith("bearer"):
            fail(name, f"a 401 needs `WWW-Authenticate: Bearer`, got {challenge!r}", exchange)
    if exchange.status == 429 and not exchange.headers.get("Retry-After", "").strip().isdigit():
        fail(name, "a 429 needs `Retry-After` in seconds", exchange)


@rule("A path that is no route of the API answers 404 `not_found` (§2, §5 precedence).")
def unknown_route_is_not_found(exchange: Exchange) -> None:
    _error("unknown_route_is_not_found", exchange, 404, "not_found")


@rule("A method the path does not document answers 405 `method_not_allowed` with an `Allow` header "
      "naming the documented methods (§2, §5).")
def wrong_method_is_405_with_allow(exchange: Exchange, documented: set[str]) -> None:
    name = "wrong_method_is_405_with_allow"
    _error(name, exchange, 405, "method_not_allowed")
    allow = {m.strip().upper() for m in exchange.headers.get("Allow", "").split(",") if m.strip()}
    # HEAD and OPTIONS may be served (§5): they may appear in Allow or not.
    missing = documented - allow
    extra = allow - documented - {"HEAD", "OPTIONS"}
    if missing or extra:
        fail(name, f"`Allow: {exchange.headers.get('Allow')}` should name exactly {sorted(documented)}", exchange)


@rule("A body with another or no content type is 415 `unsupported_media_type` (§5).")
def wrong_content_type_is_415(exchange: Exchange) -> None:
    _error("wrong_content_type_is_415", exchange, 415, "unsupported_media_type")


@rule("Malformed JSON (NaN and Infinity included) is 400 `bad_request` (§5).")
def malformed_json_is_400(exchange: Exchange) -> None:
    _error("malformed_json_is_400", exchange, 400, "bad_request")


@rule("Invalid input is 422 `validation_error`, and `errors` points at every offending input (§2, §5).")
def validation_error_locates_input(exchange: Exchange, locations: Iterable[Sequence[Any]] = ()) -> None:
    name = "validation_error_locates_input"
    _error(name, exchange, 422, "validation_error")
    found = [tuple(item["loc"]) for item in exchange.json["errors"]]
    for expected in locations:
        expected = tuple(expected)
        if not any(loc[: len(expected)] == expected for loc in found):
            fail(name, f"`errors` should locate {list(expected)}; it has {[list(loc) for loc in found]}", exchange)


@rule("`title` holds up to 200 code points and each tag 1 to 64, at most 50 tags; `title` and `playbook_id` "
      "accept null, `tags` and `max_acu_limit` do not (§5).")
def limits_follow_the_contract(exchange: Exchange, accepted: bool, field: str) -> None:
    name = "limits_follow_the_contract"
    if accepted:
        if exchange.status != 200:
            fail(name, f"this `{field}` is within the limits and must be accepted, got {exchange.status}", exchange)
    else:
        _error(name, exchange, 422, "validation_error")
        validation_error_locates_input(exchange, [("body", field)])


@rule("Bad input never makes the server fail: no 5xx for any request the suite sends, a corpus of hostile inputs "
      "(deep nesting, odd charsets, oversize bodies and numbers, non-ASCII ids and cursors, invalid Unicode) "
      "sent to every operation included (§2).")
def no_server_error_on_bad_input(exchange: Exchange) -> None:
    if exchange.status >= 500:
        fail("no_server_error_on_bad_input", f"bad input answered {exchange.status}", exchange)


# ---------------------------------------------------------------------------------------------
# §1 Lifecycle
# ---------------------------------------------------------------------------------------------


@rule("A new session is `running` / `working`, not archived, carries the tags it was created with, "
      "and its `session_id` is the path id with its prefix (§1, §5).")
def new_session_is_running(created: Exchange, read: Exchange | None = None) -> None:
    name = "new_session_is_running"
    body = _session(name, created)
    if not DEVIN_ID.fullmatch(body["session_id"]):
        fail(name, f"session_id {body['session_id']!r} does not match ^devin-[A-Za-z0-9]+$", created)
    if body["status"] != "running" or body.get("status_detail") not in ("working", None):
        fail(name, f"a new session is running/working, got {body['status']}/{body.get('status_detail')}", created)
    if body.get("is_archived"):
        fail(name, "a new session is not archived", created)
    if read is not None:
        got = _session(name, read, created)
        if got["status"] != "running" or got.get("status_detail") != "working":
            fail(name, f"get_session shows {got['status']}/{got.get('status_detail')}, expected running/working",
                 created, read)
        if got["session_id"] != body["session_id"] or not read.path.endswith("/" + got["session_id"]):
            fail(name, "session_id differs from the id in the path", created, read)


@rule("Archiving sets `is_archived`; `new`, `claimed`, `running`, `resuming` become `suspended` / "
      "`user_request`, other statuses (and a suspended session's detail) are kept (§1, §5).")
def archive_puts_session_to_sleep(before: dict[str, Any], archived: Exchange, read: Exchange | None = None) -> None:
    name = "archive_puts_session_to_sleep"
    body = _session(name, archived)
    got = _session(name, read, archived) if read is not None else body
    if not body.get("is_archived") or not got.get("is_archived"):
        fail(name, "an archived session must have is_archived true", *[e for e in (archived, read) if e])
    if before["status"] in SLEEPABLE:
        expected = ("suspended", "user_request")
    else:
        expected = (before["status"], before.get("status_detail"))
    if got["status"] != expected[0]:
        fail(name, f"status {before['status']!r} should become {expected[0]!r} on archive, got {got['status']!r}",
             *[e for e in (archived, read) if e])
    if read is not None and expected[0] == "suspended" and got.get("status_detail") != expected[1]:
        fail(name, f"status_detail should be {expected[1]!r} after archive, got {got.get('status_detail')!r}",
             archived, read)


@rule("Archive is idempotent: archiving an archived session answers 200 with the same body, and "
      "changes nothing, `updated_at` included (§1).")
def archive_is_idempotent(first: Exchange, again: Exchange, read: Exchange | None = None) -> None:
    _idempotent("archive_is_idempotent", first, again, read)


@rule("Unarchive is idempotent: unarchiving an active session answers 200 with the same body, and "
      "changes nothing, `updated_at` included (§1).")
def unarchive_is_idempotent(first: Exchange, again: Exchange, read: Exchange | None = None) -> None:
    _idempotent("unarchive_is_idempotent", first, again, read)


def _idempotent(name: str, first: Exchange, again: Exchange, read: Exchange | None) -> None:
    one = _session(name, first)
    two = _session(name, again, first)
    differences = _diff(one, two, sorted(set(one) | set(two)))
    if differences:
        fail(name, "the repeated call answered a different body: " + "; ".join(differences), first, again)
    if read is not None:
        got = _session(name, read, first, again)
        if got.get("updated_at") != one.get("updated_at"):
            fail(name, f"updated_at moved from {one.get('updated_at')} to {got.get('updated_at')} "
                       "although nothing changed", first, again, read)


@rule("N concurrent archives of one session all answer 200 with identical bodies (§1).")
def concurrent_archives_agree(exchanges: Sequence[Exchange]) -> None:
    name = "concurrent_archives_agree"
    bodies = [_session(name, e, *exchanges) for e in exchanges]
    for exchange, body in zip(exchanges[1:], bodies[1:]):
        differences = _diff(bodies[0], body, sorted(set(bodies[0]) | set(body)))
        if differences:
            fail(name, "concurrent archives disagree: " + "; ".join(differences), exchanges[0], exchange)


@rule("A write's response agrees with the next get_session on every field (get/list-only fields aside) (§1).")
def write_agrees_with_read(written: Exchange, read: Exchange) -> None:
    name = "write_agrees_with_read"
    one = _session(name, written)
    got = _session(name, read, written)
    fields = sorted((set(one) | set(got)) - READ_ONLY_FIELDS)
    differences = _diff(one, got, fields)
    if differences:
        fail(name, "the response and the following read differ: " + "; ".join(differences), written, read)


@rule("Unarchive clears `is_archived` and keeps the status (§1).")
def unarchive_keeps_status(before: dict[str, Any], unarchived: Exchange) -> None:
    name = "unarchive_keeps_status"
    body = _session(name, unarchived)
    if body.get("is_archived"):
        fail(name, "is_archived is still true after unarchive", unarchived)
    if body["status"] != before["status"]:
        fail(name, f"status changed from {before['status']!r} to {body['status']!r} on unarchive", unarchived)


@rule("An archived session refuses send_message and replace_tags with 409 `session_archived` (§1, §5).")
def archived_session_refuses_modification(exchange: Exchange, *context: Exchange) -> None:
    _error("archived_session_refuses_modification", exchange, 409, "session_archived", *context)


@rule("A terminated (`exit`/`error`) session refuses send_message with 409 `session_terminated` (§1).")
def terminated_session_refuses_messages(exchange: Exchange, *context: Exchange) -> None:
    _error("terminated_session_refuses_messages", exchange, 409, "session_terminated", *context)


@rule("send_message on a suspended, unarchived session resumes it: `running` / `working` (§1, §5).")
def message_resumes_session(sent: Exchange, read: Exchange | None = None) -> None:
    name = "message_resumes_session"
    body = _session(name, sent)
    got = _session(name, read, sent) if read is not None else body
    if got["status"] != "running" or (read is not None and got.get("status_detail") != "working"):
        fail(name, f"after a message the session should be running/working, got "
                   f"{got['status']}/{got.get('status_detail')}", *[e for e in (sent, read) if e])


@rule("terminate sets status `exit` (`error` is kept); `archive=true` also archives, `archive=false` "
      "never unarchives; terminating a terminated session changes nothing (§1, §5).")
def terminate_ends_session(before: dict[str, Any], terminated: Exchange, archive: bool | None,
                           read: Exchange | None = None) -> None:
    name = "terminate_ends_session"
    body = _session(name, terminated)
    got = _session(name, read, terminated) if read is not None else body
    shown = [e for e in (terminated, read) if e]
    expected_status = "error" if before["status"] == "error" else "exit"
    if got["status"] != expected_status:
        fail(name, f"status should be {expected_status!r} after terminate, got {got['status']!r}", *shown)
    expected_archived = bool(before.get("is_archived")) or bool(archive)
    if bool(got.get("is_archived")) != expected_archived:
        fail(name, f"is_archived should be {expected_archived} after terminate(archive={archive}) of a session "
                   f"with is_archived={before.get('is_archived')}, got {got.get('is_archived')}", *shown)
    if before["status"] in TERMINAL and bool(before.get("is_archived")) == expected_archived:
        if got.get("updated_at") != before.get("updated_at"):
            fail(name, "terminating a terminated session must change nothing, but updated_at moved", *shown)


@rule("`updated_at` is whole epoch seconds, never decreases, and moves only when the state changes (§1, §5).")
def updated_at_is_monotonic(before: dict[str, Any], after: Exchange, changed: bool) -> None:
    name = "updated_at_is_monotonic"
    body = _session(name, after)
    old, new = before.get("updated_at"), body.get("updated_at")
    if not isinstance(new, int) or isinstance(new, bool):
        fail(name, f"updated_at {new!r} is not whole epoch seconds", after)
    if new < old:
        fail(name, f"updated_at went back from {old} to {new}", after)
    # A change may share the second of the previous one (§5): never demand "strictly later".
    if not changed and new != old:
        fail(name, f"updated_at moved from {old} to {new} although nothing changed", after)


@rule("replace_tags sets exactly the given tags and answers `{tags}`; the same list changes nothing (§1, §5).")
def replace_tags_sets_tags(replaced: Exchange, tags: list[str], read: Exchange | None = None) -> None:
    name = "replace_tags_sets_tags"
    _status(name, replaced, 200)
    body = replaced.json
    if not isinstance(body, dict) or sorted(body.get("tags") or []) != sorted(tags):
        fail(name, f"expected tags {tags}, got {body!r}", replaced)
    if read is not None:
        got = _session(name, read, replaced)
        if sorted(got["tags"]) != sorted(tags):
            fail(name, f"get_session shows tags {got['tags']}, expected {tags}", replaced, read)


@rule("An operation on one session never changes another session (§1).")
def other_sessions_untouched(before: dict[str, Any], read: Exchange, *context: Exchange) -> None:
    name = "other_sessions_untouched"
    got = _session(name, read, *context)
    differences = _diff(before, got, STATE_FIELDS)
    if differences:
        fail(name, f"session {before['session_id']} changed although nobody touched it: " + "; ".join(differences),
             *context, read)


@rule("Messages are listed oldest first and the creating prompt is the first message (§5).")
def messages_start_with_prompt(listed: Exchange, prompt: str, sent: Sequence[str] = ()) -> None:
    name = "messages_start_with_prompt"
    _status(name, listed, 200)
    items = (listed.json or {}).get("items") or []
    user_messages = [i.get("message") for i in items if i.get("source") == "user"]
    if not items or items[0].get("message") != prompt or items[0].get("source") != "user":
        fail(name, f"the first message should be the prompt {prompt!r}", listed)
    if user_messages[: len(sent) + 1] != [prompt, *sent]:
        fail(name, f"user messages should be {[prompt, *sent]} in order, got {user_messages}", listed)
    times = [i.get("created_at") for i in items]
    if times != sorted(times):
        fail(name, "messages are not oldest first", listed)


# ---------------------------------------------------------------------------------------------
# §1 Read-your-writes and filters
# ---------------------------------------------------------------------------------------------


@rule("Reads see every earlier write at once: get_session and list_sessions show the state a write answered (§1).")
def reads_see_writes(expected: dict[str, Any], read: Exchange, *context: Exchange) -> None:
    name = "reads_see_writes"
    if "/sessions/" in read.path:
        got = _session(name, read, *context)
    else:
        _status(name, read, 200, *context)
        items = [i for i in (read.json or {}).get("items") or [] if i.get("session_id") == expected["session_id"]]
        if len(items) != 1:
            fail(name, f"list_sessions should show {expected['session_id']} once, found {len(items)}", *context, read)
        got = items[0]
    fields = [f for f in ("status", "is_archived", "tags", "updated_at", "title") if f in expected]
    differences = [f"{f}: wrote {expected.get(f)!r}, read {got.get(f)!r}" for f in fields
                   if (sorted(expected[f]) if f == "tags" else expected[f]) != (sorted(got.get(f) or []) if f == "tags" else got.get(f))]
    if differences:
        fail(name, "the read does not show the write: " + "; ".join(differences), *context, read)


@rule("`is_archived=true` lists only archived sessions, `false` only active ones, absent both (§1).")
def is_archived_filter_is_exact(listed: Sequence[dict[str, Any]], flag: bool | None, expected_ids: set[str],
                                *context: Exchange) -> None:
    name = "is_archived_filter_is_exact"
    wrong = [i["session_id"] for i in listed if flag is not None and bool(i.get("is_archived")) != flag]
    if wrong:
        fail(name, f"is_archived={flag} listed sessions with is_archived={not flag}: {wrong}", *context)
    ids = {i["session_id"] for i in listed}
    if ids != expected_ids:
        fail(name, f"is_archived={flag}: expected {sorted(expected_ids)}, listed {sorted(ids)}", *context)


@rule("`tags=a&tags=b` lists exactly the sessions carrying every given tag (§5).")
def tags_filter_matches_all(listed: Sequence[dict[str, Any]], tags: Sequence[str], expected_ids: set[str],
                            *context: Exchange) -> None:
    name = "tags_filter_matches_all"
    wrong = [i["session_id"] for i in listed if not set(tags) <= set(i.get("tags") or [])]
    if wrong:
        fail(name, f"tags={list(tags)} listed sessions lacking one of them: {wrong}", *context)
    ids = {i["session_id"] for i in listed}
    if ids != expected_ids:
        fail(name, f"tags={list(tags)}: expected {sorted(expected_ids)}, listed {sorted(ids)}", *context)


# ---------------------------------------------------------------------------------------------
# §1, §5 Pagination
# ---------------------------------------------------------------------------------------------


@rule("A page is consistent: `end_cursor` is null exactly when `has_next_page` is false, at most `first` "
      "items, `total` counts all matches (§1, §5).")
def page_is_consistent(page: Exchange, first: int | None = None, total: int | None = None) -> None:
    name = "page_is_consistent"
    _status(name, page, 200)
    body = page.json or {}
    if (body.get("end_cursor") is None) != (body.get("has_next_page") is False):
        fail(name, f"end_cursor={body.get('end_cursor')!r} with has_next_page={body.get('has_next_page')!r}", page)
    if first is not None and len(body.get("items") or []) > first:
        fail(name, f"first={first} but the page has {len(body['items'])} items", page)
    if total is not None and body.get("total") != total:
        fail(name, f"total is {body.get('total')}, expected {total} matching sessions", page)


@rule("Walking every page with `after` returns every matching item exactly once, in order (§1).")
def pagination_returns_each_once(pages: Sequence[Exchange], expected: Sequence[str], key: str = "session_id") -> None:
    name = "pagination_returns_each_once"
    seen = [item.get(key) for page in pages for item in (page.json or {}).get("items") or []]
    duplicates = sorted({i for i in seen if seen.count(i) > 1})
    if duplicates:
        fail(name, f"items returned more than once: {duplicates}", *pages)
    if seen != list(expected):
        missing = [i for i in expected if i not in seen]
        if missing:
            fail(name, f"items never returned: {missing}", *pages)
        fail(name, f"items out of order: got {seen}, expected {list(expected)}", *pages)


@rule("Sessions are listed newest first (`created_at` desc, then `session_id` desc) (§1).")
def list_is_newest_first(items: Sequence[dict[str, Any]], *context: Exchange) -> None:
    keys = [(i.get("created_at"), i.get("session_id")) for i in items]
    if keys != sorted(keys, reverse=True):
        fail("list_is_newest_first", f"the list is not newest first: {keys}", *context)


@rule("A cursor the server never issued is 422 `validation_error` located at query `after` (§1, §5).")
def unissued_cursor_is_422(exchange: Exchange) -> None:
    name = "unissued_cursor_is_422"
    _error(name, exchange, 422, "validation_error")
    validation_error_locates_input(exchange, [("query", "after")])


# ---------------------------------------------------------------------------------------------
# §1 Authentication and tenancy
# ---------------------------------------------------------------------------------------------


@rule("A missing header, another scheme or an unknown token answers 401 `unauthenticated` with "
      "`WWW-Authenticate: Bearer`, before any validation (§1, §5).")
def requires_authentication(exchange: Exchange) -> None:
    name = "requires_authentication"
    _status(name, exchange, 401)
    if not exchange.headers.get("WWW-Authenticate", "").lower().startswith("bearer"):
        fail(name, "401 without `WWW-Authenticate: Bearer`", exchange)
    _error(name, exchange, 401, "unauthenticated")


@rule("A token without the operation's permission answers 403 `forbidden` (§1).")
def requires_permission(exchange: Exchange) -> None:
    _error("requires_permission", exchange, 403, "forbidden")


@rule("A token used on an organization it does not belong to (or a malformed org id) answers 403 "
      "`forbidden` (§1, §5).")
def org_boundary_is_403(exchange: Exchange) -> None:
    _error("org_boundary_is_403", exchange, 403, "forbidden")


@rule("A session of another organization, or one that does not exist, answers 404 `session_not_found`, "
      "and lists never show another organization's sessions (§1).")
def foreign_session_is_not_found(exchange: Exchange, *context: Exchange) -> None:
    _error("foreign_session_is_not_found", exchange, 404, "session_not_found", *context)


def foreign_session_not_listed(listed: Exchange, foreign_id: str) -> None:
    ids = [i.get("session_id") for i in (listed.json or {}).get("items") or []]
    if foreign_id in ids:
        fail("foreign_session_is_not_found", f"list_sessions shows {foreign_id} of another organization", listed)


# ---------------------------------------------------------------------------------------------
# Conformance to the spec (schemathesis)
# ---------------------------------------------------------------------------------------------

RULES["conforms_to_spec"] = (
    "Every operation answers with a documented status, content type, headers and a body matching its "
    "schema; valid data is accepted and invalid data refused; no 5xx (schemathesis built-in checks).")
RULES["links_conform"] = (
    "Chains of calls along the spec's links (create -> get, archive, message, terminate...) keep "
    "conforming, and what a call returns is usable by the next (schemathesis stateful checks).")


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
