"""In-memory sessions and their lifecycle rules.

The store knows sessions, tenants and messages, not HTTP or a particular API's field names:
handlers translate. Every public method takes the lock and returns a copy, so concurrent
requests see each change whole and a caller can never mutate the store by accident.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# Statuses that archiving puts to sleep, and those a session never leaves.
SLEEPABLE = frozenset({"new", "claimed", "running", "resuming"})
TERMINAL = frozenset({"exit", "error"})


class StoreError(Exception):
    """A lifecycle rule refused the operation."""

    def __init__(self, session_id: str, tenant: str) -> None:
        super().__init__(session_id, tenant)
        self.session_id = session_id
        self.tenant = tenant


class SessionNotFound(StoreError):
    pass


class SessionArchived(StoreError):
    pass


class SessionTerminated(StoreError):
    pass


@dataclass(frozen=True)
class Message:
    event_id: str
    source: str  # "user" or "devin"
    text: str
    created_at: int


@dataclass
class Session:
    id: str
    tenant: str
    status: str
    status_detail: str | None
    created_at: int
    updated_at: int
    archived: bool = False
    tags: list[str] = field(default_factory=list)
    title: str | None = None
    messages: list[Message] = field(default_factory=list)
    # Descriptive fields the lifecycle never reads (origin, category, pull requests, ...).
    attributes: dict[str, Any] = field(default_factory=dict)

    def sort_key(self) -> tuple[int, str]:
        return (self.created_at, self.id)

    def copy(self) -> Session:
        """A copy sharing nothing mutable with this session (what copy.deepcopy gives, many times faster)."""
        return Session(
            self.id, self.tenant, self.status, self.status_detail, self.created_at, self.updated_at, self.archived,
            list(self.tags), self.title, list(self.messages), _copy_json(self.attributes),
        )


def _copy_json(value: Any) -> Any:
    """A deep copy of JSON-like data (dicts, lists, scalars); anything else is deep-copied."""
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return copy.deepcopy(value)


class SessionStore:
    def __init__(self, clock: Callable[[], float] = time.time, new_id: Callable[[], str] | None = None) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._clock = clock
        self._new_id = new_id or (lambda: uuid.uuid4().hex)

    def now(self) -> int:
        return int(self._clock())

    # -- loading ---------------------------------------------------------------------------

    def replace_all(self, sessions: Iterable[Session]) -> None:
        """Drop every session and load `sessions` (the seed, or a fixtures file)."""
        fresh = {s.id: s.copy() for s in sessions}
        with self._lock:
            self._sessions = fresh

    def put(self, session: Session) -> Session:
        """Insert or overwrite one session as given (administration, not a lifecycle step)."""
        with self._lock:
            self._sessions[session.id] = session.copy()
            return session.copy()

    def override(self, tenant: str, session_id: str, change: Callable[[Session], None]) -> Session:
        """Apply `change` with no lifecycle rule checked (administration); `updated_at` moves if it changed."""
        return self._apply(tenant, session_id, change)

    # -- reads -----------------------------------------------------------------------------

    def get(self, tenant: str, session_id: str) -> Session:
        with self._lock:
            return self._find(tenant, session_id).copy()

    def list(
        self,
        tenant: str,
        *,
        archived: bool | None = None,
        tags: Iterable[str] = (),
    ) -> list[Session]:
        """Matching sessions, newest first (created_at, then id, both descending)."""
        required = set(tags)
        with self._lock:
            matches = [
                s
                for s in self._sessions.values()
                if s.tenant == tenant
                and (archived is None or s.archived == archived)
                and required.issubset(s.tags)
            ]
            matches.sort(key=Session.sort_key, reverse=True)
            return [s.copy() for s in matches]

    # -- lifecycle -------------------------------------------------------------------------

    def create(
        self,
        tenant: str,
        prompt: str,
        *,
        title: str | None = None,
        tags: Iterable[str] = (),
        attributes: dict[str, Any] | None = None,
        id_prefix: str = "",
    ) -> Session:
        now = self.now()
        with self._lock:
            session_id = f"{id_prefix}{self._new_id()}"
            session = Session(
                id=session_id,
                tenant=tenant,
                status="running",
                status_detail="working",
                created_at=now,
                updated_at=now,
                tags=list(tags),
                title=title,
                messages=[Message(f"{session_id}-1", "user", prompt, now)],
                attributes=dict(attributes or {}),
            )
            self._sessions[session_id] = session
            return session.copy()

    def archive(self, tenant: str, session_id: str) -> Session:
        def change(session: Session) -> None:
            session.archived = True
            if session.status in SLEEPABLE:
                session.status, session.status_detail = "suspended", "user_request"

        return self._apply(tenant, session_id, change)

    def unarchive(self, tenant: str, session_id: str) -> Session:
        def change(session: Session) -> None:
            session.archived = False

        return self._apply(tenant, session_id, change)

    def send_message(self, tenant: str, session_id: str, text: str) -> Session:
        def change(session: Session) -> None:
            self._refuse_modification(session, terminal_too=True)
            number = len(session.messages) + 1
            session.messages.append(Message(f"{session.id}-{number}", "user", text, self.now()))
            session.status, session.status_detail = "running", "working"

        return self._apply(tenant, session_id, change)

    def terminate(self, tenant: str, session_id: str, *, archive: bool = False) -> Session:
        def change(session: Session) -> None:
            if session.status not in TERMINAL:
                session.status, session.status_detail = "exit", None
            if archive:
                session.archived = True

        return self._apply(tenant, session_id, change)

    def replace_tags(self, tenant: str, session_id: str, tags: Iterable[str]) -> Session:
        new_tags = list(tags)

        def change(session: Session) -> None:
            self._refuse_modification(session, terminal_too=False)
            session.tags = new_tags

        return self._apply(tenant, session_id, change)

    # -- internals -------------------------------------------------------------------------

    def _find(self, tenant: str, session_id: str) -> Session:
        session = self._sessions.get(session_id)
        # Another tenant's session is reported exactly like a missing one.
        if session is None or session.tenant != tenant:
            raise SessionNotFound(session_id, tenant)
        return session

    @staticmethod
    def _refuse_modification(session: Session, *, terminal_too: bool) -> None:
        # Archived wins over terminated when both apply.
        if session.archived:
            raise SessionArchived(session.id, session.tenant)
        if terminal_too and session.status in TERMINAL:
            raise SessionTerminated(session.id, session.tenant)

    def _apply(self, tenant: str, session_id: str, change: Callable[[Session], None]) -> Session:
        """Run `change` atomically; `updated_at` moves only if the session really changed."""
        with self._lock:
            session = self._find(tenant, session_id)
            before = session.copy()
            change(session)
            if session != before:
                session.updated_at = max(session.updated_at, self.now())
            return session.copy()
