"""A zoo of deliberately broken sessions APIs: the mock with one contract rule broken in each.

Each entry names the rule it breaks and the contract test meant to catch it. Breaks are made the
way real servers break: a lifecycle rule written wrong (the mock serving a copy of the spec whose
declaration says something else, while the suite checks the real one), a store that does slightly
the wrong thing, a serializer that drops a field, a middleware or proxy that rewrites answers.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import yaml

from api_model import DEFAULT_SPEC, load
from mock_server import MockConfig, build
from mock_server.store import Store

SPEC = yaml.safe_load(DEFAULT_SPEC.read_text())
UPDATED = "updated_at"


@dataclass(frozen=True)
class Broken:
    name: str
    rule: str  # the rule the failure must name
    select: str  # -k expression selecting the test meant for the rule
    make: Callable[[], Any]  # -> ASGI app
    description: str
    api: str = "v3"  # which shipped API it serves (and the suite checks)


def mock(store_class: type[Store] = Store, spec_path: Path = DEFAULT_SPEC, **config: Any) -> Any:
    return build(MockConfig(spec_path=spec_path, **config), store_class=store_class).app


def spec_variant(edit: Callable[[dict], None], spec: Path = DEFAULT_SPEC) -> Path:
    """A copy of the spec whose document `edit` changed (its data files still the shipped ones)."""
    document = copy.deepcopy(SPEC) if spec == DEFAULT_SPEC else yaml.safe_load(spec.read_text())
    edit(document)
    document["x-kit"]["mock"] = {name: str(spec.parent / path) for name, path in document["x-kit"]["mock"].items()}
    path = Path(tempfile.mkdtemp(prefix="zoo-spec-")) / "openapi.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def declared(op_id: str, edit: Callable[[dict], None], store_class: type[Store] = Store,
             spec: Path = DEFAULT_SPEC) -> Callable[[], Any]:
    """A mock serving a spec whose declaration of `op_id` `edit` changed."""

    def make() -> Any:
        def change(document: dict) -> None:
            for path_item in document["paths"].values():
                for operation in path_item.values():
                    if isinstance(operation, dict) and operation.get("operationId") == op_id:
                        edit(operation["x-kit"])

        return mock(store_class, spec_variant(change, spec))

    return make


class TickingStore(Store):
    """A clock that moves a second at every look: two writes never share an instant."""

    def now(self) -> float:
        self._tick = getattr(self, "_tick", super().now()) + 1
        return self._tick


def touches_updated_at(behaviour: dict) -> None:
    behaviour["set"].append({"then": {UPDATED: {"from": "now"}}})


# -- a response-rewriting middleware, as a proxy in front of the API would be ------------------


class Rewrite:
    """Buffer each answer and let `response(request, status, headers, body)` rewrite it; `request(scope, body)`
    may rewrite the request first."""

    def __init__(self, app, response=None, request=None):
        self.app, self.on_response, self.on_request = app, response, request

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if self.on_request:
            scope, body = self.on_request(dict(scope), body)
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        started: dict = {}
        parts: list[bytes] = []

        async def capture(message):
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))

        await self.app(scope, replay, capture)
        status = started["status"]
        headers = [(k.decode().lower(), v.decode()) for k, v in started.get("headers", [])]
        out = b"".join(parts)
        if self.on_response:
            status, headers, out = self.on_response(scope, status, headers, out)
        headers = [(k, v) for k, v in headers if k != "content-length"] + [("content-length", str(len(out)))]
        await send({"type": "http.response.start", "status": status,
                    "headers": [(k.encode(), v.encode()) for k, v in headers]})
        await send({"type": "http.response.body", "body": out})


def json_rewrite(match: Callable[[dict, int], bool], change: Callable[[Any, dict], Any]):
    def response(scope, status, headers, body):
        if match(scope, status):
            try:
                data = json.loads(body)
            except ValueError:
                return status, headers, body
            body = json.dumps(change(data, scope)).encode()
        return status, headers, body

    return response


def is_op(method: str, suffix: str | None):
    def match(scope, status):
        path = scope["path"]
        if scope["method"] != method or status != 200:
            return False
        if suffix is None:
            return path.endswith("/sessions")
        if suffix == "":
            return "/sessions/" in path and path.count("/") == 5
        return path.endswith(suffix)

    return match


def query(scope) -> dict:
    return parse_qs(scope.get("query_string", b"").decode())


# -- broken stores --------------------------------------------------------------------------


SNAPSHOT: contextvars.ContextVar = contextvars.ContextVar("snapshot", default=None)


class RacyStore(Store):
    """Archive decides from a snapshot read before a slow await (see `racy_archive`): concurrent calls
    each see an active session, and each bumps the version clock."""

    def apply(self, tenant, record_id, change):
        snapshot = SNAPSHOT.get()
        if snapshot is None or snapshot.fields["is_archived"]:
            return super().apply(tenant, record_id, change)

        with self._lock:  # writes what it decided from the stale read, and bumps the version clock
            stored = self._find(tenant, record_id)
            record = snapshot.copy()
            change(record, self.now())
            record.fields[UPDATED] = max(stored.fields[UPDATED], snapshot.fields[UPDATED]) + 1
            self._remove(stored)
            self._insert(record)
            return record.copy()


def racy_archive():
    mock_app = build(MockConfig(), store_class=RacyStore)
    store = mock_app.store

    async def racy(scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"].endswith("/archive"):
            parts = scope["path"].split("/")
            try:
                SNAPSHOT.set(store.get((parts[3],), parts[5]))
            except Exception:
                SNAPSHOT.set(None)
            await asyncio.sleep(0.05)  # an audit-log call between the read and the write
        await mock_app.app(scope, receive, send)

    return racy


def without_archive_refusals(behaviour: dict) -> None:
    behaviour["refuse"] = [r for r in behaviour.get("refuse", []) if "is_archived" not in r["when"]]


def replace_tags_appends():
    built = build(MockConfig())

    def request(scope, body):
        if scope["method"] == "PUT" and scope["path"].endswith("/tags"):
            parts = scope["path"].split("/")
            data = json.loads(body)
            current = built.store.get((parts[3],), parts[5]).fields["tags"]
            data["tags"] = list(dict.fromkeys([*current, *data["tags"]]))
            body = json.dumps(data).encode()
        return scope, body

    return Rewrite(built.app, request=request)


class CachedList(Store):
    """Lists are served from a cache that lives two seconds."""

    def page(self, tenant, wanted=(), *, after=None, first=100):
        cache = self.__dict__.setdefault("_cache", {})
        key = (tenant, tuple(sorted(map(repr, wanted))), tuple(after or ()), first)
        hit = cache.get(key)
        if hit and time.monotonic() - hit[0] < 2:
            return hit[1]
        result = super().page(tenant, wanted, after=after, first=first)
        cache[key] = (time.monotonic(), result)
        return result


class FalseFilterIgnored(Store):
    def page(self, tenant, wanted=(), **kwargs):
        return super().page(tenant, [w for w in wanted if w != ("archived", False)], **kwargs)


def _page_of(ordered, after, first):
    """A page of an already ordered list of records, as Store.page answers."""
    if after is not None:
        ordered = [r for r in ordered if r.sort_key() < tuple(after)]
    return ordered[:first], len(ordered), len(ordered) > first


def matching_any(member: str) -> type[Store]:
    """A store whose list filter on `member` matches a record holding any given value, not every one."""

    class MatchAny(Store):
        def page(self, tenant, wanted=(), *, after=None, first=100):
            wanted = list(wanted)
            values = [w for w in wanted if w[0] == member]
            if len(values) <= 1:
                return super().page(tenant, wanted, after=after, first=first)
            others = [w for w in wanted if w[0] != member]
            found = {r.id: r for value in values for r in Store.list(self, tenant, [*others, value])}
            return _page_of(sorted(found.values(), key=lambda r: r.sort_key(), reverse=True), after, first)

    return MatchAny


TagsMatchAny = matching_any("tags")


class OldestFirst(Store):
    def page(self, tenant, wanted=(), *, after=None, first=100):
        matches = list(reversed(super().page(tenant, wanted, first=self.limits.max_sessions)[0]))
        return matches[:first], len(matches), len(matches) > first


class ForeignSessionsVisible(Store):
    def _find(self, tenant, record_id):
        # looks the id up across all organizations
        found = next((r for (_, rid), r in self._records.items() if rid == record_id), None)
        return found if found is not None else super()._find(tenant, record_id)


class ArchiveArchivesSiblings(Store):
    """Archive is applied to every session sharing the first tag (a bulk update gone wrong)."""

    def apply(self, tenant, record_id, change):
        before = self.get(tenant, record_id)
        after = super().apply(tenant, record_id, change)
        if after.fields["is_archived"] and not before.fields["is_archived"] and after.fields["tags"]:
            for other in super().list(tenant, [("tags", after.fields["tags"][0])]):
                if other.id != record_id and not other.fields["is_archived"]:
                    super().apply(tenant, other.id, change)
        return after


class CreatedIdUppercased(Store):
    """create answers the id in another spelling than the one it stores: links lead nowhere."""

    def insert(self, record):
        stored = super().insert(record)
        spelled = stored.id.upper().replace("DEVIN-", "devin-")
        stored.fields["session_id"] = spelled
        stored.id = spelled
        return stored


# -- broken edges (middleware) ----------------------------------------------------------------


def errors_as_plain_json():
    def response(scope, status, headers, body):
        if status >= 400:
            headers = [(k, "application/json" if k == "content-type" else v) for k, v in headers]
        return status, headers, body

    return Rewrite(mock(), response)


def without_header(status_code: int, header: str) -> Callable[[], Any]:
    """A server whose `status_code` answers lack `header` (lower case)."""

    def response(scope, status, headers, body):
        if status == status_code:
            headers = [(k, v) for k, v in headers if k != header]
        return status, headers, body

    return lambda: Rewrite(mock(), response)


def html_404_for_unknown_routes():
    def response(scope, status, headers, body):
        if status == 404 and b'"not_found"' in body:
            return 404, [("content-type", "text/html")], b"<h1>Not Found</h1>"
        return status, headers, body

    return Rewrite(mock(), response)


def content_type_ignored():
    def request(scope, body):
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-type"]
        if body:
            headers.append((b"content-type", b"application/json"))
        scope["headers"] = headers
        return scope, body

    return Rewrite(mock(), request=request)


def malformed_json_is_422():
    def response(scope, status, headers, body):
        if status == 400:
            data = json.loads(body)
            data.update(type="validation_error", title="Validation error", status=422,
                        errors=[{"loc": ["body"], "msg": "Invalid JSON", "type": "json_invalid"}])
            return 422, headers, json.dumps(data).encode()
        return status, headers, body

    return Rewrite(mock(), response)


def only_first_validation_error():
    def response(scope, status, headers, body):
        if status == 422:
            data = json.loads(body)
            data["errors"] = data["errors"][:1]
            return status, headers, json.dumps(data).encode()
        return status, headers, body

    return Rewrite(mock(), response)


def zero_page_size_crashes():
    def response(scope, status, headers, body):
        if query(scope).get("first") == ["0"]:
            data = {"type": "internal_error", "title": "Internal error", "status": 500,
                    "detail": "ZeroDivisionError: division by zero", "instance": scope["path"], "errors": None}
            return 500, [("content-type", "application/problem+json")], json.dumps(data).encode()
        return status, headers, body

    return Rewrite(mock(), response)


def cursor_skips_an_item():
    def change(data, scope):
        if "after" in query(scope) and data.get("items"):
            data["items"] = data["items"][1:]  # off by one when resuming from a cursor
        return data

    return Rewrite(mock(), json_rewrite(is_op("GET", None), change))


def total_counts_the_page():
    def change(data, scope):
        data["total"] = len(data["items"])
        return data

    return Rewrite(mock(), json_rewrite(is_op("GET", None), change))


def unknown_cursor_restarts():
    def request(scope, body):
        params = query(scope)
        after = params.get("after", [""])[0]
        if after and "." not in after:  # not one of ours: start from the beginning
            params.pop("after")
            from urllib.parse import urlencode

            scope["query_string"] = urlencode(params, doseq=True).encode()
        return scope, body

    return Rewrite(mock(), request=request)


def messages_newest_first():
    def change(data, scope):
        data["items"] = list(reversed(data["items"]))
        return data

    return Rewrite(mock(), json_rewrite(is_op("GET", "/messages"), change))


def archive_response_drops_title():
    def change(data, scope):
        data["title"] = None
        return data

    return Rewrite(mock(), json_rewrite(is_op("POST", "/archive"), change))


def responses_lack_acus():
    def change(data, scope):
        if isinstance(data, dict):
            data.pop("acus_consumed", None)
        return data

    return Rewrite(mock(), json_rewrite(lambda scope, status: status == 200 and "/tags" not in scope["path"]
                                        and scope["method"] == "GET" and scope["path"].count("/") == 5, change))


def title_measured_in_bytes():
    """The server checks `title` against 200 UTF-8 bytes instead of 200 code points."""

    def request(scope, body):
        try:
            data = json.loads(body)
        except ValueError:
            return scope, body
        if scope["method"] == "POST" and isinstance(data, dict) and isinstance(data.get("title"), str):
            data["title"] = data["title"].encode("utf-8").decode("latin-1")  # one character per byte
            body = json.dumps(data).encode()
        return scope, body

    return Rewrite(mock(), request=request)


def capped(edit: Callable[[dict], None]) -> Callable[[], Any]:
    """A server with a tighter bound than one the spec promises (the mock serving `edit`'s copy)."""
    return lambda: mock(spec_path=spec_variant(edit))


def _playbook_id_up_to_64(document: dict) -> None:
    document["components"]["schemas"]["CreateSessionRequest"]["properties"]["playbook_id"]["anyOf"][0]["maxLength"] = 64


def _devin_id_up_to_40(document: dict) -> None:
    document["components"]["schemas"]["DevinId"]["maxLength"] = 40


def viewer_may_manage():
    api = load()
    credentials = tuple(replace(c, grants=frozenset(api.kit.grants)) for c in api.default_credentials())
    return mock(credentials=credentials)


def org_taken_from_token():
    """The organization in the path is ignored: the token's own is used."""
    owners = {c.token: c.scope["org_id"][0] for c in load().default_credentials()}

    def request(scope, body):
        auth = dict(scope["headers"]).get(b"authorization", b"").decode()
        org = owners.get(auth.removeprefix("Bearer "))
        parts = scope["path"].split("/")
        if org and len(parts) > 3 and parts[1] == "v3" and parts[2] == "organizations":
            parts[3] = org
            scope["path"] = "/".join(parts)
            scope["raw_path"] = scope["path"].encode()
        return scope, body

    return Rewrite(mock(), request=request)


class ForeignSessionsVisibleToOther(Store):
    """Lookups made for org-other search every organization (a cross-tenant support view left on)."""

    def _find(self, tenant, record_id):
        if tenant == ("org-other",):
            found = next((r for (_, rid), r in self._records.items() if rid == record_id), None)
            if found is not None:
                return found
        return super()._find(tenant, record_id)


def other_token_mapped_on_mock_org():
    """A gateway maps org-other's token to org-mock's admin token on org-mock's paths."""

    def request(scope, body):
        if scope["path"].startswith("/v3/organizations/org-mock/"):
            scope["headers"] = [(k, b"Bearer cog_mock_admin" if k == b"authorization" and v == b"Bearer cog_other_admin"
                                 else v) for k, v in scope["headers"]]
        return scope, body

    return Rewrite(mock(), request=request)


def crashes_on(decode: Callable[[dict, bytes], None]):
    """A server with a request hook that reads the request naively and crashes (500) on what it cannot read."""

    def request(scope, body):
        decode(scope, body)
        return scope, body

    return lambda: Rewrite(mock(), request=request)


def _charset(scope) -> str:
    content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
    return content_type.partition("charset=")[2].strip() or "utf-8"


def _audit_json(scope, body):
    if body:
        try:
            json.loads(body.decode(_charset(scope)))  # RecursionError on deep nesting, LookupError on rot13
        except ValueError:
            pass


def _audit_first(scope, body):
    first = query(scope).get("first", [None])[-1]
    if first is not None and first.isdigit():
        int(first)  # ValueError past 4300 digits, and on "²"


def _audit_text(scope, body):
    try:
        data = json.loads(body) if body else None
    except (ValueError, RecursionError):
        return
    if isinstance(data, dict):
        for value in data.values():
            if isinstance(value, str):
                value.encode("utf-8")  # UnicodeEncodeError on a lone surrogate


ZOO = [
    Broken("archive-bumps-updated-at", "archive_is_idempotent",
           "test_archive_is_idempotent and not interleaved and not active",
           declared("archive_session", touches_updated_at, TickingStore), "archive touches updated_at on every call"),
    Broken("unarchive-bumps-updated-at", "unarchive_is_idempotent", "test_unarchive_is_idempotent and not active",
           declared("unarchive_session", touches_updated_at, TickingStore), "unarchive touches updated_at on every call"),
    Broken("racy-archive", "concurrent_archives_agree", "test_concurrent_archives_agree",
           racy_archive, "archive reads, sleeps, writes: concurrent calls answer different bodies"),
    Broken("archive-response-drops-title", "write_agrees_with_read", "test_write_agrees_with_read",
           archive_response_drops_title, "the archive response serializer drops the title"),
    Broken("archive-keeps-running", "write_follows_lifecycle", "test_write_follows_lifecycle",
           declared("archive_session", lambda b: b.update(set=b["set"][:1])),
           "archive does not put a running session to sleep"),
    Broken("unarchive-wakes-up", "write_follows_lifecycle", "test_write_follows_lifecycle",
           declared("unarchive_session", lambda b: b["set"].append({"then": {"status": "running", "status_detail": "working"}})),
           "unarchive resets the status to running"),
    Broken("archived-accepts-messages", "refusal_follows_lifecycle", "test_refusal_follows_lifecycle",
           declared("send_message", without_archive_refusals), "an archived session accepts messages"),
    Broken("archived-accepts-tags", "refusal_follows_lifecycle", "test_refusal_follows_lifecycle",
           declared("replace_tags", without_archive_refusals), "an archived session accepts tag changes"),
    Broken("terminated-accepts-messages", "refusal_follows_lifecycle", "test_refusal_follows_lifecycle",
           declared("send_message", lambda b: b.update(refuse=b["refuse"][:1])), "a terminated session accepts messages"),
    Broken("message-does-not-resume", "write_follows_lifecycle", "test_write_follows_lifecycle",
           declared("send_message", lambda b: b.update(set=[])), "a message leaves a suspended session suspended"),
    Broken("terminate-ignores-archive", "write_follows_lifecycle", "test_write_follows_lifecycle",
           declared("terminate_session", lambda b: b.update(set=b["set"][:1])), "terminate?archive=true does not archive"),
    Broken("noop-terminate-bumps-updated-at", "updated_at_is_monotonic", "test_updated_at_is_monotonic",
           declared("terminate_session", touches_updated_at, TickingStore), "terminating a terminated session moves updated_at"),
    Broken("replace-tags-appends", "write_follows_lifecycle", "test_write_follows_lifecycle",
           replace_tags_appends, "replace_tags adds to the tags instead of replacing them"),
    Broken("archive-archives-siblings", "other_sessions_untouched", "test_other_sessions_untouched",
           lambda: mock(ArchiveArchivesSiblings), "archive also archives sessions sharing its first tag"),
    Broken("new-sessions-are-new", "new_session_is_initial", "test_new_session_is_initial",
           declared("create_session", lambda b: b["set"][0]["then"].update(status="new", status_detail=None)),
           "a created session starts as new, not running"),
    Broken("messages-newest-first", "children_are_listed_in_order", "test_children_are_listed_in_order",
           messages_newest_first, "messages are listed newest first"),
    Broken("cached-list", "reads_see_writes", "test_reads_see_writes",
           lambda: mock(CachedList), "list_sessions is served from a two-second cache"),
    Broken("false-filter-ignored", "archived_filter_is_exact", "test_archived_filter_is_exact",
           lambda: mock(FalseFilterIgnored), "is_archived=false lists archived sessions too"),
    Broken("tags-match-any", "filters_select_exactly", "test_filters_select_exactly",
           lambda: mock(TagsMatchAny), "tags=a&tags=b matches sessions with either tag"),
    Broken("cursor-skips-an-item", "pagination_returns_each_once",
           "test_pagination_returns_each_once and not any and not children",
           cursor_skips_an_item, "resuming from a cursor skips one session"),
    Broken("total-counts-the-page", "page_is_consistent", "test_page_is_consistent",
           total_counts_the_page, "total counts the page, not all matches"),
    Broken("oldest-first", "list_is_newest_first", "test_list_is_newest_first",
           lambda: mock(OldestFirst), "sessions are listed oldest first"),
    Broken("unknown-cursor-restarts", "unissued_cursor_is_422", "test_unissued_cursor_is_422",
           unknown_cursor_restarts, "a cursor the server never issued restarts the list"),
    Broken("no-www-authenticate", "requires_authentication", "test_requires_authentication and not before",
           without_header(401, "www-authenticate"), "401 without WWW-Authenticate"),
    Broken("viewer-may-manage", "requires_permission", "test_requires_permission",
           viewer_may_manage, "a ViewOrgSessions token may archive, message, terminate"),
    Broken("org-taken-from-token", "tenancy_boundary_is_403", "test_tenancy_boundary_is_403",
           org_taken_from_token, "the path's organization is ignored in favour of the token's"),
    Broken("foreign-sessions-visible", "foreign_session_is_not_found",
           "test_foreign_session_is_not_found and not absent and not other_side",
           lambda: mock(ForeignSessionsVisible), "another organization's session is visible by id"),
    Broken("errors-as-plain-json", "error_is_envelope", "test_error_is_envelope",
           errors_as_plain_json, "errors are served as application/json"),
    Broken("html-404", "unknown_route_is_not_found", "test_unknown_route_is_not_found",
           html_404_for_unknown_routes, "unknown routes answer a framework's HTML 404"),
    Broken("405-without-allow", "wrong_method_is_405_with_allow", "test_wrong_method_is_405_with_allow",
           without_header(405, "allow"), "405 without an Allow header"),
    Broken("content-type-ignored", "wrong_content_type_is_415", "test_wrong_content_type_is_415",
           content_type_ignored, "any content type is read as JSON"),
    Broken("malformed-json-422", "malformed_json_is_400", "test_malformed_json_is_400",
           malformed_json_is_422, "malformed JSON answers 422 instead of 400"),
    Broken("first-validation-error-only", "validation_error_locates_input", "test_validation_error_locates_input",
           only_first_validation_error, "422 lists only the first validation error"),
    Broken("zero-page-size-crashes", "no_server_error_on_bad_input", "test_validation_error_locates_input",
           zero_page_size_crashes, "first=0 crashes with a 500"),
    Broken("title-measured-in-bytes", "limits_follow_the_contract", "test_limits_follow_the_contract",
           title_measured_in_bytes, "title is limited to 200 UTF-8 bytes, not 200 code points"),
    Broken("playbook-id-capped", "limits_follow_the_contract", "test_limits_follow_the_contract",
           capped(_playbook_id_up_to_64), "playbook_id is refused past 64 characters, within the 256 the spec promises"),
    Broken("devin-id-capped", "limits_follow_the_contract", "test_limits_follow_the_contract",
           capped(_devin_id_up_to_40), "a well-formed id of 41 to 64 characters is a 422, not a 404"),
    Broken("get-lacks-acus", "conforms_to_spec", "test_conforms_to_spec",
           responses_lack_acus, "get_session omits a required field (acus_consumed)"),
    Broken("created-id-unusable", "links_conform", "test_links_conform",
           lambda: mock(CreatedIdUppercased), "create answers an id spelling that get_session does not know"),
    Broken("model:archived-accepts-messages", "refusal_follows_lifecycle", "test_behaves_like_model",
           declared("send_message", without_archive_refusals), "the model-based test finds the same break"),
    Broken("model:archive-keeps-running", "write_follows_lifecycle", "test_behaves_like_model",
           declared("archive_session", lambda b: b.update(set=b["set"][:1])), "the model-based test finds the same break"),
    Broken("foreign-visible-to-other", "foreign_session_is_not_found",
           "test_foreign_session_is_not_found_from_the_other_side",
           lambda: mock(ForeignSessionsVisibleToOther), "org-other's token reads org-mock's sessions by id"),
    Broken("other-token-mapped", "tenancy_boundary_is_403", "test_tenancy_boundary_is_403_from_the_other_side",
           other_token_mapped_on_mock_org, "org-other's token is let into org-mock's paths"),
    Broken("naive-json-audit", "no_server_error_on_bad_input", "test_no_server_error_on_bad_input_body",
           crashes_on(_audit_json), "an audit hook parses bodies with the declared charset and no depth limit"),
    Broken("naive-charset", "no_server_error_on_bad_input", "test_no_server_error_on_bad_input_charset",
           crashes_on(_audit_json), "a body declared as charset=rot13 crashes the decoder"),
    Broken("naive-page-size", "no_server_error_on_bad_input", "test_no_server_error_on_bad_input_query",
           crashes_on(_audit_first), "first= with 5000 digits, or ², crashes int()"),
    Broken("naive-unicode", "no_server_error_on_bad_input", "test_no_server_error_on_bad_input_body",
           crashes_on(_audit_text), "a lone surrogate in a string crashes the UTF-8 encoder"),
]

from tests.zoo.workspace import WORKSPACE_ZOO  # noqa: E402  (it builds on the helpers above)

ZOO += WORKSPACE_ZOO
