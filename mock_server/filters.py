"""List filters, as the declaration names them: which values a record holds, which a request wants.

Each value is a hashable token the store indexes: `("archived", True)` for the archived filter,
`(member, value)` for `equals` and `includes-all` (one per list item), `(member, key, value)` for
`entries` (one per value of each key of a map of lists, asked for as `key:value`).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from api_model import Api

from .store import Record

ARCHIVED = "archived"


def archived_value(value: Any) -> bool:
    """The archived member says archived: true, or an instant that is not null."""
    return value is not None and value is not False


class Filters:
    def __init__(self, api: Api) -> None:
        self.archived_member = api.kit.resource.archived
        self.by_operation = {op_id: b.filters for op_id, b in api.kit.behaviours.items() if b.filters}
        self.members: dict[str, str] = {}  # member -> filter kind, across every list
        for filters in self.by_operation.values():
            for spec in filters.values():
                if spec.member is not None:
                    self.members[spec.member] = spec.kind

    def values_of(self, record: Record) -> set[Hashable]:
        values: set[Hashable] = {(ARCHIVED, archived_value(record.fields.get(self.archived_member)))}
        for member, kind in self.members.items():
            value = record.fields.get(member)
            if kind == "equals" and isinstance(value, Hashable):
                values.add((member, value))
            elif kind == "includes-all" and isinstance(value, list):
                values.update((member, item) for item in value if isinstance(item, Hashable))
            elif kind == "entries" and isinstance(value, dict):
                values.update((member, key, item) for key, items in value.items() if isinstance(items, list)
                              for item in items if isinstance(item, Hashable))
        return values

    def wanted(self, operation_id: str, arguments: dict[str, Any]) -> list[Hashable]:
        wanted: list[Hashable] = []
        for parameter, spec in self.by_operation.get(operation_id, {}).items():
            given = arguments.get(parameter)
            if given is None:
                continue
            given_all = given if isinstance(given, list) else [given]
            if spec.kind == "archived":
                wanted.append((ARCHIVED, bool(given)))
            elif spec.kind == "entries":
                wanted.extend((spec.member, *str(item).split(":", 1)) for item in given_all)
            else:
                wanted.extend((spec.member, item) for item in given_all)
        return wanted
