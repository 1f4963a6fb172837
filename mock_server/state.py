"""Everything the mock holds, as one document to save and restore: `GET /_mock/state`,
`PUT /_mock/state`, and `--state FILE` (start from the file when it exists, write it back on exit).

The document is the fixtures format (`sessions`: each session as the API represents it, its
sub-collections as lists of items) plus the clock's offset and the scripted progress still to
play, so a restored mock answers exactly as the saved one did.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from api_model import FileError, Operation, read_yaml

from .clock import Clock
from .envelope import ApiError
from .fixtures import FixtureReader
from .progress import Progress, Script
from .representation import Representation
from .store import LimitExceeded, Record, Store


class State:
    def __init__(self, store: Store, representation: Representation, fixtures: FixtureReader, clock: Clock,
                 progress: Progress, children: dict[str, str]) -> None:
        self.store = store
        self.representation = representation
        self.fixtures = fixtures
        self.clock = clock
        self.progress = progress
        self.children = children  # sub-collection -> the member that is its items' id (made, not given)

    def session(self, record: Record) -> dict[str, Any]:
        entry = self.representation.of(record, read=True)
        for name, item_id in self.children.items():
            entry[name] = [{k: v for k, v in self.representation.child(name, item).items() if k != item_id}
                           for item in record.children.get(name, [])]
        return entry

    def save(self) -> dict[str, Any]:
        progress = self.progress.describe()  # plays what is due first, so the sessions include it
        sessions = [self.session(record) for tenant in self.store.tenants() for record in reversed(self.store.list(tenant))]
        return {"sessions": sessions, "clock": {"offset_s": self.clock.offset_s}, "progress": progress}

    def problems(self, document: dict[str, Any], loc: list[str | int]) -> list[dict[str, Any]]:
        return self.fixtures.problems({"sessions": document["sessions"]}, loc)

    def restore(self, document: dict[str, Any]) -> int:
        """Load a saved document (already checked by `problems`); how many sessions it holds."""
        records = self.fixtures.records({"sessions": document["sessions"]})
        self.store.replace_all(records)  # LimitExceeded: refused whole, nothing changed
        saved_offset = document.get("clock", {}).get("offset_s", 0.0)
        if saved_offset > self.clock.offset_s:  # time moves forward only
            self.clock.advance(saved_offset - self.clock.offset_s)
        self.progress.clear()
        progress = document.get("progress") or {}
        if progress.get("new_sessions"):
            self.progress.for_new = Script(tuple(progress["new_sessions"]["steps"]))
        tenancy, id_parameter = self.progress.tenancy, self.progress.id_parameter
        for pending in progress.get("sessions", []):
            steps = tuple(pending["steps"])
            tenant = tuple(pending[name] for name in tenancy)
            self.progress.schedule(tenant, pending[id_parameter], Script(steps), pending["next_due"] - steps[0]["after_s"])
        return len(records)

    # -- admin operations -------------------------------------------------------------------

    def get_state(self, operation: Operation, path: dict[str, Any], body: Any) -> dict[str, Any]:
        return self.save()

    def put_state(self, operation: Operation, path: dict[str, Any], body: Any) -> dict[str, Any]:
        problems = self.problems(body, ["body"])
        if problems:
            raise ApiError(422, f"The state breaks the spec: {len(problems)} problem(s).", errors=problems)
        try:
            return {"sessions": self.restore(body)}
        except LimitExceeded as exc:
            raise ApiError(409, f"{exc.reason}; nothing was loaded.") from exc


def read_state_file(path: Path, state: State) -> int:
    """Restore `path`, a document `GET /_mock/state` gave (YAML or JSON); FileError says what is wrong."""
    document = read_yaml(path, "state file")
    if not isinstance(document, dict) or not isinstance(document.get("sessions"), list):
        raise FileError(f"state file {path}: expected a saved state (sessions: [...])")
    problems = state.problems(document, [])
    if problems:
        first = problems[0]
        raise FileError(f"state file {path}: {'.'.join(map(str, first['loc']))}: {first['msg']} "
                        f"({len(problems)} problem(s))")
    try:
        return state.restore(document)
    except LimitExceeded as exc:
        raise FileError(f"state file {path}: {exc.reason}") from exc


def write_state_file(path: Path, save: Callable[[], dict[str, Any]]) -> None:
    """Write the state as JSON, whole or not at all (a crash mid-write keeps the previous file)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(save(), indent=1), encoding="utf-8")
    os.replace(partial, path)
