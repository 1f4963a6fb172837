"""A zoo of deliberately broken sessions APIs: the mock with one contract rule broken in each.

Each entry names the rule it breaks and the contract test meant to catch it. Breaks are made the
way real servers break: a store method that does slightly the wrong thing, a serializer that drops
a field, a middleware or proxy that rewrites answers.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from mock_server import MockConfig, build
from mock_server.auth import DEFAULT_CREDENTIALS, PERMISSIONS, Credential
from mock_server.store import SLEEPABLE, SessionStore


@dataclass(frozen=True)
class Broken:
    name: str
    rule: str  # the rule the failure must name
    select: str  # -k expression selecting the test meant for the rule
    make: Callable[[], Any]  # -> ASGI app
    description: str


def mock(store: SessionStore | None = None, **config: Any) -> Any:
    return build(MockConfig(**config), store=store or SessionStore()).app


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


class ArchiveBumpsUpdatedAt(SessionStore):
    def archive(self, tenant, session_id):
        super().archive(tenant, session_id)
        with self._lock:
            stored = self._find(tenant, session_id)
            stored.updated_at += 1  # "touch" on every archive, changed or not
        return self.get(tenant, session_id)


class UnarchiveBumpsUpdatedAt(SessionStore):
    def unarchive(self, tenant, session_id):
        super().unarchive(tenant, session_id)
        with self._lock:
            self._find(tenant, session_id).updated_at += 1
        return self.get(tenant, session_id)


SNAPSHOT: contextvars.ContextVar = contextvars.ContextVar("snapshot", default=None)


class RacyArchive(SessionStore):
    """Archive decides from a snapshot read before a slow await (see `racy_archive`): concurrent calls
    each see an active session, and each bumps the version clock."""

    def archive(self, tenant, session_id):
        snapshot = SNAPSHOT.get()
        if snapshot is None or snapshot.archived:
            return super().archive(tenant, session_id)

        def stale_change(stored):
            stored.archived = True
            if stored.status in SLEEPABLE:
                stored.status, stored.status_detail = "suspended", "user_request"
            stored.updated_at = max(stored.updated_at, snapshot.updated_at) + 1

        return self._apply(tenant, session_id, stale_change)


def racy_archive():
    store = RacyArchive()
    app = mock(store)

    async def racy(scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"].endswith("/archive"):
            parts = scope["path"].split("/")
            try:
                SNAPSHOT.set(store.get(parts[3], parts[5]))
            except Exception:
                SNAPSHOT.set(None)
            await asyncio.sleep(0.05)  # an audit-log call between the read and the write
        await app(scope, receive, send)

    return racy


class ArchiveKeepsRunning(SessionStore):
    def archive(self, tenant, session_id):
        return self._apply(tenant, session_id, lambda s: setattr(s, "archived", True))


class UnarchiveWakesUp(SessionStore):
    def unarchive(self, tenant, session_id):
        def change(s):
            s.archived = False
            s.status, s.status_detail = "running", "working"

        return self._apply(tenant, session_id, change)


class ArchivedAcceptsMessages(SessionStore):
    @staticmethod
    def _refuse_modification(session, *, terminal_too):
        if terminal_too and session.status in ("exit", "error"):
            from mock_server.store import SessionTerminated

            raise SessionTerminated(session.id, session.tenant)


class TerminatedAcceptsMessages(SessionStore):
    @staticmethod
    def _refuse_modification(session, *, terminal_too):
        if session.archived:
            from mock_server.store import SessionArchived

            raise SessionArchived(session.id, session.tenant)


class MessageDoesNotResume(SessionStore):
    def send_message(self, tenant, session_id, text):
        before = self.get(tenant, session_id)
        super().send_message(tenant, session_id, text)

        def keep(s):
            s.status, s.status_detail = before.status, before.status_detail

        return self._apply(tenant, session_id, keep)


class TerminateIgnoresArchive(SessionStore):
    def terminate(self, tenant, session_id, *, archive=False):
        return super().terminate(tenant, session_id, archive=False)


class NoopWritesBumpUpdatedAt(SessionStore):
    def terminate(self, tenant, session_id, *, archive=False):
        super().terminate(tenant, session_id, archive=archive)
        with self._lock:
            self._find(tenant, session_id).updated_at += 1
        return self.get(tenant, session_id)


class ReplaceTagsAppends(SessionStore):
    def replace_tags(self, tenant, session_id, tags):
        current = self.get(tenant, session_id).tags
        return super().replace_tags(tenant, session_id, list(dict.fromkeys([*current, *tags])))


class CachedList(SessionStore):
    """Lists are served from a cache that lives two seconds."""

    def __init__(self):
        super().__init__()
        self._cache: dict = {}

    def page(self, tenant, *, archived=None, tags=(), after=None, first=100):
        key = (tenant, archived, tuple(sorted(tags)), tuple(after or ()), first)
        hit = self._cache.get(key)
        if hit and time.monotonic() - hit[0] < 2:
            return hit[1]
        result = super().page(tenant, archived=archived, tags=tags, after=after, first=first)
        self._cache[key] = (time.monotonic(), result)
        return result


class FalseFilterIgnored(SessionStore):
    def page(self, tenant, *, archived=None, **kwargs):
        return super().page(tenant, archived=None if archived is False else archived, **kwargs)


def _page_of(ordered, after, first):
    """A page of an already ordered list of sessions, as SessionStore.page answers."""
    if after is not None:
        ordered = [s for s in ordered if s.sort_key() < tuple(after)]
    return ordered[:first], len(ordered), len(ordered) > first


class TagsMatchAny(SessionStore):
    def page(self, tenant, *, archived=None, tags=(), after=None, first=100):
        tags = list(tags)
        if len(tags) <= 1:
            return super().page(tenant, archived=archived, tags=tags, after=after, first=first)
        seen, merged = set(), []
        for tag in tags:
            for s in super().list(tenant, archived=archived, tags=[tag]):
                if s.id not in seen:
                    seen.add(s.id)
                    merged.append(s)
        merged.sort(key=lambda s: s.sort_key(), reverse=True)
        return _page_of(merged, after, first)


class OldestFirst(SessionStore):
    def page(self, tenant, *, archived=None, tags=(), after=None, first=100):
        matches = list(reversed(super().page(tenant, archived=archived, tags=tags, first=self.limits.max_sessions)[0]))
        return matches[:first], len(matches), len(matches) > first


class ForeignSessionsVisible(SessionStore):
    def _find(self, tenant, session_id):
        # looks the id up across all organizations
        found = next((s for (_, sid), s in self._sessions.items() if sid == session_id), None)
        return found if found is not None else super()._find(tenant, session_id)


class ArchiveArchivesSiblings(SessionStore):
    """Archive is applied to every session sharing the first tag (a bulk update gone wrong)."""

    def archive(self, tenant, session_id):
        target = self.get(tenant, session_id)
        if target.tags:
            for other in super().list(tenant, tags=[target.tags[0]]):
                if other.id != session_id:
                    super().archive(tenant, other.id)
        return super().archive(tenant, session_id)


class CreatedIdUppercased(SessionStore):
    """create answers the id in another spelling than the one it stores: links lead nowhere."""

    def create(self, *args, **kwargs):
        session = super().create(*args, **kwargs)
        session.id = session.id.upper().replace("DEVIN-", "devin-")
        return session


class NewSessionsAreNew(SessionStore):
    def create(self, *args, **kwargs):
        session = super().create(*args, **kwargs)
        with self._lock:
            stored = self._find(session.tenant, session.id)
            stored.status, stored.status_detail = "new", None
        return self.get(session.tenant, session.id)


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


def viewer_may_manage():
    credentials = tuple(Credential(c.token, c.org, PERMISSIONS, c.name) for c in DEFAULT_CREDENTIALS)
    return mock(credentials=credentials)


def org_taken_from_token():
    """The organization in the path is ignored: the token's own is used."""
    owners = {c.token: c.org for c in DEFAULT_CREDENTIALS}

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


class ForeignSessionsVisibleToOther(SessionStore):
    """Lookups made for org-other search every organization (a cross-tenant support view left on)."""

    def _find(self, tenant, session_id):
        if tenant == "org-other":
            found = next((s for (_, sid), s in self._sessions.items() if sid == session_id), None)
            if found is not None:
                return found
        return super()._find(tenant, session_id)


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
    Broken("archive-bumps-updated-at", "archive_is_idempotent", "test_archive_is_idempotent and not interleaved",
           lambda: mock(ArchiveBumpsUpdatedAt()), "archive touches updated_at on every call"),
    Broken("unarchive-bumps-updated-at", "unarchive_is_idempotent", "test_unarchive_is_idempotent",
           lambda: mock(UnarchiveBumpsUpdatedAt()), "unarchive touches updated_at on every call"),
    Broken("racy-archive", "concurrent_archives_agree", "test_concurrent_archives_agree",
           racy_archive, "archive reads, sleeps, writes: concurrent calls answer different bodies"),
    Broken("archive-response-drops-title", "write_agrees_with_read", "test_write_agrees_with_read",
           archive_response_drops_title, "the archive response serializer drops the title"),
    Broken("archive-keeps-running", "archive_puts_session_to_sleep", "test_archive_puts_session_to_sleep",
           lambda: mock(ArchiveKeepsRunning()), "archive does not put a running session to sleep"),
    Broken("unarchive-wakes-up", "unarchive_keeps_status", "test_unarchive_keeps_status",
           lambda: mock(UnarchiveWakesUp()), "unarchive resets the status to running"),
    Broken("archived-accepts-messages", "archived_session_refuses_modification",
           "test_archived_session_refuses_modification",
           lambda: mock(ArchivedAcceptsMessages()), "an archived session accepts messages and tag changes"),
    Broken("terminated-accepts-messages", "terminated_session_refuses_messages",
           "test_terminated_session_refuses_messages",
           lambda: mock(TerminatedAcceptsMessages()), "a terminated session accepts messages"),
    Broken("message-does-not-resume", "message_resumes_session", "test_message_resumes_session",
           lambda: mock(MessageDoesNotResume()), "a message leaves a suspended session suspended"),
    Broken("terminate-ignores-archive", "terminate_ends_session", "test_terminate_ends_session",
           lambda: mock(TerminateIgnoresArchive()), "terminate?archive=true does not archive"),
    Broken("noop-terminate-bumps-updated-at", "updated_at_is_monotonic", "test_updated_at_is_monotonic",
           lambda: mock(NoopWritesBumpUpdatedAt()), "terminating a terminated session moves updated_at"),
    Broken("replace-tags-appends", "replace_tags_sets_tags", "test_replace_tags_sets_tags",
           lambda: mock(ReplaceTagsAppends()), "replace_tags adds to the tags instead of replacing them"),
    Broken("archive-archives-siblings", "other_sessions_untouched", "test_other_sessions_untouched",
           lambda: mock(ArchiveArchivesSiblings()), "archive also archives sessions sharing its first tag"),
    Broken("new-sessions-are-new", "new_session_is_running", "test_new_session_is_running",
           lambda: mock(NewSessionsAreNew()), "a created session starts as new, not running"),
    Broken("messages-newest-first", "messages_start_with_prompt", "test_messages_start_with_prompt",
           messages_newest_first, "messages are listed newest first"),
    Broken("cached-list", "reads_see_writes", "test_reads_see_writes",
           lambda: mock(CachedList()), "list_sessions is served from a two-second cache"),
    Broken("false-filter-ignored", "is_archived_filter_is_exact", "test_is_archived_filter_is_exact",
           lambda: mock(FalseFilterIgnored()), "is_archived=false lists archived sessions too"),
    Broken("tags-match-any", "tags_filter_matches_all", "test_tags_filter_matches_all",
           lambda: mock(TagsMatchAny()), "tags=a&tags=b matches sessions with either tag"),
    Broken("cursor-skips-an-item", "pagination_returns_each_once", "test_pagination_returns_each_once and not any",
           cursor_skips_an_item, "resuming from a cursor skips one session"),
    Broken("total-counts-the-page", "page_is_consistent", "test_page_is_consistent",
           total_counts_the_page, "total counts the page, not all matches"),
    Broken("oldest-first", "list_is_newest_first", "test_list_is_newest_first",
           lambda: mock(OldestFirst()), "sessions are listed oldest first"),
    Broken("unknown-cursor-restarts", "unissued_cursor_is_422", "test_unissued_cursor_is_422",
           unknown_cursor_restarts, "a cursor the server never issued restarts the list"),
    Broken("no-www-authenticate", "requires_authentication", "test_requires_authentication and not before",
           without_header(401, "www-authenticate"), "401 without WWW-Authenticate"),
    Broken("viewer-may-manage", "requires_permission", "test_requires_permission",
           viewer_may_manage, "a ViewOrgSessions token may archive, message, terminate"),
    Broken("org-taken-from-token", "org_boundary_is_403", "test_org_boundary_is_403",
           org_taken_from_token, "the path's organization is ignored in favour of the token's"),
    Broken("foreign-sessions-visible", "foreign_session_is_not_found", "test_foreign_session_is_not_found and not absent",
           lambda: mock(ForeignSessionsVisible()), "another organization's session is visible by id"),
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
    Broken("get-lacks-acus", "conforms_to_spec", "test_conforms_to_spec",
           responses_lack_acus, "get_session omits a required field (acus_consumed)"),
    Broken("created-id-unusable", "links_conform", "test_links_conform",
           lambda: mock(CreatedIdUppercased()), "create answers an id spelling that get_session does not know"),
    Broken("foreign-visible-to-other", "foreign_session_is_not_found",
           "test_foreign_session_is_not_found_from_the_other_side",
           lambda: mock(ForeignSessionsVisibleToOther()), "org-other's token reads org-mock's sessions by id"),
    Broken("other-token-mapped", "org_boundary_is_403", "test_org_boundary_is_403_from_the_other_side",
           other_token_mapped_on_mock_org, "org-other's token is let into org-mock's paths"),
    Broken("naive-json-audit", "no_server_error_on_bad_input", "test_no_server_error_on_bad_input_body",
           crashes_on(_audit_json), "an audit hook parses bodies with the declared charset and no depth limit"),
    Broken("naive-charset", "no_server_error_on_bad_input", "test_no_server_error_on_bad_input_charset",
           crashes_on(_audit_json), "a body declared as charset=rot13 crashes the decoder"),
    Broken("naive-page-size", "no_server_error_on_bad_input", "test_no_server_error_on_bad_input_query",
           crashes_on(_audit_first), "first= with 5000 digits, or ², crashes int()"),
    Broken("naive-unicode", "no_server_error_on_bad_input", "test_no_server_error_on_bad_input_body",
           crashes_on(_audit_text), "a lone surrogate in a string crashes the UTF-8 encoder"),
    Broken("model:archived-accepts-messages", "archived_session_refuses_modification", "test_behaves_like_model",
           lambda: mock(ArchivedAcceptsMessages()), "the model-based test finds the same break"),
    Broken("model:tags-match-any", "tags_filter_matches_all", "test_behaves_like_model",
           lambda: mock(TagsMatchAny()), "the model-based test finds the same break"),
]
