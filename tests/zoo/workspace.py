"""Broken workspace sessions APIs: the mock serving `spec/workspace.yaml` with one rule broken in each.

Built as the v3 zoo is (a declaration written wrong, a store doing slightly the wrong thing, a
proxy rewriting requests or answers), for the rules this API adds or words its own way: 201 on
create, 204 on delete and gone after, client-chosen ids, `archived_at`, the creator and usage
invariants, labels, two levels of tenancy and its envelope.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from api_model import APIS, load
from mock_server import MockConfig, build
from mock_server.pagination import CursorCodec
from mock_server.store import Store, Taken
from tests.zoo import (
    Broken,
    FalseFilterIgnored,
    Rewrite,
    TickingStore,
    declared,
    json_rewrite,
    matching_any,
    mock,
    spec_variant,
)

SPEC = APIS["workspace"]
API = "workspace"


def ws_mock(store_class: type[Store] = Store, **config: Any) -> Any:
    return mock(store_class, SPEC, **config)


def ws_declared(op_id: str, edit, store_class: type[Store] = Store):
    return declared(op_id, edit, store_class, SPEC)


def parts(scope) -> list[str]:
    """['', 'api', 'v1', 'org', <org>, 'ws', <workspace>, 'sessions', <id>, <action>]"""
    return scope["path"].split("/")


def is_session_path(scope) -> bool:
    p = parts(scope)
    return len(p) >= 9 and p[7] == "sessions"


def rewrite(response=None, request=None):
    return lambda: Rewrite(ws_mock(), response=response, request=request)


def _shifted(value: str, seconds: float) -> str:
    moved = datetime.fromisoformat(value.replace("Z", "+00:00")) + timedelta(seconds=seconds)
    return moved.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _every_session(change):
    """Apply `change` to every session an answer holds (one, or a page's `data`)."""

    def apply(data, scope):
        sessions = data.get("data") if isinstance(data, dict) and "data" in data else [data]
        for session in sessions or []:
            if isinstance(session, dict) and "id" in session:
                change(session, scope)
        return data

    return apply


def _ok(scope, status):
    return 200 <= status < 300


# -- stores ---------------------------------------------------------------------------------


class DeleteKeepsRecord(Store):
    """Delete answers 204 but only flags the record (a soft delete nobody filters on)."""

    def delete(self, tenant, record_id, check=None):
        self.get(tenant, record_id)


class DeletedStillListed(Store):
    """Deleted records leave the id lookup but stay in the list (a stale search index)."""

    def delete(self, tenant, record_id, check=None):
        record = self.get(tenant, record_id)
        super().delete(tenant, record_id, check)
        self.__dict__.setdefault("_ghosts", []).append(record)

    def page(self, tenant, wanted=(), *, after=None, first=100):
        records, total, more = super().page(tenant, wanted, after=after, first=first)
        ghosts = [g for g in self.__dict__.get("_ghosts", []) if g.tenant == tenant]
        return [*ghosts, *records][:first], total + len(ghosts), more


class TakenIdOverwritten(Store):
    """A create with a taken id replaces the session (an upsert)."""

    def insert(self, record):
        try:
            return super().insert(record)
        except Taken:
            super().delete(record.tenant, record.id)
            return super().insert(record)


class DeletedIdStaysTaken(Store):
    """The ids of deleted sessions are kept in a tombstone table and refused forever."""

    def delete(self, tenant, record_id, check=None):
        super().delete(tenant, record_id, check)
        self.__dict__.setdefault("_tombstones", set()).add((tenant, record_id))

    def insert(self, record):
        if (record.tenant, record.id) in self.__dict__.get("_tombstones", set()):
            raise Taken(record.id, record.tenant)
        return super().insert(record)


class IdsUniqueEverywhere(Store):
    """Chosen ids are unique across all tenants (one global table), not per workspace."""

    def insert(self, record):
        if any(record_id == record.id for _, record_id in self._records):
            raise Taken(record.id, record.tenant)
        return super().insert(record)


class LabelsMerged(Store):
    """An update merges the given labels into the stored ones instead of replacing the map."""

    def apply(self, tenant, record_id, change):
        def merged(record, now):
            before = dict(record.fields.get("labels") or {})
            change(record, now)
            record.fields["labels"] = {**before, **(record.fields.get("labels") or {})}

        return super().apply(tenant, record_id, merged)


class CreatedMovesOnChange(Store):
    """Every change stamps `created_at` too (an upsert that rewrites the whole row)."""

    def apply(self, tenant, record_id, change):
        def restamped(record, now):
            change(record, now)
            record.fields["created_at"] = now

        return super().apply(tenant, record_id, restamped)


class SharedCursors(CursorCodec):
    """Cursors signed for the operation, not for the tenant's list: any workspace's cursor resumes any list."""

    def issue(self, listing, position):
        return super().issue(listing.split(":")[0], position)

    def read(self, listing, cursor, parameter):
        return super().read(listing.split(":")[0], cursor, parameter)


def shared_cursors():
    built = build(MockConfig(spec_path=SPEC))
    built.handlers.cursors = SharedCursors()
    return built.app


# -- proxies ----------------------------------------------------------------------------------


def create_answers_200():
    def response(scope, status, headers, body):
        if scope["method"] == "POST" and scope["path"].endswith("/sessions") and status == 201:
            status = 200
        return status, headers, body

    return rewrite(response)


def delete_answers_the_session():
    """Delete answers 200 with a body, as some frameworks' default does."""

    def response(scope, status, headers, body):
        if scope["method"] == "DELETE" and status == 204:
            return 200, [*headers, ("content-type", "application/json")], json.dumps({"deleted": True}).encode()
        return status, headers, body

    return rewrite(response)


def second_delete_is_204():
    def response(scope, status, headers, body):
        if scope["method"] == "DELETE" and status == 404 and is_session_path(scope):
            return 204, [(k, v) for k, v in headers if k != "content-type"], b""
        return status, headers, body

    return rewrite(response)


def archived_at_before_update():
    """`archived_at` is stamped a second before `updated_at` (two clocks)."""

    def change(session, scope):
        if session.get("archived_at"):
            session["archived_at"] = _shifted(session["archived_at"], -1)

    return rewrite(json_rewrite(_ok, _every_session(change)))


def empty_update_allowed_when_archived():
    """`PATCH {}` is short-circuited to a read before the archived check runs."""

    def request(scope, body):
        if scope["method"] == "PATCH" and body.strip() == b"{}":
            scope = {**scope, "method": "GET"}
        return scope, body

    return rewrite(request=request)


def origin_filter_ignored():
    def request(scope, body):
        query = scope.get("query_string", b"").decode()
        kept = "&".join(p for p in query.split("&") if not p.startswith("origin="))
        return {**scope, "query_string": kept.encode()}, body

    return rewrite(request=request)


def creator_without_user_id():
    def change(session, scope):
        session["user_id"] = None

    return rewrite(json_rewrite(_ok, _every_session(change)))


def creator_id_differs():
    def change(session, scope):
        if session.get("creator"):
            session["creator"] = {**session["creator"], "id": session["creator"]["id"] + "-profile"}

    return rewrite(json_rewrite(_ok, _every_session(change)))


def usage_total_is_input():
    def change(session, scope):
        usage = session.get("usage") or {}
        usage["total_tokens"] = usage.get("input_tokens", 0)

    return rewrite(json_rewrite(_ok, _every_session(change)))


def user_sessions_without_creator():
    def change(session, scope):
        session["user_id"] = session["creator"] = None

    return rewrite(json_rewrite(lambda scope, status: status == 201, _every_session(change)))


def envelope_with_title():
    def response(scope, status, headers, body):
        if status >= 400:
            data = json.loads(body)
            data["title"] = data["type"].replace("_", " ").capitalize()
            body = json.dumps(data).encode()
        return status, headers, body

    return rewrite(response)


def errors_as_problem_json():
    def response(scope, status, headers, body):
        if status >= 400:
            headers = [(k, "application/problem+json" if k == "content-type" else v) for k, v in headers]
        return status, headers, body

    return rewrite(response)


def epoch_timestamps():
    def change(session, scope):
        for member in ("created_at", "updated_at", "archived_at"):
            if session.get(member):
                session[member] = int(datetime.fromisoformat(session[member].replace("Z", "+00:00")).timestamp())

    return rewrite(json_rewrite(_ok, _every_session(change)))


def workspace_taken_from_key():
    """The workspace in the path is ignored when the key has one: the key's first is used."""
    first = {c.token: c.scope["workspace"][0] for c in load(SPEC).default_credentials()}

    def request(scope, body):
        auth = dict(scope["headers"]).get(b"authorization", b"").decode()
        workspace = first.get(auth.removeprefix("Bearer "))
        p = parts(scope)
        if workspace and len(p) > 6 and p[5] == "ws":
            p[6] = workspace
            scope = {**scope, "path": "/".join(p), "raw_path": "/".join(p).encode()}
        return scope, body

    return rewrite(request=request)


def malformed_workspace_is_422():
    """Path validation runs before the workspace check: a malformed slug answers 422."""

    def response(scope, status, headers, body):
        p = parts(scope)
        if status == 403 and len(p) > 6 and p[5] == "ws" and not p[6].replace("-", "").isalnum():
            status = 422
            body = json.dumps({"type": "validation_error", "status": 422, "message": "workspace is malformed.",
                               "details": [{"loc": ["path", "workspace"], "msg": "bad slug", "type": "pattern"}]}).encode()
        return status, headers, body

    return rewrite(response)


def bad_label_filter_is_400():
    def response(scope, status, headers, body):
        if status == 422 and b'"label"' in body:
            body = json.dumps({"type": "bad_request", "status": 400, "message": "Bad label filter.", "details": None}).encode()
            status = 400
        return status, headers, body

    return rewrite(response)


def ws_spec_variant(edit):
    """The mock serving a copy of the workspace spec that `edit` changed."""
    return lambda: mock(Store, spec_variant(edit, SPEC))


def _labels_up_to_21(document):
    document["components"]["schemas"]["Labels"]["maxProperties"] = 21


def _label_filter_up_to_20(document):
    listing = document["paths"]["/api/v1/org/{org}/ws/{workspace}/sessions"]["get"]
    next(p for p in listing["parameters"] if p.get("name") == "label")["schema"]["maxItems"] = 20


def chosen_id_lowercased():
    """A chosen id in uppercase is quietly lowercased instead of refused."""

    def request(scope, body):
        if scope["method"] == "POST" and scope["path"].endswith("/sessions") and body[:1] == b"{":
            data = json.loads(body)
            if isinstance(data.get("session_id"), str):
                data["session_id"] = data["session_id"].lower()
                body = json.dumps(data).encode()
        return scope, body

    return rewrite(request=request)


def reader_may_write():
    api = load(SPEC)
    credentials = tuple(replace(c, grants=frozenset(api.kit.grants)) for c in api.default_credentials())
    return lambda: ws_mock(credentials=credentials)


def _without_refusals(behaviour: dict) -> None:
    behaviour["refuse"] = []


def _refuse_when_archived(behaviour: dict) -> None:
    behaviour["refuse"] = [{"when": {"archived_at": {"not": [None]}}, "error": "session_archived"}]


def _unarchive_never_clears(behaviour: dict) -> None:
    behaviour["set"] = [{"when": {"origin": "nobody"}, "then": {"archived_at": None}}]


def _archive_always_stamps(behaviour: dict) -> None:
    behaviour["set"] = [{"then": {"archived_at": {"from": "now"}}}]


def _eval_sessions_get_a_creator(behaviour: dict) -> None:
    """The create's creator rule loses its condition: every origin gets the key's user."""
    behaviour["set"] = [e for e in behaviour["set"] if e.get("when") != {"origin": {"not": ["user"]}}]
    for effect in behaviour["set"]:
        if effect.get("when") == {"origin": "user"}:
            del effect["when"]


WORKSPACE_ZOO = [Broken(*entry, api=API) for entry in [
    ("ws:create-answers-200", "new_session_is_initial", "test_new_session_is_initial",
     create_answers_200(), "create answers 200, not 201"),
    ("ws:delete-answers-a-body", "write_follows_lifecycle", "test_deleted_session_is_gone",
     delete_answers_the_session(), "delete answers 200 with a body, not 204"),
    ("ws:deleted-still-readable", "deleted_session_is_gone", "test_deleted_session_is_gone",
     lambda: ws_mock(DeleteKeepsRecord), "a deleted session can still be read"),
    ("ws:deleted-still-listed", "deleted_session_is_gone", "test_deleted_session_is_gone",
     lambda: ws_mock(DeletedStillListed), "a deleted session is still listed"),
    ("ws:second-delete-204", "deleted_session_is_gone", "test_deleted_session_is_gone",
     second_delete_is_204(), "deleting a deleted session answers 204, not 404"),
    ("ws:taken-id-overwritten", "taken_id_is_409", "test_taken_id_is_409",
     lambda: ws_mock(TakenIdOverwritten), "a create with a taken id replaces the session"),
    ("ws:deleted-id-stays-taken", "taken_id_is_409", "test_taken_id_is_409",
     lambda: ws_mock(DeletedIdStaysTaken), "the id of a deleted session is refused forever"),
    ("ws:ids-unique-everywhere", "taken_id_is_409", "test_taken_id_is_409",
     lambda: ws_mock(IdsUniqueEverywhere), "a chosen id used in another organization's workspace is refused"),
    ("ws:archived-refuses-delete", "write_follows_lifecycle", "test_deleted_session_is_gone",
     ws_declared("delete_session", _refuse_when_archived), "an archived session cannot be deleted"),
    ("ws:rearchive-moves-archived-at", "archive_is_idempotent", "test_archive_is_idempotent and not active",
     ws_declared("archive_session", _archive_always_stamps, TickingStore), "a repeated archive moves archived_at"),
    ("ws:unarchive-keeps-archived-at", "write_follows_lifecycle", "test_write_follows_lifecycle",
     ws_declared("unarchive_session", _unarchive_never_clears), "unarchive leaves archived_at set"),
    ("ws:archived-at-before-update", "write_follows_lifecycle", "test_write_follows_lifecycle",
     archived_at_before_update(), "archived_at and updated_at are not the same instant"),
    ("ws:archived-accepts-updates", "refusal_follows_lifecycle", "test_refusal_follows_lifecycle",
     ws_declared("update_session", _without_refusals), "an archived session accepts updates"),
    ("ws:empty-update-when-archived", "refusal_follows_lifecycle", "test_refusal_follows_lifecycle",
     empty_update_allowed_when_archived(), "PATCH {} on an archived session answers 200"),
    ("ws:labels-merged", "write_follows_lifecycle", "test_write_follows_lifecycle",
     lambda: ws_mock(LabelsMerged), "an update merges labels instead of replacing the map"),
    ("ws:eval-sessions-get-a-creator", "new_session_is_initial", "test_new_session_is_initial or test_write_follows",
     ws_declared("create_session", _eval_sessions_get_a_creator), "every session gets the key's user as creator"),
    ("ws:user-sessions-without-creator", "new_session_is_initial", "test_new_session_is_initial",
     user_sessions_without_creator(), "a session of origin user has no creator"),
    ("ws:creator-without-user-id", "representation_keeps_invariants", "test_representation_keeps_invariants",
     creator_without_user_id(), "user_id is dropped, creator kept"),
    ("ws:creator-id-differs", "representation_keeps_invariants", "test_representation_keeps_invariants",
     creator_id_differs(), "creator.id is another id than user_id"),
    ("ws:usage-total-is-input", "representation_keeps_invariants", "test_representation_keeps_invariants",
     usage_total_is_input(), "total_tokens counts input tokens only"),
    ("ws:labels-match-any", "filters_select_exactly", "test_filters_select_exactly",
     lambda: ws_mock(matching_any("labels")), "label=a:x&label=b:y matches either"),
    ("ws:origin-filter-ignored", "filters_select_exactly", "test_filters_select_exactly",
     origin_filter_ignored(), "the origin filter is ignored"),
    ("ws:false-filter-ignored", "archived_filter_is_exact", "test_archived_filter_is_exact",
     lambda: ws_mock(FalseFilterIgnored), "archived=false lists archived sessions too"),
    ("ws:cursor-of-another-workspace", "unissued_cursor_is_422", "test_unissued_cursor_is_422_from_another_tenant",
     shared_cursors, "a cursor issued for another workspace's list resumes this one"),
    ("ws:created-at-moves", "updated_at_is_monotonic", "test_updated_at_is_monotonic",
     lambda: ws_mock(CreatedMovesOnChange), "every change moves created_at"),
    ("ws:bad-label-filter-400", "validation_error_locates_input", "test_validation_error_locates_input",
     bad_label_filter_is_400(), "a malformed label filter answers 400, not a located 422"),
    ("ws:21-label-keys", "limits_follow_the_contract", "test_limits_follow_the_contract",
     ws_spec_variant(_labels_up_to_21), "21 label keys are accepted"),
    ("ws:label-filter-capped", "limits_follow_the_contract", "test_limits_follow_the_contract",
     ws_spec_variant(_label_filter_up_to_20), "more than 20 label filters are a 422, within the 200 the spec promises"),
    ("ws:chosen-id-lowercased", "validation_error_locates_input", "test_validation_error_locates_input",
     chosen_id_lowercased(), "a chosen id in uppercase is lowercased, not refused"),
    ("ws:reader-may-write", "requires_permission", "test_requires_permission",
     reader_may_write(), "a reader key may create, update, archive and delete"),
    ("ws:workspace-from-key", "tenancy_boundary_is_403", "test_tenancy_boundary_is_403",
     workspace_taken_from_key(), "the path's workspace is ignored in favour of the key's first"),
    ("ws:malformed-workspace-422", "tenancy_boundary_is_403", "test_tenancy_boundary_is_403",
     malformed_workspace_is_422(), "a malformed workspace slug answers 422, not 403"),
    ("ws:envelope-with-title", "error_is_envelope", "test_error_is_envelope",
     envelope_with_title(), "errors carry a fifth member, title"),
    ("ws:errors-as-problem-json", "error_is_envelope", "test_error_is_envelope",
     errors_as_problem_json(), "errors are served as application/problem+json"),
    ("ws:epoch-timestamps", "conforms_to_spec", "test_conforms_to_spec",
     epoch_timestamps(), "timestamps are epoch seconds, not RFC 3339"),
    ("ws:model:archived-accepts-updates", "refusal_follows_lifecycle", "test_behaves_like_model",
     ws_declared("update_session", _without_refusals), "the model-based test finds the same break"),
]]
