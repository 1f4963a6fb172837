"""Scripted progress: a session, or every new one, moves through given states after given delays,
so that a polling screen (running, then finished) or a chat (a reply arrives) can be exercised.

A script is a list of steps, each `after_s` seconds after the previous one (the first after the
script starts, or after the session's creation for the script of new sessions), each setting
members (as `PATCH /_mock<session>` does) and appending sub-collection items (`messages`...).
Steps are applied when they are due by the mock's clock, checked before each API request
(the pipeline's progress step) and each admin read of them, so advancing the clock (clock.py) plays them
at once: no background task, and every run of a test meets them in the same order.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api_model import Operation

from .envelope import ApiError
from .store import NotFound, Record, Store, Tenant


@dataclass(frozen=True)
class Script:
    steps: tuple[dict[str, Any], ...]  # as given: after_s, set, and items by sub-collection


@dataclass(order=True)
class Pending:
    due: float
    order: int  # ties: in the order they were scheduled
    tenant: Tenant
    record_id: str
    script: Script
    step: int  # the index of the step that is due


StepApplier = Callable[[Record, dict[str, Any], float], None]


class Progress:
    def __init__(self, store: Store, apply_step: StepApplier, tenancy: list[str], id_parameter: str,
                 now: Callable[[], float]) -> None:
        self.store = store
        self.now = now  # the mock's clock, to the microsecond (the store's is truncated to what the API shows)
        self.apply_step = apply_step  # sets a step's members and appends its items, on a copy of the record
        self.tenancy = tenancy
        self.id_parameter = id_parameter
        self._lock = threading.Lock()
        self._pending: list[Pending] = []  # a heap, earliest first
        self._order = itertools.count()
        self.for_new: Script | None = None  # the script every created session starts

    def schedule(self, tenant: Tenant, record_id: str, script: Script, start: float) -> None:
        with self._lock:
            # A new script for a session replaces its unplayed steps.
            self._pending = [p for p in self._pending if (p.tenant, p.record_id) != (tenant, record_id)]
            heapq.heapify(self._pending)
            heapq.heappush(self._pending, Pending(start + script.steps[0]["after_s"], next(self._order),
                                                  tenant, record_id, script, 0))

    def created(self, record: Record) -> None:
        """The store's hook for each record an API create inserts."""
        if self.for_new is not None:
            self.schedule(record.tenant, record.id, self.for_new, record.created)

    def catch_up(self) -> None:
        """Apply every step due by now, in due order, each stamped with the instant it falls due."""
        if not self._pending or self._pending[0].due > self.now():
            return  # the common case, without the lock
        with self._lock:
            now = self.now()
            while self._pending and self._pending[0].due <= now:
                due = heapq.heappop(self._pending)
                step = due.script.steps[due.step]
                try:
                    self.store.apply(due.tenant, due.record_id,
                                     lambda record, _now, step=step, at=due.due: self.apply_step(record, step, at))
                except NotFound:
                    continue  # deleted since: its script ends
                if due.step + 1 < len(due.script.steps):
                    heapq.heappush(self._pending, Pending(due.due + due.script.steps[due.step + 1]["after_s"],
                                                          next(self._order), due.tenant, due.record_id,
                                                          due.script, due.step + 1))

    def describe(self) -> dict[str, Any]:
        self.catch_up()
        with self._lock:
            pending = sorted(self._pending)
        return {
            "new_sessions": {"steps": list(self.for_new.steps)} if self.for_new else None,
            "sessions": [{**dict(zip(self.tenancy, p.tenant)), self.id_parameter: p.record_id, "next_due": round(p.due, 3),
                          "steps": list(p.script.steps[p.step:])} for p in pending],
        }

    def clear(self) -> None:
        with self._lock:
            self._pending = []
            self.for_new = None

    # -- admin operations -------------------------------------------------------------------

    def start_progress(self, operation: Operation, path: dict[str, Any], body: Any) -> dict[str, Any]:
        tenant = tuple(path[name] for name in self.tenancy)
        try:
            self.store.get(tenant, path[self.id_parameter])
        except NotFound as exc:
            raise ApiError(404, f"No session {path[self.id_parameter]} in {', '.join(tenant)}.") from exc
        self.schedule(tenant, path[self.id_parameter], Script(tuple(body["steps"])), self.now())
        return self.describe()

    def set_new_sessions_progress(self, operation: Operation, path: dict[str, Any], body: Any) -> dict[str, Any]:
        self.for_new = Script(tuple(body["steps"])) if body.get("steps") else None
        return self.describe()

    def get_progress(self, operation: Operation, path: dict[str, Any], body: Any) -> dict[str, Any]:
        return self.describe()

    def clear_progress(self, operation: Operation, path: dict[str, Any], body: Any) -> dict[str, Any]:
        self.clear()
        return self.describe()
