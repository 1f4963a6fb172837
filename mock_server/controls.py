"""Runtime controls: latency, faults and the rate limit, read by their stages on every request.

The flags (`--latency`, `--fault-rate`, `--fault-timing`, `--rate-limit`) give the starting
values; the admin API reads and changes them without a restart (`/_mock/controls`: GET, PUT to
replace them all, PATCH to change some). Each value is the API's, and any operation may override
any of them by its operationId (`null`: as the API's), so that one screen can be slow or failing
while the rest of the UI works.

The settings are immutable snapshots, replaced whole under a lock: a stage reads one snapshot per
request and never sees half a change. What each operation gets is worked out when the settings
change, not on every request.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from api_model import Operation

from .envelope import ApiError, field_error
from .faults import Latency
from .rate_limit import RateLimit

if TYPE_CHECKING:
    from .admin import AdminOperation

TIMINGS = ("before", "after")  # a fault strikes before the request is carried out, or after it
MEMBERS = ("latency", "fault_rate", "fault_timing", "rate_limit")


@dataclass(frozen=True)
class Override:
    """An operation's own values; None: as the API's."""

    latency: Latency | None = None
    fault_rate: float | None = None
    fault_timing: str | None = None
    rate_limit: RateLimit | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in MEMBERS)


@dataclass(frozen=True)
class Settings:
    """The API's values (latency and rate limit None: none) and the overrides by operationId."""

    latency: Latency | None = None
    fault_rate: float = 0.0
    fault_timing: str = "before"
    rate_limit: RateLimit | None = None
    operations: Mapping[str, Override] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Effective:
    """What one request gets. `rate_scope` names the buckets its rate limit counts in: the
    operation's own where it has its own limit, else the API's (None)."""

    latency: Latency | None
    fault_rate: float
    fault_timing: str
    rate_limit: RateLimit | None
    rate_scope: str | None = None


def effective(settings: Settings, operation_id: str | None) -> Effective:
    own = settings.operations.get(operation_id) if operation_id is not None else None
    if own is None:
        return Effective(settings.latency, settings.fault_rate, settings.fault_timing, settings.rate_limit)
    return Effective(
        latency=own.latency if own.latency is not None else settings.latency,
        fault_rate=own.fault_rate if own.fault_rate is not None else settings.fault_rate,
        fault_timing=own.fault_timing or settings.fault_timing,
        rate_limit=own.rate_limit if own.rate_limit is not None else settings.rate_limit,
        rate_scope=operation_id if own.rate_limit is not None else None,
    )


class Controls:
    """The current settings, for the stages (`of`) and the admin API (`admin_operations`)."""

    def __init__(self, settings: Settings) -> None:
        self._lock = threading.Lock()  # admin calls run in worker threads: one change at a time
        self._install(settings)

    def _install(self, settings: Settings) -> None:
        by_operation = {op_id: effective(settings, op_id) for op_id in settings.operations}
        api_wide = effective(settings, None)
        # One assignment, so a request in flight reads the old snapshot or the new one, never a mix.
        self._current = (settings, api_wide, by_operation)
        self.any_latency = any(values.latency is not None for values in (api_wide, *by_operation.values()))

    @property
    def settings(self) -> Settings:
        return self._current[0]

    def of(self, operation_id: str | None) -> Effective:
        """The values for a request to `operation_id` (None: a request no operation answers)."""
        _, api_wide, by_operation = self._current
        return by_operation.get(operation_id, api_wide)

    # -- the admin API ----------------------------------------------------------------------------

    def admin_operations(self) -> dict[str, AdminOperation]:
        return {"get_controls": self.get_controls, "set_controls": self.set_controls,
                "change_controls": self.change_controls}

    def get_controls(self, operation: Operation, path: dict[str, Any], body: Any) -> dict[str, Any]:
        return to_json(self.settings)

    def set_controls(self, operation: Operation, path: dict[str, Any], body: Any) -> dict[str, Any]:
        """PUT: every value replaced by the body's (the shape GET answers)."""
        settings = from_json(Settings(), body)
        with self._lock:
            self._install(settings)
        return to_json(settings)

    def change_controls(self, operation: Operation, path: dict[str, Any], body: Any) -> dict[str, Any]:
        """PATCH: the values the body gives replace the current ones (a JSON merge patch)."""
        with self._lock:
            settings = from_json(self.settings, body)
            self._install(settings)
        return to_json(settings)


# -- JSON, as spec/admin.yaml shapes it ---------------------------------------------------------


def to_json(settings: Settings) -> dict[str, Any]:
    return {
        **_values_json(settings),
        "operations": {op_id: _values_json(own) for op_id, own in sorted(settings.operations.items())},
    }


def _values_json(values: Settings | Override) -> dict[str, Any]:
    latency = values.latency
    return {
        "latency": None if latency is None else {"min_ms": latency.low_ms, "max_ms": latency.high_ms},
        "fault_rate": values.fault_rate,
        "fault_timing": values.fault_timing,
        "rate_limit": None if values.rate_limit is None else values.rate_limit.text,
    }


def from_json(current: Settings, body: dict[str, Any]) -> Settings:
    """`current` with the body's values: a member left out keeps its value, an operation given as
    null loses its override. The admin document's schema has checked types, bounds and the
    operationIds; what it cannot say (a latency's min above its max) is a located 422 here."""
    errors: list[dict[str, Any]] = []
    changes = {name: _value(name, body[name], ["body", name], errors) for name in MEMBERS if name in body}
    operations = dict(current.operations)
    for op_id, given in (body.get("operations") or {}).items():
        if given is None:
            operations.pop(op_id, None)
            continue
        own = replace(operations.get(op_id, Override()), **{
            name: _value(name, given[name], ["body", "operations", op_id, name], errors)
            for name in MEMBERS if name in given})
        if own.is_empty():
            operations.pop(op_id, None)
        else:
            operations[op_id] = own
    if errors:
        raise ApiError(422, f"The controls are invalid: {errors[0]['msg']}.", errors=errors)
    return replace(current, **changes, operations=MappingProxyType(operations))


def _value(name: str, value: Any, loc: list[str | int], errors: list[dict[str, Any]]) -> Any:
    if value is None:
        return None
    if name == "latency":
        if value["min_ms"] > value["max_ms"]:
            errors.append(field_error([*loc, "max_ms"], f"max_ms ({value['max_ms']:g}) is below min_ms "
                                                        f"({value['min_ms']:g})", "latency_range"))
            return None
        return Latency(float(value["min_ms"]), float(value["max_ms"]))
    if name == "rate_limit":
        try:
            return RateLimit.parse(value)
        except ValueError as exc:  # the schema's pattern lets through only what parses; kept a 422 all the same
            errors.append(field_error(loc, str(exc), "rate_limit"))
            return None
    if name == "fault_rate":
        return float(value)
    return value
