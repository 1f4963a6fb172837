"""Lifecycle rules of the in-memory store (CONTRACT.md section 1 and the precise points of 5)."""

from __future__ import annotations

import threading

import pytest

from mock_server.store import (
    LimitExceeded,
    Session,
    SessionArchived,
    SessionNotFound,
    SessionStore,
    SessionTerminated,
    StoreLimits,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> SessionStore:
    return SessionStore(clock=clock)


def make(store: SessionStore, status: str, detail: str | None = None, **fields) -> Session:
    session = Session(id=f"devin-{status}{len(fields)}", tenant="org-a", status=status, status_detail=detail,
                      created_at=10, updated_at=10, **fields)
    return store.put(session)


def test_new_session_is_running_working_with_prompt_as_first_message(store, clock):
    session = store.create("org-a", "do it", title="T", tags=["x"], id_prefix="devin-")
    assert (session.status, session.status_detail, session.archived) == ("running", "working", False)
    assert session.id.startswith("devin-")
    assert [(m.source, m.text) for m in session.messages] == [("user", "do it")]
    assert session.created_at == session.updated_at == 1000


@pytest.mark.parametrize("status", ["new", "claimed", "running", "resuming"])
def test_archive_puts_an_awake_session_to_sleep(store, status):
    make(store, status, "working" if status == "running" else None)
    archived = store.archive("org-a", f"devin-{status}0")
    assert (archived.status, archived.status_detail, archived.archived) == ("suspended", "user_request", True)


@pytest.mark.parametrize(("status", "detail"), [("suspended", "inactivity"), ("exit", None), ("error", "error")])
def test_archive_keeps_other_statuses_and_details(store, status, detail):
    make(store, status, detail)
    archived = store.archive("org-a", f"devin-{status}0")
    assert (archived.status, archived.status_detail, archived.archived) == (status, detail, True)


def test_archive_is_idempotent_and_moves_updated_at_only_on_change(store, clock):
    session = store.create("org-a", "p")
    clock.now += 50
    first = store.archive("org-a", session.id)
    clock.now += 50
    second = store.archive("org-a", session.id)
    assert first == second
    assert first.updated_at == 1050


def test_unarchive_keeps_status_and_is_idempotent(store, clock):
    session = store.create("org-a", "p")
    store.archive("org-a", session.id)
    clock.now += 5
    first = store.unarchive("org-a", session.id)
    clock.now += 5
    assert store.unarchive("org-a", session.id) == first
    assert (first.archived, first.status, first.updated_at) == (False, "suspended", 1005)


def test_archived_session_refuses_messages_and_tags_but_allows_terminate(store):
    session = store.create("org-a", "p")
    store.archive("org-a", session.id)
    with pytest.raises(SessionArchived):
        store.send_message("org-a", session.id, "hello")
    with pytest.raises(SessionArchived):
        store.replace_tags("org-a", session.id, ["a"])
    assert store.terminate("org-a", session.id).status == "exit"


def test_message_resumes_a_suspended_session(store):
    make(store, "suspended", "inactivity")
    resumed = store.send_message("org-a", "devin-suspended0", "go on")
    assert (resumed.status, resumed.status_detail) == ("running", "working")
    assert resumed.messages[-1].source == "user" and resumed.messages[-1].text == "go on"


@pytest.mark.parametrize("status", ["exit", "error"])
def test_terminal_session_refuses_messages(store, status):
    make(store, status)
    with pytest.raises(SessionTerminated):
        store.send_message("org-a", f"devin-{status}0", "hi")


def test_archived_and_terminated_answers_archived(store):
    make(store, "exit", archived=True)
    with pytest.raises(SessionArchived):
        store.send_message("org-a", "devin-exit1", "hi")


def test_terminate_rules(store, clock):
    make(store, "error", "error")
    assert store.terminate("org-a", "devin-error0").status == "error"  # error is kept
    session = store.create("org-a", "p")
    ended = store.terminate("org-a", session.id)
    assert (ended.status, ended.archived) == ("exit", False)
    clock.now += 10
    assert store.terminate("org-a", session.id) == ended  # no-op, updated_at included
    archived = store.terminate("org-a", session.id, archive=True)
    assert archived.archived and archived.updated_at == 1010
    store.unarchive("org-a", session.id)
    assert store.terminate("org-a", session.id, archive=False).archived is False


def test_replace_tags_with_same_list_changes_nothing(store, clock):
    session = store.create("org-a", "p", tags=["a", "b"])
    clock.now += 10
    assert store.replace_tags("org-a", session.id, ["a", "b"]).updated_at == 1000
    assert store.replace_tags("org-a", session.id, ["c"]).updated_at == 1010


def test_replace_tags_allowed_on_terminal_session(store):
    make(store, "exit")
    assert store.replace_tags("org-a", "devin-exit0", ["done"]).tags == ["done"]


def test_updated_at_never_decreases_when_the_clock_goes_back(store, clock):
    session = store.create("org-a", "p")
    clock.now -= 100
    assert store.archive("org-a", session.id).updated_at == 1000


def test_other_tenant_sees_not_found(store):
    session = store.create("org-a", "p")
    with pytest.raises(SessionNotFound):
        store.get("org-b", session.id)
    with pytest.raises(SessionNotFound):
        store.archive("org-b", session.id)
    assert not store.get("org-a", session.id).archived


def test_list_filters_and_orders_newest_first(store, clock):
    old = store.create("org-a", "p", tags=["a", "b"])
    clock.now += 1
    new = store.create("org-a", "p", tags=["a"])
    store.create("org-b", "p")
    store.archive("org-a", old.id)
    assert [s.id for s in store.list("org-a")] == [new.id, old.id]
    assert [s.id for s in store.list("org-a", archived=True)] == [old.id]
    assert [s.id for s in store.list("org-a", archived=False)] == [new.id]
    assert [s.id for s in store.list("org-a", tags=["a", "b"])] == [old.id]


def test_returned_sessions_are_copies(store):
    session = store.create("org-a", "p", tags=["a"])
    session.tags.append("mutated")
    assert store.get("org-a", session.id).tags == ["a"]


def test_concurrent_archives_all_see_the_same_state(store, clock):
    session = store.create("org-a", "p")
    results: list[Session] = []
    threads = [threading.Thread(target=lambda: results.append(store.archive("org-a", session.id))) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 16 and all(r == results[0] for r in results)


# -- limits: a write past one is refused whole -------------------------------------------------


def test_sessions_past_the_limit_are_refused(clock):
    store = SessionStore(clock=clock, limits=StoreLimits(max_sessions=2))
    store.create("org-a", "one")
    store.create("org-b", "two")
    with pytest.raises(LimitExceeded, match="2 sessions"):
        store.create("org-a", "three")
    assert store.count() == 2


def test_messages_past_the_limit_are_refused_and_nothing_changes(clock):
    store = SessionStore(clock=clock, limits=StoreLimits(max_messages=2))
    session = store.create("org-a", "prompt")
    store.send_message("org-a", session.id, "second")
    with pytest.raises(LimitExceeded, match="2 messages"):
        store.send_message("org-a", session.id, "third")
    assert [m.text for m in store.get("org-a", session.id).messages] == ["prompt", "second"]


def test_text_past_the_limit_is_refused(clock):
    store = SessionStore(clock=clock, limits=StoreLimits(max_text=100))
    session = store.create("org-a", "x" * 60)
    with pytest.raises(LimitExceeded, match="characters"):
        store.send_message("org-a", session.id, "y" * 50)
    with pytest.raises(LimitExceeded):
        store.create("org-a", "z" * 50)
    store.replace_tags("org-a", session.id, ["small"])  # within the limit
    store.replace_all([])  # room again
    store.create("org-a", "z" * 90)


def test_replace_all_checks_every_limit(clock):
    store = SessionStore(clock=clock, limits=StoreLimits(max_sessions=1, max_messages=1))
    one = store.create("org-a", "p")
    with pytest.raises(LimitExceeded, match="more than the limit of 1"):
        store.replace_all([one, Session(id="devin-x", tenant="org-a", status="new", status_detail=None,
                                        created_at=1, updated_at=1)])
    assert store.count() == 1  # nothing was loaded


# -- lists: a page costs what the page holds, whatever the store holds ----------------------------


def test_a_page_copies_only_its_own_sessions(store, clock, monkeypatch):
    for index in range(20_000):
        clock.now += 0.01
        store.create("org-a", "p", tags=["all", "even" if index % 2 == 0 else "odd"] + (["rare"] if index % 5000 == 0 else []))
    copies = []
    original = Session.copy
    monkeypatch.setattr(Session, "copy", lambda self: copies.append(1) or original(self))
    for filters in ({}, {"archived": False}, {"tags": ["all"]}, {"tags": ["even"]}, {"tags": ["rare"]}):
        copies.clear()
        sessions, total, more = store.page("org-a", first=20, **filters)
        assert len(copies) == len(sessions) <= 20, filters
    assert store.page("org-a", tags=["rare"])[1] == 4
    assert store.page("org-a", tags=["even", "odd"])[1] == 0


def test_pages_walked_by_key_return_every_match_once_newest_first(store, clock):
    ids = []
    for index in range(50):
        clock.now += index % 3  # several share a second: ordered by id then
        ids.append(store.create("org-a", "p", tags=["x"] if index % 2 else ["x", "y"]).id)
    for filters in ({}, {"tags": ["x"]}, {"tags": ["y"]}, {"archived": False}):
        expected = [s.id for s in sorted((store.get("org-a", i) for i in ids), key=Session.sort_key, reverse=True)
                    if set(filters.get("tags", [])) <= set(s.tags)]
        walked, after = [], None
        while True:
            sessions, total, more = store.page("org-a", after=after, first=7, **filters)
            walked += [s.id for s in sessions]
            assert total == len(expected)
            if not more:
                break
            after = sessions[-1].sort_key()
        assert walked == expected, filters


def test_the_index_follows_every_change(store):
    session = store.create("org-a", "p", tags=["a"])
    store.archive("org-a", session.id)
    assert [s.id for s in store.list("org-a", archived=True)] == [session.id]
    assert store.list("org-a", archived=False) == []
    store.unarchive("org-a", session.id)
    store.replace_tags("org-a", session.id, ["b"])
    assert store.list("org-a", tags=["a"]) == [] and [s.id for s in store.list("org-a", tags=["b"])] == [session.id]
