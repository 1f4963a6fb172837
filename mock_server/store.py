"""In-memory sessions and their lifecycle rules.

The store knows sessions, tenants and messages, not HTTP or a particular API's field names:
handlers translate. Every public method takes the lock and returns a copy, so concurrent
requests see each change whole and a caller can never mutate the store by accident.

Lists are served from an index kept per tenant (sessions in list order, and the ids holding each
filterable value), so a page costs time in proportion to the page, not to the store. The store
is bounded (`StoreLimits`): a write that would pass a limit is refused whole, with
`LimitExceeded` naming the limit.
"""

from __future__ import annotations

import bisect
import copy
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sortedcontainers import SortedList

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


class LimitExceeded(StoreError):
    """A write would pass one of the store's limits; `reason` says which, in words."""

    def __init__(self, session_id: str, tenant: str, reason: str) -> None:
        super().__init__(session_id, tenant)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class StoreLimits:
    max_sessions: int = 100_000  # across tenants
    max_messages: int = 1_000  # per session
    max_text: int = 200_000_000  # characters of prompts, messages, titles and tags across the store


@dataclass(frozen=True, slots=True)
class Message:
    event_id: str
    source: str  # "user" or "devin"
    text: str
    created_at: int


@dataclass(slots=True)
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

    def text_size(self) -> int:
        """Characters of the text it stores, for the store's `max_text` limit."""
        return (sum(len(m.text) for m in self.messages) + len(self.title or "") + sum(len(t) for t in self.tags))

    def filter_values(self) -> set[tuple[str, Any]]:
        """The (filter, value) pairs a list may select this session by."""
        return {("archived", self.archived), *(("tag", tag) for tag in self.tags)}

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


Key = tuple[int, str]  # a session's place in list order: (created_at, id), listed descending


class TenantIndex:
    """One tenant's sessions in list order, and for each filterable value the ids that hold it."""

    def __init__(self) -> None:
        self.keys: SortedList = SortedList()
        self.holders: dict[tuple[str, Any], set[str]] = {}
        self.key_of: dict[str, Key] = {}

    def add(self, session: Session) -> None:
        key = session.sort_key()
        self.keys.add(key)
        self.key_of[session.id] = key
        for value in session.filter_values():
            self.holders.setdefault(value, set()).add(session.id)

    def remove(self, session: Session) -> None:
        self.keys.discard(self.key_of.pop(session.id))
        for value in session.filter_values():
            holders = self.holders.get(value)
            if holders is not None:
                holders.discard(session.id)
                if not holders:
                    del self.holders[value]

    def select(self, wanted: list[tuple[str, Any]], after: Key | None, first: int) -> tuple[list[str], int, bool]:
        """Ids of the page of `first` matches after `after` (newest first), the number of all
        matches, and whether more follow."""
        end = len(self.keys) if after is None else self.keys.bisect_left(tuple(after))
        if not wanted:
            page = [key[1] for key in reversed(self.keys[max(0, end - first):end])]
            return page, len(self.keys), end - first > 0
        sets = sorted((self.holders.get(value, set()) for value in wanted), key=len)
        matches = sets[0].intersection(*sets[1:]) if len(sets) > 1 else sets[0]
        if len(matches) * 16 < len(self.keys):
            # Few matches: order them alone.
            ordered = sorted(self.key_of[sid] for sid in matches)
            stop = len(ordered) if after is None else bisect.bisect_left(ordered, tuple(after))
            page = [key[1] for key in reversed(ordered[max(0, stop - first):stop])]
            return page, len(matches), stop - first > 0
        # Many matches: walk the list order until the page is full (at most ~16 steps per item).
        page, more = [], False
        for index in range(end - 1, -1, -1):
            sid = self.keys[index][1]
            if sid in matches:
                if len(page) == first:
                    more = True
                    break
                page.append(sid)
        return page, len(matches), more


class SessionStore:
    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] | None = None,
        limits: StoreLimits | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[tuple[str, str], Session] = {}  # (tenant, id) -> session
        self._indexes: dict[str, TenantIndex] = {}
        self._text = 0
        self._clock = clock
        self._new_id = new_id or (lambda: uuid.uuid4().hex)
        self.limits = limits or StoreLimits()

    def now(self) -> int:
        return int(self._clock())

    # -- loading ---------------------------------------------------------------------------

    def replace_all(self, sessions: Iterable[Session]) -> None:
        """Drop every session and load `sessions` (the seed, or a fixtures file). The store keeps
        the objects it is given (no copy: a fixtures file may hold 100 000 sessions)."""
        fresh = list(sessions)
        limits = self.limits
        if len(fresh) > limits.max_sessions:
            raise LimitExceeded("", "", f"{len(fresh)} sessions are more than the limit of {limits.max_sessions}")
        crowded = next((s for s in fresh if len(s.messages) > limits.max_messages), None)
        if crowded is not None:
            raise LimitExceeded(crowded.id, crowded.tenant, f"session {crowded.id} has {len(crowded.messages)} "
                                                            f"messages, more than the limit of {limits.max_messages}")
        text = sum(s.text_size() for s in fresh)
        if text > limits.max_text:
            raise LimitExceeded("", "", f"the sessions hold {text} characters of text, more than the limit of {limits.max_text}")
        # Built aside, swapped in at once: readers never wait for a large load.
        loaded = SessionStore(self._clock, self._new_id, limits)
        for session in fresh:
            loaded._insert(session)
        with self._lock:
            self._sessions, self._indexes, self._text = loaded._sessions, loaded._indexes, loaded._text

    def put(self, session: Session) -> Session:
        """Insert or overwrite one session as given (administration, not a lifecycle step)."""
        with self._lock:
            existing = self._sessions.get((session.tenant, session.id))
            if existing is not None:
                self._remove(existing)
            self._check_room(session, existing)
            self._insert(session.copy())
            return session.copy()

    def override(self, tenant: str, session_id: str, change: Callable[[Session], None]) -> Session:
        """Apply `change` with no lifecycle rule checked (administration); `updated_at` moves if it changed."""
        return self._apply(tenant, session_id, change)

    # -- reads -----------------------------------------------------------------------------

    def get(self, tenant: str, session_id: str) -> Session:
        with self._lock:
            return self._find(tenant, session_id).copy()

    def count(self, tenant: str | None = None) -> int:
        with self._lock:
            if tenant is None:
                return len(self._sessions)
            index = self._indexes.get(tenant)
            return len(index.keys) if index else 0

    def page(
        self,
        tenant: str,
        *,
        archived: bool | None = None,
        tags: Iterable[str] = (),
        after: Key | None = None,
        first: int = 100,
    ) -> tuple[list[Session], int, bool]:
        """The `first` matching sessions after the one at `after`, newest first (created_at, then
        id, both descending); how many match in all; whether more follow."""
        wanted = [("tag", tag) for tag in dict.fromkeys(tags)]
        if archived is not None:
            wanted.append(("archived", archived))
        with self._lock:
            index = self._indexes.get(tenant)
            if index is None:
                return [], 0, False
            ids, total, more = index.select(wanted, after, first)
            return [self._sessions[(tenant, sid)].copy() for sid in ids], total, more

    def list(self, tenant: str, *, archived: bool | None = None, tags: Iterable[str] = ()) -> list[Session]:
        """Every matching session, newest first."""
        return self.page(tenant, archived=archived, tags=tags, first=self.limits.max_sessions)[0]

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
            self._check_room(session, None)
            self._insert(session)
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
            if len(session.messages) >= self.limits.max_messages:
                raise LimitExceeded(session.id, session.tenant,
                                    f"the session holds {len(session.messages)} messages, the limit")
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

    # -- internals (called with the lock held) ---------------------------------------------

    def _find(self, tenant: str, session_id: str) -> Session:
        # Another tenant's session is reported exactly like a missing one.
        session = self._sessions.get((tenant, session_id))
        if session is None:
            raise SessionNotFound(session_id, tenant)
        return session

    def _insert(self, session: Session) -> None:
        # Tenants and tags repeat across sessions: one string each saves memory at 100 000 sessions.
        session.tenant = sys.intern(session.tenant)
        session.tags = [sys.intern(tag) for tag in session.tags]
        self._sessions[(session.tenant, session.id)] = session
        self._indexes.setdefault(session.tenant, TenantIndex()).add(session)
        self._text += session.text_size()

    def _remove(self, session: Session) -> None:
        del self._sessions[(session.tenant, session.id)]
        self._indexes[session.tenant].remove(session)
        self._text -= session.text_size()

    def _check_room(self, session: Session, replacing: Session | None) -> None:
        if replacing is None and len(self._sessions) >= self.limits.max_sessions:
            raise LimitExceeded(session.id, session.tenant,
                                f"the server holds {len(self._sessions)} sessions, the limit")
        grown = session.text_size() - (replacing.text_size() if replacing else 0)
        if grown > 0 and self._text + grown > self.limits.max_text:
            raise LimitExceeded(session.id, session.tenant,
                                f"the server holds {self._text} characters of text, near the limit of {self.limits.max_text}")

    @staticmethod
    def _refuse_modification(session: Session, *, terminal_too: bool) -> None:
        # Archived wins over terminated when both apply.
        if session.archived:
            raise SessionArchived(session.id, session.tenant)
        if terminal_too and session.status in TERMINAL:
            raise SessionTerminated(session.id, session.tenant)

    def _apply(self, tenant: str, session_id: str, change: Callable[[Session], None]) -> Session:
        """Run `change` on a copy, then store it whole, or nothing if a rule or limit refuses;
        `updated_at` moves only if the session really changed."""
        with self._lock:
            stored = self._find(tenant, session_id)
            session = stored.copy()
            change(session)
            if session == stored:
                return session
            session.updated_at = max(session.updated_at, self.now())
            self._check_room(session, stored)
            self._remove(stored)
            self._insert(session)
            return session.copy()
