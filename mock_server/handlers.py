"""Handle stage: the nine v3 operations, one method per operationId.

Requests reach a handler authenticated and valid; the handler calls the store, turns its
lifecycle refusals into envelope errors, and renders the v3 `SessionResponse` shape (the only
place that knows v3 field names).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .auth import Credential
from .envelope import ApiError
from .pagination import CursorCodec, paginate
from .store import LimitExceeded, Session, SessionArchived, SessionNotFound, SessionStore, SessionTerminated

SESSION_PREFIX = "devin-"
# Fields the v3 API fills only on get and list; other operations return them as null.
DETAIL_FIELDS = ("status_detail", "category", "subcategory", "structured_output")


def session_response(session: Session, *, detailed: bool) -> dict[str, Any]:
    attributes = session.attributes
    body = {
        "session_id": session.id,
        "url": attributes.get("url") or f"https://app.devin.ai/sessions/{session.id.removeprefix(SESSION_PREFIX)}",
        "status": session.status,
        "status_detail": session.status_detail,
        "tags": list(session.tags),
        "org_id": session.tenant,
        "created_at": session.created_at,
        "updated_at": session.updated_at,
        "acus_consumed": attributes.get("acus_consumed", 0.0),
        "pull_requests": attributes.get("pull_requests", []),
        "is_archived": session.archived,
        "title": session.title,
        "origin": attributes.get("origin"),
        "category": attributes.get("category"),
        "subcategory": attributes.get("subcategory"),
        "structured_output": attributes.get("structured_output"),
        "playbook_id": attributes.get("playbook_id"),
        "parent_session_id": attributes.get("parent_session_id"),
        "child_session_ids": attributes.get("child_session_ids"),
        "service_user_id": attributes.get("service_user_id"),
        "user_id": attributes.get("user_id"),
    }
    if not detailed:
        body.update(dict.fromkeys(DETAIL_FIELDS))
    return body


Json = tuple[dict[str, Any], int, dict[str, str]]


def ok(body: dict[str, Any]) -> Json:
    # The spec documents problem+json too, so connexion needs the success media type named.
    return body, 200, {"Content-Type": "application/json"}


def message_response(message: Any) -> dict[str, Any]:
    return {"event_id": message.event_id, "source": message.source, "message": message.text, "created_at": message.created_at}


@contextmanager
def lifecycle_errors() -> Iterator[None]:
    """The store's refusals, as the envelope's 404 and 409 answers."""
    try:
        yield
    except SessionNotFound as exc:
        raise ApiError("session_not_found", f"No session {exc.session_id} in organization {exc.tenant}.") from exc
    except SessionArchived as exc:
        raise ApiError("session_archived", f"Session {exc.session_id} is archived: it can be read but not modified.") from exc
    except SessionTerminated as exc:
        raise ApiError("session_terminated", f"Session {exc.session_id} has terminated: it cannot be resumed.") from exc
    except LimitExceeded as exc:
        raise ApiError("limit_exceeded", f"Refused: {exc.reason}. Free room with POST /_mock/reset, "
                                         "or start the mock with higher limits.") from exc


class SessionsApi:
    """The handlers, by operationId; the handle stage calls them with typed arguments."""

    def __init__(self, store: SessionStore, cursors: CursorCodec | None = None) -> None:
        self.store = store
        self.cursors = cursors or CursorCodec()

    async def create_session(self, org_id: str, body: dict[str, Any], credential: Credential | None = None) -> Json:
        with lifecycle_errors():
            session = self.store.create(
                org_id,
                body["prompt"],
                title=body.get("title"),
                tags=body.get("tags", []),
                id_prefix=SESSION_PREFIX,
                attributes={
                    "origin": "api",
                    "playbook_id": body.get("playbook_id"),
                    "max_acu_limit": body.get("max_acu_limit"),
                    "service_user_id": credential.name if credential else None,
                    "acus_consumed": 0.0,
                    "pull_requests": [],
                },
            )
        return ok(session_response(session, detailed=False))

    async def list_sessions(
        self,
        org_id: str,
        first: int = 100,
        after: str | None = None,
        is_archived: bool | None = None,
        tags: list[str] | None = None,
    ) -> Json:
        listing = f"sessions:{org_id}"
        start_after = self.cursors.read(listing, after) if after is not None else None
        sessions, total, more = self.store.page(org_id, archived=is_archived, tags=tags or (), after=start_after, first=first)
        end_cursor = self.cursors.issue(listing, list(sessions[-1].sort_key())) if more and sessions else None
        return ok({
            "items": [session_response(s, detailed=True) for s in sessions],
            "end_cursor": end_cursor,
            "has_next_page": more,
            "total": total,
        })

    async def get_session(self, org_id: str, devin_id: str) -> Json:
        with lifecycle_errors():
            return ok(session_response(self.store.get(org_id, devin_id), detailed=True))

    async def archive_session(self, org_id: str, devin_id: str) -> Json:
        with lifecycle_errors():
            return ok(session_response(self.store.archive(org_id, devin_id), detailed=False))

    async def unarchive_session(self, org_id: str, devin_id: str) -> Json:
        with lifecycle_errors():
            return ok(session_response(self.store.unarchive(org_id, devin_id), detailed=False))

    async def send_message(self, org_id: str, devin_id: str, body: dict[str, Any]) -> Json:
        with lifecycle_errors():
            return ok(session_response(self.store.send_message(org_id, devin_id, body["message"]), detailed=False))

    async def list_messages(self, org_id: str, devin_id: str, first: int = 100, after: str | None = None) -> Json:
        listing = f"messages:{org_id}:{devin_id}"
        start = self.cursors.read(listing, after) + 1 if after is not None else 0
        with lifecycle_errors():
            messages = self.store.get(org_id, devin_id).messages
        numbered = list(enumerate(messages))
        page = paginate(numbered, first=first, start=start, cursor_for=lambda item: self.cursors.issue(listing, item[0]))
        return ok({
            "items": [message_response(message) for _, message in page.items],
            "end_cursor": page.end_cursor,
            "has_next_page": page.has_next_page,
            "total": page.total,
        })

    async def terminate_session(self, org_id: str, devin_id: str, archive: bool = False) -> Json:
        with lifecycle_errors():
            return ok(session_response(self.store.terminate(org_id, devin_id, archive=archive), detailed=False))

    async def replace_tags(self, org_id: str, devin_id: str, body: dict[str, Any]) -> Json:
        with lifecycle_errors():
            return ok({"tags": list(self.store.replace_tags(org_id, devin_id, body["tags"]).tags)})
