"""Correct sessions APIs that read the contract's open points differently from the mock.

The contract (docs/contract.md) leaves some points open, and a check must accept every reading a
point allows: the suite will meet servers that are right but are not the mock. Each variant here
is the mock with such readings taken the other way, built like the broken zoo (store subclasses,
a proxy rewriting requests or answers); the contract suite must pass every one of them.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

from api_model import APIS, load
from mock_server import MockConfig, build
from mock_server.store import Store
from tests.zoo import Rewrite, TickingStore, json_rewrite, mock, query, spec_variant

BODY_ROUTES = (("POST", "/sessions"), ("POST", "/messages"), ("PUT", "/tags"))
KNOWN_TOKENS = {c.token for c in load().default_credentials()}
DETAIL_FIELDS = load().kit.resource.read_only


@dataclass(frozen=True)
class Correct:
    name: str
    make: Callable[[], Any]  # -> ASGI app
    readings: str  # the readings it takes where the mock takes another, with the contract section
    api: str = "v3"  # which shipped API it serves


def org_of(scope) -> str:
    return scope["path"].split("/")[3]


def raw_path(scope) -> str:
    """The path as the client sent it, percent-encoding kept."""
    raw = scope.get("raw_path")
    return raw.decode("latin-1").split("?", 1)[0] if raw else scope["path"]


def is_session(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("session_id"), str) and "status" in data


def replace_header(headers, name: str, value: str):
    return [(k, v) for k, v in headers if k != name] + [(name, value)]


def problem(status: int, error_type: str, title: str, detail: str, instance: str) -> bytes:
    return json.dumps({"type": error_type, "title": title, "status": status, "detail": detail,
                       "instance": instance, "errors": None}).encode()


# -- every field on every operation (§1: other operations "may" answer null) -------------------


class CategorisedAtCreation(Store):
    """Categorisation runs as the session is created, and tags are kept sorted (their order is not
    part of the contract)."""

    def insert(self, record):
        record.fields.update(category="other", subcategory="Other", structured_output={"summary": "not started"},
                             tags=sorted(record.fields["tags"]))
        return super().insert(record)

    def apply(self, tenant, record_id, change):
        def sorted_tags(record, now):
            change(record, now)
            record.fields["tags"] = sorted(record.fields["tags"])

        return super().apply(tenant, record_id, sorted_tags)


def full_responses(fill_create: bool = True):
    """A serializer that fills the get/list-only fields on every operation (all but create, with
    `fill_create` false: writes answer the session re-read), adds a static member the schema does
    not name (`max_acu_limit`), and labels JSON with its charset."""
    built = build(MockConfig(), store_class=CategorisedAtCreation)
    store, app = built.store, built.app

    def fill(session: dict, org: str) -> dict:
        stored = store.get((org,), session["session_id"]).fields
        session.update({name: stored.get(name) for name in DETAIL_FIELDS})
        session["max_acu_limit"] = None  # a member the schema does not name
        return session

    def change(data, scope):
        if is_session(data):
            return fill(data, org_of(scope))
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            data["items"] = [fill(item, org_of(scope)) if is_session(item) else item for item in data["items"]]
        return data

    def filled(scope, status):
        creating = scope["method"] == "POST" and scope["path"].endswith("/sessions")
        return status == 200 and scope["path"].startswith("/v3/") and (fill_create or not creating)

    rewrite_json = json_rewrite(filled, change)

    def response(scope, status, headers, body):
        status, headers, body = rewrite_json(scope, status, headers, body)
        if status == 200:
            headers = replace_header(headers, "content-type", "application/json; charset=utf-8")
        return status, headers, body

    return Rewrite(app, response)


# -- the envelope worded differently (§2: title fixed per type, detail free; RFC 9457 extensions) --

TITLES = {
    "bad_request": "The request could not be read",
    "unauthenticated": "Authentication required",
    "forbidden": "Access denied",
    "not_found": "No such route",
    "session_not_found": "No such session",
    "method_not_allowed": "Method not supported here",
    "session_archived": "The session is archived",
    "session_terminated": "The session has ended",
    "limit_exceeded": "A limit is reached",
    "payload_too_large": "The body is too large",
    "unsupported_media_type": "Unsupported content type",
    "validation_error": "Invalid request",
    "upgrade_required": "Please upgrade",
    "rate_limited": "Slow down",
    "internal_error": "Something went wrong",
    "bad_gateway": "Upstream failure",
    "gateway_timeout": "Upstream timeout",
}


def reworded_errors():
    """Problem documents from another framework: other titles and details, RFC 9457 extension members
    (`trace_id`, `docs`), pydantic-style extras in `errors`, `instance` as the raw percent-encoded
    path, and a charset on the media type."""

    def response(scope, status, headers, body):
        if status < 400:
            return status, headers, body
        data = json.loads(body)
        data["title"] = TITLES[data["type"]]
        data["detail"] = f"{scope['method']} {raw_path(scope)} failed: {data['detail'][:1].lower()}{data['detail'][1:]}"
        data["instance"] = raw_path(scope)
        data["trace_id"] = uuid.uuid4().hex
        data["docs"] = f"https://docs.example.com/errors/{data['type']}"
        for item in data.get("errors") or []:
            item.update(input=None, ctx={}, url=f"https://errors.example.com/{item['type']}")
        headers = replace_header(headers, "content-type", "application/problem+json; charset=utf-8")
        return status, headers, json.dumps(data, indent=2).encode()

    return Rewrite(mock(), response)


# -- HEAD, OPTIONS and challenges (§5) ------------------------------------------------------------


def served_head_and_options():
    """A framework that serves HEAD on GET paths and answers OPTIONS with 204, lists both in `Allow`
    on 405, writes the bearer challenge in lower case with parameters, and adds RFC 6750's
    `insufficient_scope` challenge to 403s."""

    def request(scope, body):
        if scope["method"] == "HEAD":  # uvicorn drops the body of a HEAD answer itself
            scope["method"] = "GET"
        return scope, body

    def allow_with_extras(allow: str) -> str:
        methods = [m.strip() for m in allow.split(",") if m.strip()]
        extras = (["HEAD"] if "GET" in methods else []) + ["OPTIONS"]
        return ",".join(reversed(methods + extras))  # order and spacing are free too

    def response(scope, status, headers, body):
        allow = dict(headers).get("allow")
        if scope["method"] == "OPTIONS" and status == 405 and allow:
            return 204, [("allow", allow_with_extras(allow))], b""
        if status == 405 and allow:
            headers = replace_header(headers, "allow", allow_with_extras(allow))
        if status == 401:
            headers = replace_header(headers, "www-authenticate", 'bearer realm="sessions", error="invalid_token"')
        if status == 403:
            headers = replace_header(headers, "www-authenticate", 'Bearer error="insufficient_scope"')
        return status, headers, body

    return Rewrite(mock(), response, request)


# -- how requests are read: query booleans, an untyped empty body (§5) ---------------------------

BOOLEAN_SPELLINGS = {**dict.fromkeys(("true", "1", "yes", "y", "on", "t"), "true"),
                     **dict.fromkeys(("false", "0", "no", "n", "off", "f"), "false")}


def lenient_booleans(scope, body):
    """Query booleans read the way pydantic reads them: `1`, `yes`, `True`, `off`... (§5 "may be accepted")."""
    params = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    read = {name: [BOOLEAN_SPELLINGS.get(v.lower(), v) for v in params[name]]
            for name in ("is_archived", "archive") if name in params}
    if any(read[name] != params[name] for name in read):
        scope["query_string"] = urlencode({**params, **read}, doseq=True).encode("latin-1")
    return scope, body


def mark_untyped_empty_body(scope, body):
    """An empty body without Content-Type on an operation that takes one is read as "a body with no
    content type" (415), not as "an empty body" (422): §5 names both. The body is marked rather than
    refused here, so that the mock's order (route, 401, 403, then the body) still holds."""
    typed = any(k.lower() == b"content-type" for k, _ in scope["headers"])
    takes_body = any(scope["method"] == m and scope["path"].endswith(s) for m, s in BODY_ROUTES)
    if takes_body and not typed and not body:
        scope["headers"] = [*scope["headers"], (b"content-type", b"application/x-untyped")]
        scope["untyped"] = True
    return scope, body


def explain_untyped(scope, status, headers, body):
    if scope.get("untyped") and status == 415:
        data = json.loads(body)
        data["detail"] = "The request has no Content-Type; send application/json."
        body = json.dumps(data).encode()
    return status, headers, body


def other_request_readings():
    def request(scope, body):
        return mark_untyped_empty_body(*lenient_booleans(scope, body))

    return Rewrite(mock(), explain_untyped, request)


# -- other cursor formats (§1, §5: cursors are opaque; reuse across filters is open) -------------


class CursorProxy:
    """Swaps the mock's signed cursors for another format on the way out and back on the way in.

    `issue(scope, offset)` makes a cursor for the next page, `resolve(scope, cursor)` turns one back
    into an offset, or None for a cursor this server refuses (the mock then answers its 422).
    """

    def __init__(self, issue, resolve):
        self.mock = build(MockConfig())
        self.store = self.mock.store
        self.issue, self.resolve = issue, resolve

    def listing(self, scope, params):
        """(mock listing name, ordered positions the mock's cursors name) of a list request."""
        org, parts = org_of(scope), scope["path"].split("/")
        if scope["path"].endswith("/messages"):
            messages = self.store.get((org,), parts[5]).children["messages"]
            return f"list_messages:{org}:{parts[5]}", list(range(len(messages)))
        archived = {"true": True, "false": False}.get((params.get("is_archived") or [""])[-1])
        wanted = self.mock.handlers.filters.wanted("list_sessions", {"is_archived": archived, "tags": params.get("tags")})
        return f"list_sessions:{org}", [list(r.sort_key()) for r in self.store.list((org,), wanted)]

    def request(self, scope, body):
        params = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if scope["method"] != "GET" or "after" not in params:
            return scope, body
        offset = self.resolve(scope, params["after"][-1])
        params.pop("after")
        try:
            name, positions = self.listing(scope, params)
        except Exception:  # no such session: the mock answers 404 whatever the cursor
            name, positions = "", []
        if offset is None:
            params["after"] = ["refused"]
        elif 0 < offset <= len(positions):
            params["after"] = [self.mock.handlers.cursors.issue(name, positions[offset - 1])]
        elif offset > len(positions) and positions:
            params["after"] = [self.mock.handlers.cursors.issue(name, positions[-1])]
        scope["query_string"] = urlencode(params, doseq=True).encode("latin-1")
        scope["offset"] = offset or 0
        return scope, body

    def change(self, data, scope):
        if isinstance(data, dict) and data.get("end_cursor") is not None:
            data["end_cursor"] = self.issue(scope, scope.get("offset", 0) + len(data["items"]))
        return data

    def app(self):
        def is_page(scope, status):
            return status == 200 and scope["method"] == "GET" and scope["path"].endswith(("/sessions", "/messages"))

        return Rewrite(self.mock.app, json_rewrite(is_page, self.change), self.request)


def offset_cursors():
    """Cursors are plain base64 of `{"offset": n}` (as `json.dumps` writes it). The server remembers
    what it issued and refuses anything else, but a cursor it issued for one filter is read as an
    offset under any other."""
    issued: set[str] = set()
    lock = threading.Lock()

    def issue(scope, offset):
        cursor = base64.b64encode(json.dumps({"offset": offset}).encode()).decode()
        with lock:
            issued.add(cursor)
        return cursor

    def resolve(scope, cursor):
        with lock:
            known = cursor in issued
        return json.loads(base64.b64decode(cursor))["offset"] if known else None

    return CursorProxy(issue, resolve).app()


def cursors_bound_to_filters():
    """Cursors are random handles into a server-side table, bound to the list and its filters: a
    cursor reused with other filters is refused with 422."""
    table: dict[str, tuple[str, int]] = {}
    lock = threading.Lock()

    def bound_to(scope) -> str:
        params = query(scope)
        params.pop("after", None)
        params.pop("first", None)
        return json.dumps([scope["path"], sorted((k, sorted(v)) for k, v in params.items())])

    def issue(scope, offset):
        cursor = secrets.token_urlsafe(16)
        with lock:
            table[cursor] = (bound_to(scope), offset)
        return cursor

    def resolve(scope, cursor):
        with lock:
            entry = table.get(cursor)
        return entry[1] if entry and entry[0] == bound_to(scope) else None

    return CursorProxy(issue, resolve).app()


# -- lifecycle readings (§5: updated_at, terminal status_detail, devin's messages) ---------------


class TickingReplying(TickingStore):
    """Every change moves `updated_at` a second on (a version clock, never shared), and Devin answers
    every user message."""

    def insert(self, record):
        self._reply(record)
        return super().insert(record)

    def apply(self, tenant, record_id, change):
        def change_and_reply(record, now):
            before = len(record.children.get("messages", []))
            change(record, now)
            if len(record.children.get("messages", [])) > before:
                self._reply(record)

        return super().apply(tenant, record_id, change_and_reply)

    def _reply(self, record):
        messages = record.children.setdefault("messages", [])
        messages.append({"event_id": f"{record.id}-{len(messages) + 1}", "source": "devin", "message": "On it.",
                         "created_at": self.now()})


def terminate_finishes(document: dict) -> None:
    """Terminate leaves `status_detail` finished (the contract: terminal sessions *may* have a null one)."""
    terminate = document["paths"]["/v3/organizations/{org_id}/sessions/{devin_id}"]["delete"]["x-kit"]
    terminate["set"][0]["then"]["status_detail"] = {"open": "finished"}


def version_clock():
    return mock(TickingReplying, spec_variant(terminate_finishes))


# -- a rate limit (§2: 429 with Retry-After) -----------------------------------------------------


def occasionally_rate_limited(every: int = 400):
    """A gateway that answers every `every`-th request of a token with 429 and `Retry-After: 1`."""
    app = mock()
    counts: dict[str, int] = {}
    lock = threading.Lock()

    async def gateway(scope, receive, send):
        if scope["type"] == "http":
            auth = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
            token = auth.partition(" ")[2].strip()
            if token in KNOWN_TOKENS:
                with lock:
                    counts[token] = counts.get(token, 0) + 1
                    limited = counts[token] % every == 0
                if limited:
                    body = problem(429, "rate_limited", "Rate limited", "Too many requests; retry in 1 s.",
                                   raw_path(scope))
                    await send({"type": "http.response.start", "status": 429, "headers": [
                        (b"content-type", b"application/problem+json"), (b"retry-after", b"1"),
                        (b"content-length", str(len(body)).encode())]})
                    await send({"type": "http.response.body", "body": body})
                    return
        await app(scope, receive, send)

    return gateway


# -- bounds the contract leaves open (x-kit-open): accepted past them ------------------------------


def open_bounds_lifted(node: Any) -> None:
    """Every bound a copy of the spec marks open (`x-kit-open`) removed from it."""
    if isinstance(node, dict):
        for keyword in node.pop("x-kit-open", []):
            del node[keyword]
        children = list(node.values())
    else:
        children = node if isinstance(node, list) else []
    for child in children:
        open_bounds_lifted(child)


def wider_bounds(api: str = "v3"):
    """The mock serving the spec without its open bounds: a longer playbook_id, id or cursor, more
    list filters, a larger max_acu_limit, all accepted."""
    return lambda: mock(spec_path=spec_variant(open_bounds_lifted, APIS[api]))


# -- the workspace API ----------------------------------------------------------------------------


INSTANT = re.compile(r'"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{3})Z"')


def ws_other_readings():
    """Instants in microseconds (the same instants: CONTRACT-workspace §5 'any precision'), label keys
    in reverse order, `application/json; charset=utf-8`, other messages, HEAD on reads."""
    from tests.zoo.workspace import ws_mock

    def request(scope, body):
        if scope["method"] == "HEAD":
            scope = {**scope, "method": "GET", "head": True}
        return scope, body

    def response(scope, status, headers, body):
        if body[:1] == b"{":
            data = json.loads(body)
            if status >= 400:
                data["message"] = f"Refused ({data['type']}): {data['message']}"
            for session in (data.get("data") if "data" in data else [data]) or []:
                if isinstance(session, dict) and isinstance(session.get("labels"), dict):
                    session["labels"] = dict(reversed(list(session["labels"].items())))
            body = INSTANT.sub(lambda m: f'"{m[1]}.{m[2]}000Z"', json.dumps(data)).encode()
            headers = [(k, "application/json; charset=utf-8" if k == "content-type" else v) for k, v in headers]
        if scope.get("head"):
            body = b""
        return status, headers, body

    return Rewrite(ws_mock(TickingStore), response=response, request=request)


CORRECT = [
    Correct("ws:other-readings", ws_other_readings,
            "instants in microseconds and whole seconds apart (any precision, compared as instants), label keys "
            "in another order, a charset on application/json, other messages, HEAD served", api="workspace"),
    Correct("full-responses", full_responses,
            "get/list-only fields populated on every operation, create included (§1 'may return them as null'); "
            "an extra static member; tags kept sorted; `application/json; charset=utf-8`"),
    Correct("reread-writes", lambda: full_responses(fill_create=False),
            "archive, unarchive, terminate and send_message answer the session re-read, get/list-only fields "
            "filled, while create answers them null (§1 'may return them as null')"),
    Correct("reworded-errors", reworded_errors,
            "other titles (fixed per type) and details, RFC 9457 extension members, extra members in `errors` "
            "items, `instance` percent-encoded as sent, a charset on problem+json (§2, §5)"),
    Correct("head-and-options", served_head_and_options,
            "HEAD and OPTIONS served, and listed in `Allow` on 405 in another order (§5); "
            "`WWW-Authenticate: bearer realm=..., error=...` (§5 case-insensitive, parameters allowed)"),
    Correct("other-request-readings", other_request_readings,
            "query booleans `1`/`0`/`yes`/`True`... accepted (§5); an empty body without Content-Type is 415, "
            "not 422 (§5 names both)"),
    Correct("offset-cursors", offset_cursors,
            "cursors are base64 JSON offsets, accepted under other filters once issued (§1, §5)"),
    Correct("cursors-bound-to-filters", cursors_bound_to_filters,
            "cursors are server-side handles; reuse under other filters is a 422 (§5)"),
    Correct("version-clock", version_clock,
            "updated_at jumps a second on every change (§5 'may share', not must); terminated sessions "
            "keep a status_detail (§5 'may have a null'); Devin replies appear in list_messages (§5)"),
    Correct("rate-limited", occasionally_rate_limited, "an occasional 429 with Retry-After (§2)"),
    Correct("wider-bounds", wider_bounds(), "no bound beyond what the contract fixes: a longer playbook_id, "
            "devin_id, org_id and cursor, more and longer tag filters, any max_acu_limit >= 1 (§1, §5)"),
    Correct("ws:wider-bounds", wider_bounds("workspace"), "no bound beyond what the contract fixes: a longer "
            "cursor, any number of label filters (CONTRACT-workspace §1, §5)", api="workspace"),
]
