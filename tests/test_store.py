"""The store: records by tenant, changes whole or not at all, the update instant, limits, the index."""

from __future__ import annotations

import threading

import pytest

from mock_server.json_body import json_bytes
from mock_server.store import LimitExceeded, NotFound, Record, Store, StoreLimits, Taken, record_text


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def tags_of(record: Record) -> set:
    return {("tag", tag) for tag in record.fields.get("tags", [])} | {("archived", bool(record.fields.get("archived")))}


def make_store(clock: Clock, **limits) -> Store:
    return Store(updated="updated", filter_values=tags_of, limits=StoreLimits(**limits), clock=clock)


@pytest.fixture
def store(clock: Clock) -> Store:
    return make_store(clock)


def record(record_id: str, tenant: str = "t1", created: float = 10, **fields) -> Record:
    return Record(record_id, (tenant,), created, {"id": record_id, "updated": created, **fields})


def test_records_are_found_in_their_tenant_only(store):
    store.insert(record("a"))
    assert store.get(("t1",), "a").id == "a"
    with pytest.raises(NotFound):
        store.get(("t2",), "a")
    store.insert(record("a", tenant="t2"))  # the same id in another tenant is another record
    assert store.count() == 2


def test_an_id_is_taken_once_per_tenant(store):
    store.insert(record("a"))
    with pytest.raises(Taken):
        store.insert(record("a"))


def test_a_change_moves_the_update_instant_only_when_something_changed(store, clock):
    store.insert(record("a", status="x"))
    clock.now = 2_000.0
    unchanged = store.apply(("t1",), "a", lambda r, now: r.fields.update(status="x"))
    assert unchanged.fields["updated"] == 10
    changed = store.apply(("t1",), "a", lambda r, now: r.fields.update(status="y"))
    assert changed.fields["updated"] == 2_000.0
    clock.now = 1_500.0  # the clock went back
    again = store.apply(("t1",), "a", lambda r, now: r.fields.update(status="z"))
    assert again.fields["updated"] == 2_000.0


def test_a_change_that_raises_leaves_nothing(store):
    store.insert(record("a", status="x"))

    def half_done(r, now):
        r.fields["status"] = "changed"
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        store.apply(("t1",), "a", half_done)
    assert store.get(("t1",), "a").fields["status"] == "x"


def test_a_record_handed_out_is_a_snapshot_no_change_reaches(store):
    store.insert(record("a", tags=["x"], status="running"))
    before = store.get(("t1",), "a")

    def change(r, now):
        r.fields["tags"].append("y")
        r.fields["status"] = "asleep"
        r.children["messages"] = [{"message": "hi"}]

    after = store.apply(("t1",), "a", change)
    assert (before.fields["tags"], before.fields["status"], before.children) == (["x"], "running", {})
    assert (after.fields["tags"], after.fields["status"]) == (["x", "y"], "asleep")
    assert store.get(("t1",), "a") is after


def test_delete(store):
    store.insert(record("a"))
    store.delete(("t1",), "a")
    with pytest.raises(NotFound):
        store.get(("t1",), "a")


def test_a_refused_delete_leaves_the_record(store):
    store.insert(record("a"))

    def refuse(found):
        raise LookupError(found.id)

    with pytest.raises(LookupError):
        store.delete(("t1",), "a", check=refuse)
    assert store.get(("t1",), "a").id == "a" and store.count(("t1",)) == 1


def test_concurrent_changes_all_see_a_whole_state(store):
    store.insert(record("a", count=0))
    threads = [threading.Thread(target=store.apply, args=(("t1",), "a", lambda r, now: r.fields.update(count=r.fields["count"] + 1)))
               for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get(("t1",), "a").fields["count"] == 32


# -- limits: a write past one is refused whole -------------------------------------------------


def test_records_past_the_limit_are_refused(clock):
    store = make_store(clock, max_sessions=2)
    store.insert(record("a"))
    store.insert(record("b", tenant="t2"))
    with pytest.raises(LimitExceeded, match="2 sessions"):
        store.insert(record("c"))
    assert store.count() == 2


def test_items_past_the_limit_are_refused_and_nothing_changes(clock):
    store = make_store(clock, max_messages=2)
    store.insert(Record("a", ("t1",), 10, {"updated": 10}, {"messages": [{"m": "1"}, {"m": "2"}]}))
    with pytest.raises(LimitExceeded, match="2 messages"):
        store.apply(("t1",), "a", lambda r, now: r.children["messages"].append({"m": "3"}))
    assert len(store.get(("t1",), "a").children["messages"]) == 2


def test_text_past_the_limit_is_refused(clock):
    store = make_store(clock, max_text=160)  # a record's JSON: its text and 33 bytes more here
    store.insert(record("a", text="x" * 100))
    with pytest.raises(LimitExceeded, match="bytes as JSON"):
        store.apply(("t1",), "a", lambda r, now: r.fields.update(more="y" * 40))
    with pytest.raises(LimitExceeded):
        store.insert(record("b", text="z" * 30))
    store.replace_all([])  # room again
    store.insert(record("c", text="z" * 120))


def test_replace_all_checks_every_limit(clock):
    store = make_store(clock, max_sessions=1, max_messages=1)
    store.insert(record("a"))
    with pytest.raises(LimitExceeded, match="more than the limit of 1"):
        store.replace_all([record("x"), record("y")])
    with pytest.raises(LimitExceeded, match="messages"):
        store.replace_all([Record("x", ("t1",), 1, {}, {"messages": [{}, {}]})])
    assert store.count() == 1  # nothing was loaded


# -- lists: a page costs what the page holds, whatever the store holds ----------------------------


class CountingRecords(dict):
    """The store's records, counting the ones a read looks up."""

    looked_up = 0

    def __getitem__(self, key):
        self.looked_up += 1
        return super().__getitem__(key)


def test_a_page_reads_only_its_own_records_and_copies_none(store, monkeypatch):
    for index in range(20_000):
        tags = ["all", "even" if index % 2 == 0 else "odd"] + (["rare"] if index % 5000 == 0 else [])
        store.insert(record(f"r{index:05d}", created=index, tags=tags))
    store._records = CountingRecords(store._records)
    copies = []
    original = Record.copy
    monkeypatch.setattr(Record, "copy", lambda self: copies.append(1) or original(self))
    for wanted in ([], [("archived", False)], [("tag", "all")], [("tag", "even")], [("tag", "rare")]):
        store._records.looked_up = 0
        records, total, more = store.page(("t1",), wanted, first=20)
        assert store._records.looked_up == len(records) <= 20, wanted
    assert copies == []
    assert store.page(("t1",), [("tag", "rare")])[1] == 4
    assert store.page(("t1",), [("tag", "even"), ("tag", "odd")])[1] == 0


def test_pages_walked_by_key_return_every_match_once_newest_first(store):
    for index in range(50):
        store.insert(record(f"r{index:02d}", created=index // 3, tags=["x"] if index % 2 else ["x", "y"]))
    everything = store.list(("t1",))
    assert [r.sort_key() for r in everything] == sorted((r.sort_key() for r in everything), reverse=True)
    for wanted in ([], [("tag", "x")], [("tag", "y")], [("archived", False)]):
        expected = [r.id for r in everything if all(value in tags_of(r) for value in wanted)]
        walked, after = [], None
        while True:
            records, total, more = store.page(("t1",), wanted, after=after, first=7)
            walked += [r.id for r in records]
            assert total == len(expected)
            if not more:
                break
            after = records[-1].sort_key()
        assert walked == expected, wanted


def test_the_index_follows_every_change(store):
    store.insert(record("a", tags=["a"]))
    store.apply(("t1",), "a", lambda r, now: r.fields.update(archived=True))
    assert [r.id for r in store.list(("t1",), [("archived", True)])] == ["a"]
    assert store.list(("t1",), [("archived", False)]) == []
    store.apply(("t1",), "a", lambda r, now: r.fields.update(tags=["b"]))
    assert store.list(("t1",), [("tag", "a")]) == [] and [r.id for r in store.list(("t1",), [("tag", "b")])] == ["a"]


def test_appends_count_only_their_new_text_and_the_count_stays_exact(clock):
    """A record's text is handed to its copies: an append measures the new item alone."""
    store = make_store(clock, max_text=10_000)
    store.insert(Record("a", ("t1",), 10, {"updated": 10, "title": "abc"}, {"messages": [{"m": "1"}]}))
    for n in range(50):
        store.apply(("t1",), "a", lambda r, now, n=n: r.children["messages"].append({"m": "x" * n}))
    stored = store.get(("t1",), "a")
    fresh = Record(stored.id, stored.tenant, stored.created, dict(stored.fields), {"messages": list(stored.children["messages"])})
    assert record_text(stored) == record_text(fresh)
    assert store._text == record_text(fresh)


def test_text_grown_by_appends_is_refused_at_the_limit(clock):
    store = make_store(clock, max_text=120)
    store.insert(Record("a", ("t1",), 10, {"updated": 10}, {"messages": []}))
    grown = 0
    with pytest.raises(LimitExceeded, match="bytes as JSON"):
        for _ in range(100):
            store.apply(("t1",), "a", lambda r, now: r.children["messages"].append({"m": "y" * 9}))
            grown += 1
    # The members as JSON (the first append moved `updated` to now), then each item as JSON.
    assert grown == (120 - len(json_bytes({"updated": 1000.0}))) // len(json_bytes({"m": "y" * 9}))


def test_a_change_that_leaves_the_filter_values_keeps_the_record_in_place_and_listed(store):
    for name, created in (("old", 1), ("mid", 2), ("new", 3)):
        store.insert(record(name, created=created, tags=["x"]))
    store.apply(("t1",), "mid", lambda r, now: r.fields.update(title="changed", text="y" * 10))
    listed = store.list(("t1",), [("tag", "x")])
    assert [r.id for r in listed] == ["new", "mid", "old"] and listed[1].fields["title"] == "changed"
    assert store._text == sum(record_text(r) for r in store.list(("t1",)))
