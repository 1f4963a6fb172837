"""What the run owns: the sessions it creates, by whatever path, and nothing else.

Every request the suite sends (its own helpers, schemathesis' generated calls, raw requests of
the envelope and bad-input tests) passes through `Ownership`:
- a body that creates a session, or that replaces the member the run marks (the declaration's
  `run-marker`), carries the run's marker: an item `contract-<run id>` of a list, or a key
  `<key>: [<run id>]` of a map. It is added in a way that keeps a valid body valid and an invalid
  one invalid (in place of the last valid item when a list or a map is at its limit), so no
  session of the run ever ends unmarked;
- a session the target answers a create with is registered, with the tenant and the credential
  that created it, so the run may modify it and cleans it up at the end.

On a shared deployment the suite modifies only registered sessions (`Api._guard`, and the
generated-call guard in `conformance`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from contract_tests.contract import Contract


@dataclass(frozen=True)
class Owned:
    record_id: str
    tenant: dict[str, str]  # the tenancy values of the path that created it
    authorization: str | None  # the header that created it, to clean it up with


class Ownership:
    def __init__(self, contract: Contract, run_id: str) -> None:
        self.contract = contract
        self.run_id = run_id
        self.marker_field = contract.kit.marker_field
        self.marker_key = contract.kit.marker_key
        self.run_tag = f"contract-{run_id}"  # the list item; with a key, the key's value is [run id]
        self.create = contract.create
        self.marking = [op for op in contract.of_kind("create", "update")
                        if self.marker_field in contract.body_members(op)]
        create_member = contract.body_members(self.create).get(self.marker_field, {})
        self.limit = create_member.get("maxProperties" if self.marker_key else "maxItems")
        self.item_schema = create_member.get("additionalProperties" if self.marker_key else "items", {})
        # (tenant, id) -> what the run created there: a client-chosen id may be used in two tenants.
        self._owned: dict[tuple[tuple[str, ...], str], Owned] = {}
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    # -- the registry ------------------------------------------------------------------------

    def add(self, record_id: str, tenant: dict[str, str] | None = None, authorization: str | None = None) -> None:
        key = (tuple(sorted((tenant or {}).items())), record_id)
        with self._lock:
            self._owned.setdefault(key, Owned(record_id, dict(tenant or {}), authorization))  # type: ignore[arg-type]
            self._ids.add(record_id)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._ids))

    def __len__(self) -> int:
        return len(self._owned)

    def owned(self) -> list[Owned]:
        with self._lock:
            return list(self._owned.values())

    def marks(self, representation: Any) -> bool:
        """Whether a session's representation carries this run's marker."""
        held = representation.get(self.marker_field) if isinstance(representation, dict) else None
        if self.marker_key:
            return isinstance(held, dict) and held.get(self.marker_key) == [self.run_id]
        return isinstance(held, list) and self.run_tag in held

    # -- marking -------------------------------------------------------------------------------

    def marked(self, members: Any, *, creating: bool) -> Any:
        """`members` (a body) carrying the run's marker, as valid or invalid as it was."""
        if not isinstance(members, dict):
            return members
        held = members.get(self.marker_field)
        if self.marker_key:
            if held is None and self.marker_field not in members and creating:
                return {**members, self.marker_field: {self.marker_key: [self.run_id]}}
            if not isinstance(held, dict) or held.get(self.marker_key) == [self.run_id]:
                return members
            keys = [k for k in held if k != self.marker_key]
            if self.limit is not None and len(keys) >= self.limit:
                keys = keys[:-1]  # the marker stands in for the last key: as many keys as before
            return {**members, self.marker_field: {**{k: held[k] for k in keys}, self.marker_key: [self.run_id]}}
        if held is None and self.marker_field not in members and creating:
            return {**members, self.marker_field: [self.run_tag]}
        if not isinstance(held, list) or self.run_tag in held:
            return members
        if self.limit is None or len(held) < self.limit:
            return {**members, self.marker_field: [*held, self.run_tag]}
        valid = [i for i, item in enumerate(held) if self._valid_item(item)]
        if not valid:
            return members  # no valid item to stand in for: the body is invalid anyway
        return {**members, self.marker_field: [*held[: valid[-1]], self.run_tag, *held[valid[-1] + 1:]]}

    def _valid_item(self, item: Any) -> bool:
        low, high = self.item_schema.get("minLength", 0), self.item_schema.get("maxLength", float("inf"))
        return isinstance(item, str) and low <= len(item) <= high

    # -- the transport hooks -------------------------------------------------------------------

    def _operation(self, method: str, url: str) -> tuple[Any, dict[str, str]] | None:
        path = urlsplit(url).path
        for template in self.contract.api.paths:
            match = template.regex.fullmatch(path)
            if match and method.upper() in template.operations:
                return template.operations[method.upper()], {k: unquote(v) for k, v in match.groupdict().items()}
        return None

    def before_send(self, method: str, url: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The request's keyword arguments, its body carrying the run's marker where it must."""
        found = self._operation(method, url)
        if found is None or found[0] not in self.marking:
            return kwargs
        creating = found[0] is self.create
        if isinstance(kwargs.get("json"), dict):
            return {**kwargs, "json": self.marked(kwargs["json"], creating=creating)}
        raw = kwargs.get("data")
        if isinstance(raw, (bytes, str)) and raw:
            try:
                parsed = json.loads(raw)
            except (ValueError, UnicodeDecodeError, RecursionError):
                return kwargs  # not JSON: it creates nothing
            marked = self.marked(parsed, creating=creating)
            if marked is not parsed:
                return {**kwargs, "data": json.dumps(marked).encode()}
        return kwargs

    def after_answer(self, method: str, url: str, kwargs: dict[str, Any], response: requests.Response) -> None:
        """Register the session a create answered with."""
        if not 200 <= response.status_code < 300:
            return
        found = self._operation(method, url)
        if found is None or found[0] is not self.create:
            return
        try:
            body = response.json()
        except ValueError:
            return
        record_id = body.get(self.contract.resource.id_field) if isinstance(body, dict) else None
        if isinstance(record_id, str):
            headers = kwargs.get("headers") or {}
            authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
            tenant = {name: value for name, value in found[1].items() if name in self.contract.resource.tenancy}
            self.add(record_id, tenant, authorization)
