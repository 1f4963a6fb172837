"""A small pure model of the contract's session lifecycle (CONTRACT.md §1 and §5).

No I/O: given a session's state and an operation, it says what the server must answer and what the
session becomes. The model-based tests run random operation sequences on the server and on this
model side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

SLEEPABLE = frozenset({"new", "claimed", "running", "resuming"})
TERMINAL = frozenset({"exit", "error"})


@dataclass(frozen=True)
class State:
    status: str = "running"
    status_detail: str | None = "working"
    is_archived: bool = False
    tags: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()

    @classmethod
    def of(cls, body: dict) -> State:
        return cls(body["status"], body.get("status_detail"), bool(body.get("is_archived")), tuple(body.get("tags") or ()))


@dataclass(frozen=True)
class Outcome:
    http_status: int
    error_type: str | None
    state: State
    changed: bool = field(default=False)

    @property
    def ok(self) -> bool:
        return self.http_status == 200


def create(prompt: str, tags: tuple[str, ...]) -> Outcome:
    return Outcome(200, None, State(tags=tags, messages=(prompt,)), changed=True)


def archive(state: State) -> Outcome:
    new = replace(state, is_archived=True)
    if state.status in SLEEPABLE:
        new = replace(new, status="suspended", status_detail="user_request")
    return Outcome(200, None, new, changed=new != state)


def unarchive(state: State) -> Outcome:
    new = replace(state, is_archived=False)
    return Outcome(200, None, new, changed=new != state)


def send_message(state: State, message: str) -> Outcome:
    # An archived session answers session_archived even when it is also terminated (§5).
    if state.is_archived:
        return Outcome(409, "session_archived", state)
    if state.status in TERMINAL:
        return Outcome(409, "session_terminated", state)
    new = replace(state, status="running", status_detail="working", messages=state.messages + (message,))
    return Outcome(200, None, new, changed=True)


def terminate(state: State, archive_flag: bool | None) -> Outcome:
    new = state
    if state.status not in TERMINAL:
        new = replace(new, status="exit", status_detail=None)
    if archive_flag:
        new = replace(new, is_archived=True)
    changed = (new.status, new.is_archived) != (state.status, state.is_archived)
    return Outcome(200, None, new, changed=changed)


def replace_tags(state: State, tags: tuple[str, ...]) -> Outcome:
    if state.is_archived:
        return Outcome(409, "session_archived", state)
    new = replace(state, tags=tags)
    return Outcome(200, None, new, changed=sorted(new.tags) != sorted(state.tags))


def matches(state: State, *, is_archived: bool | None = None, tags: tuple[str, ...] = ()) -> bool:
    if is_archived is not None and state.is_archived != is_archived:
        return False
    return set(tags) <= set(state.tags)
