"""In-memory resources, scoped by tenant, and the index lists are served from.

The store knows records (an id, a tenant, representation members, sub-collections), not any
API: what a create makes and what an operation changes come from the lifecycle stage, which
hands the store a change to run. A stored record is never changed: a change runs on a copy, which
is stored whole in its place, or nothing is (a refusal or a limit leaves nothing). So the records
the store hands out are snapshots, shared without copying (a page of 100 costs no copy), that stay
as they were whatever happens next; callers read them and never change them.

Lists are served from an index kept per tenant (records in list order, and the ids holding each
filterable value), so a page costs time in proportion to the page, not to the store. The store
is bounded (`StoreLimits`): a write that would pass a limit raises `LimitExceeded`, naming it.
"""

from __future__ import annotations

import bisect
import copy
import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sortedcontainers import SortedList

from .json_body import json_size

Tenant = tuple[str, ...]  # one value per tenancy parameter, outermost first
Key = tuple[float, str]  # a record's place in list order: (created, id), listed descending


class StoreError(Exception):
    def __init__(self, record_id: str, tenant: Tenant, reason: str = "") -> None:
        super().__init__(record_id, tenant)
        self.record_id = record_id
        self.tenant = tenant
        self.reason = reason

    def __str__(self) -> str:
        return self.reason or f"{type(self).__name__}: {self.record_id}"


class NotFound(StoreError):
    """No such record in this tenant (another tenant's is reported the same way)."""


class Taken(StoreError):
    """A record with this id exists in this tenant."""


class LimitExceeded(StoreError):
    """A write would pass one of the store's limits; `reason` says which, in words."""


@dataclass(frozen=True)
class StoreLimits:
    max_sessions: int = 100_000  # records across tenants
    max_messages: int = 1_000  # items per sub-collection of a record
    max_text: int = 200_000_000  # bytes of the records as JSON text, across the store (see record_text)


@dataclass(slots=True)
class Record:
    id: str
    tenant: Tenant
    created: float  # the instant that orders lists
    fields: dict[str, Any]  # representation members; instants as epoch seconds (float)
    children: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    text: int = field(default=-1, compare=False, repr=False)  # its size as JSON text (see record_text)
    # per sub-collection: (items measured, their size), handed to copies so that an append
    # measures only the new item, not the thousand before it
    counted: dict[str, tuple[int, int]] = field(default_factory=dict, compare=False, repr=False)
    rendered: dict[str, Any] | None = field(default=None, compare=False, repr=False)  # see Representation.of
    encoded: Any = field(default=None, compare=False, repr=False)  # see Representation.encoded

    def sort_key(self) -> Key:
        return (self.created, self.id)

    def copy(self) -> Record:
        """A copy a change may work on: its members copied deep (what copy.deepcopy gives, many
        times faster), its sub-collections as new lists of the same items (items never change; a
        change only appends)."""
        return Record(self.id, self.tenant, self.created, copy_json(self.fields),
                      {name: list(items) for name, items in self.children.items()}, counted=self.counted)


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value: what copy.deepcopy gives, many times faster."""
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return copy.deepcopy(value)


def record_text(record: Record) -> int:
    """The size of a record as JSON text (its members, then each item of its sub-collections), in
    bytes, for the `max_text` limit: measured once, when the record is about to be stored, as it
    never changes after (a change works on a copy, which is measured anew, but for the items the
    copy took over: an append measures its new item alone)."""
    if record.text < 0:
        total, counted = json_size(record.fields), {}
        for name, items in record.children.items():
            known, size = record.counted.get(name, (0, 0))
            if known > len(items):
                known, size = 0, 0  # not the list measured before: measure it whole
            for item in items[known:]:
                size += json_size(item)
            counted[name] = (len(items), size)
            total += size
        record.text, record.counted = total, counted
    return record.text


class TenantIndex:
    """One tenant's records in list order, and for each filterable value the ids that hold it."""

    def __init__(self) -> None:
        self.keys: SortedList = SortedList()
        self.holders: dict[Hashable, set[str]] = {}
        self.key_of: dict[str, Key] = {}

    def add(self, record: Record, values: set[Hashable]) -> None:
        key = record.sort_key()
        self.keys.add(key)
        self.key_of[record.id] = key
        self._hold(record.id, values)

    def revalue(self, record_id: str, dropped: set[Hashable], added: set[Hashable]) -> None:
        """A record's filter values changed (its place in list order never does)."""
        self._release(record_id, dropped)
        self._hold(record_id, added)

    def remove(self, record: Record, values: set[Hashable]) -> None:
        self.keys.discard(self.key_of.pop(record.id))
        self._release(record.id, values)

    def _hold(self, record_id: str, values: set[Hashable]) -> None:
        for value in values:
            holders = self.holders.get(value)
            if holders is None:
                holders = self.holders[value] = set()
            holders.add(record_id)

    def _release(self, record_id: str, values: set[Hashable]) -> None:
        for value in values:
            holders = self.holders.get(value)
            if holders is not None:
                holders.discard(record_id)
                if not holders:
                    del self.holders[value]

    def select(self, wanted: list[Hashable], after: Key | None, first: int) -> tuple[list[str], int, bool]:
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
            ordered = sorted(self.key_of[rid] for rid in matches)
            stop = len(ordered) if after is None else bisect.bisect_left(ordered, tuple(after))
            page = [key[1] for key in reversed(ordered[max(0, stop - first):stop])]
            return page, len(matches), stop - first > 0
        # Many matches: walk the list order until the page is full (at most ~16 steps per item).
        page, more = [], False
        for position in range(end - 1, -1, -1):
            rid = self.keys[position][1]
            if rid in matches:
                if len(page) == first:
                    more = True
                    break
                page.append(rid)
        return page, len(matches), more


class Store:
    def __init__(
        self,
        *,
        updated: str,
        filter_values: Callable[[Record], set[Hashable]] = lambda record: set(),
        limits: StoreLimits | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._lock = threading.Lock()
        self._records: dict[tuple[Tenant, str], Record] = {}
        self._indexes: dict[Tenant, TenantIndex] = {}
        self._text = 0
        self.updated = updated  # the member that moves when anything else changes
        self.filter_values = filter_values
        self.limits = limits or StoreLimits()
        self.clock = clock
        self.on_insert: Callable[[Record], None] | None = None  # told of each record `insert` adds

    def now(self) -> float:
        return self.clock()

    # -- loading ---------------------------------------------------------------------------

    def replace_all(self, records: Iterable[Record]) -> None:
        """Drop every record and load `records` (the seed, or fixtures); refused whole past a limit.
        The store keeps the objects it is given (no copy: fixtures may hold 100 000 records)."""
        fresh = list(records)
        limits = self.limits
        if len(fresh) > limits.max_sessions:
            raise LimitExceeded("", (), f"{len(fresh)} sessions are more than the limit of {limits.max_sessions}")
        for record in fresh:
            crowded = next((name for name, items in record.children.items() if len(items) > limits.max_messages), None)
            if crowded is not None:
                raise LimitExceeded(record.id, record.tenant, f"{record.id} has {len(record.children[crowded])} "
                                                              f"{crowded}, more than the limit of {limits.max_messages}")
        text = sum(record_text(r) for r in fresh)
        if text > limits.max_text:
            raise LimitExceeded("", (), f"the sessions take {text} bytes as JSON, more than the limit of {limits.max_text}")
        # Built aside, swapped in at once: readers never wait for a large load.
        loaded = Store(updated=self.updated, filter_values=self.filter_values, limits=limits, clock=self.clock)
        for record in fresh:
            loaded._insert(record)
        with self._lock:
            self._records, self._indexes, self._text = loaded._records, loaded._indexes, loaded._text

    # -- reads -----------------------------------------------------------------------------

    def get(self, tenant: Tenant, record_id: str) -> Record:
        with self._lock:
            return self._find(tenant, record_id)

    def count(self, tenant: Tenant | None = None) -> int:
        with self._lock:
            if tenant is None:
                return len(self._records)
            index = self._indexes.get(tenant)
            return len(index.keys) if index else 0

    def tenants(self) -> list[Tenant]:
        with self._lock:
            return sorted(tenant for tenant, index in self._indexes.items() if index.keys)

    def page(self, tenant: Tenant, wanted: Iterable[Hashable] = (), *, after: Key | None = None,
             first: int = 100) -> tuple[list[Record], int, bool]:
        """The `first` records holding every `wanted` value after the one at `after`, newest first
        (created, then id, both descending); how many match in all; whether more follow."""
        with self._lock:
            index = self._indexes.get(tenant)
            if index is None:
                return [], 0, False
            ids, total, more = index.select(list(dict.fromkeys(wanted)), after, first)
            return [self._records[(tenant, rid)] for rid in ids], total, more

    def list(self, tenant: Tenant, wanted: Iterable[Hashable] = ()) -> list[Record]:
        """Every matching record, newest first."""
        return self.page(tenant, wanted, first=self.limits.max_sessions)[0]

    # -- writes ----------------------------------------------------------------------------

    def insert(self, record: Record) -> Record:
        """A new record; `Taken` if its id exists in its tenant."""
        with self._lock:
            if (record.tenant, record.id) in self._records:
                raise Taken(record.id, record.tenant)
            self._check_room(record, None)
            self._insert(record)
        if self.on_insert is not None:  # outside the lock: the observer may take locks of its own
            self.on_insert(record)
        return record

    def apply(self, tenant: Tenant, record_id: str, change: Callable[[Record, float], None]) -> Record:
        """Run `change(copy, now)` and store its result whole, or nothing if it raises or a limit
        refuses; the `updated` member moves only if the record really changed, and never back."""
        with self._lock:
            stored = self._find(tenant, record_id)
            record = stored.copy()
            now = self.now()
            change(record, now)
            if record == stored:
                return record
            previous = stored.fields.get(self.updated)
            record.fields[self.updated] = max(previous, now) if isinstance(previous, (int, float)) else now
            self._check_room(record, stored)
            self._replace(stored, record)
            return record

    def delete(self, tenant: Tenant, record_id: str, check: Callable[[Record], None] | None = None) -> None:
        """Remove a record, unless `check(record)` raises (a refusal), under the same lock."""
        with self._lock:
            record = self._find(tenant, record_id)
            if check is not None:
                check(record)
            self._remove(record)

    # -- internals (called with the lock held) ---------------------------------------------

    def _find(self, tenant: Tenant, record_id: str) -> Record:
        record = self._records.get((tenant, record_id))
        if record is None:
            raise NotFound(record_id, tenant)
        return record

    def _insert(self, record: Record) -> None:
        # Tenants repeat across records: one tuple of interned strings each saves memory at 100 000.
        record.tenant = tuple(sys.intern(part) for part in record.tenant)
        self._records[(record.tenant, record.id)] = record
        index = self._indexes.get(record.tenant)
        if index is None:
            index = self._indexes[record.tenant] = TenantIndex()
        index.add(record, self.filter_values(record))
        self._text += record_text(record)

    def _replace(self, stored: Record, record: Record) -> None:
        """`record` in the place of `stored` (the same id and list position): the index moves only
        for the filter values that changed, which most writes leave alone."""
        record.tenant = stored.tenant
        self._records[(record.tenant, record.id)] = record
        before, after = self.filter_values(stored), self.filter_values(record)
        if before != after:
            self._indexes[record.tenant].revalue(record.id, before - after, after - before)
        self._text += record_text(record) - record_text(stored)

    def _remove(self, record: Record) -> None:
        del self._records[(record.tenant, record.id)]
        self._indexes[record.tenant].remove(record, self.filter_values(record))
        self._text -= record_text(record)

    def _check_room(self, record: Record, replacing: Record | None) -> None:
        limits = self.limits
        if replacing is None and len(self._records) >= limits.max_sessions:
            raise LimitExceeded(record.id, record.tenant, f"the server holds {len(self._records)} sessions, the limit")
        for name, items in record.children.items():
            before = len(replacing.children.get(name, ())) if replacing else 0
            if len(items) > limits.max_messages and len(items) > before:
                raise LimitExceeded(record.id, record.tenant,
                                    f"the session holds {before} {name}, the limit of {limits.max_messages}")
        grown = record_text(record) - (record_text(replacing) if replacing else 0)
        if grown > 0 and self._text + grown > limits.max_text:
            raise LimitExceeded(record.id, record.tenant,
                                f"the sessions take {self._text} bytes as JSON, near the limit of {limits.max_text}")
