"""Records as the API represents them: members in the representation schema's order, instants
rendered as the schema types them, read-only members nulled outside reads, projections.

An instant is held as epoch seconds and rendered by its member's schema: `integer` gives whole
epoch seconds, a `date-time` string RFC 3339 in UTC with milliseconds. Which members are instants:
the declared `created` and `updated`, and every `date-time` member.
"""

from __future__ import annotations

import functools
import math
from datetime import datetime, timezone
from typing import Any

from api_model import MISSING, Api, default_of, properties, resolve_ref, schema

from .json_body import encoded
from .store import Record


def _options(document: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
    """The schemas a member may follow: itself and its `anyOf`/`oneOf` options, `$ref`s resolved."""
    node = resolve_ref(document, node)
    if not isinstance(node, dict):
        return []
    found = [node]
    for option in node.get("anyOf", []) + node.get("oneOf", []):
        found.extend(_options(document, option))
    return found


def _types(document: dict[str, Any], node: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for option in _options(document, node):
        kinds = option.get("type")
        found |= set(kinds) if isinstance(kinds, list) else {kinds} if kinds else set()
    return found


def _is_date_time(document: dict[str, Any], node: dict[str, Any]) -> bool:
    return any(option.get("format") == "date-time" for option in _options(document, node))


def rfc3339(instant: float) -> str:
    """`datetime.fromtimestamp(instant, timezone.utc).isoformat(timespec="milliseconds")`, with Z for
    +00:00: the date and time of its whole second, then its milliseconds. Each whole second is
    formatted once (`isoformat` alone cost a create of the workspace API 2% of its instructions), and
    the fraction is rounded to microseconds as `fromtimestamp` does, then cut to milliseconds."""
    fraction, whole = math.modf(instant)
    micro = round(fraction * 1_000_000)  # half to even, as fromtimestamp rounds
    if micro >= 1_000_000:
        micro, whole = micro - 1_000_000, whole + 1
    elif micro < 0:
        micro, whole = micro + 1_000_000, whole - 1
    return f"{_second(int(whole))}.{micro // 1000:03d}Z"


@functools.lru_cache(maxsize=1024)  # a record's instants often share their second, as do a busy second's records'
def _second(whole: int) -> str:
    return datetime.fromtimestamp(whole, timezone.utc).isoformat(timespec="seconds").removesuffix("+00:00")


def parse_instant(value: Any) -> float | None:
    """An instant given as epoch seconds or an RFC 3339 string (fixtures, seeds)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


class Shape:
    """How one schema's instants render."""

    def __init__(self, api: Api, schema_name: str, instants: set[str]) -> None:
        self.members = properties(api.document, schema(api.document, schema_name))
        self.defaults = {name: None if (d := default_of(api.document, node)) is MISSING else d
                         for name, node in self.members.items()}
        self.instants = {name: ("integer" in _types(api.document, node)) for name, node in self.members.items()
                         if name in instants or _is_date_time(api.document, node)}  # member -> rendered as an integer

    def render(self, values: dict[str, Any]) -> dict[str, Any]:
        # Nested values are shared with the stored snapshot, which never changes.
        out = {name: values.get(name, default) for name, default in self.defaults.items()}
        for name, as_integer in self.instants.items():
            value = out[name]
            if type(value) is float or type(value) is int:  # not bool: an instant is a number
                out[name] = int(value) if as_integer else rfc3339(value)
        return out


class Representation:
    """The resource's representation, its sub-collections', and projections onto other answers."""

    def __init__(self, api: Api) -> None:
        declared = api.kit.resource
        self.api = api
        self.resource = Shape(api, declared.schema, {declared.created, declared.updated})
        self.children = {name: Shape(api, child.schema, {child.created}) for name, child in declared.children.items()}
        self.read_only = declared.read_only
        # The precision instants are kept at: whole seconds when the API writes them as integers,
        # milliseconds otherwise, so that lists order records as clients see their instants.
        self.instant_step = 1.0 if any(self.resource.instants.values()) else 0.001
        self._projections: dict[str, list[str]] = {}  # schema name -> its members

    def of(self, record: Record, *, read: bool) -> dict[str, Any]:
        """The record as the API answers it; outside reads, read-only members are null."""
        # A stored record never changes (a write stores a changed copy): it is rendered once.
        if record.rendered is None:
            record.rendered = self.resource.render(record.fields)
        body = dict(record.rendered)
        if not read:
            for name in self.read_only:
                body[name] = None
        return body

    def encoded(self, record: Record) -> Any:
        """The record as a read answers it, already JSON: a page embeds it as it is."""
        if record.encoded is None:
            record.encoded = encoded(self.of(record, read=True))
        return record.encoded

    def truncate(self, instant: float) -> float:
        """`instant` at the precision instants are kept at (`instant_step`)."""
        return math.floor(instant / self.instant_step) * self.instant_step

    def child(self, name: str, item: dict[str, Any]) -> dict[str, Any]:
        return self.children[name].render(item)

    def projected(self, body: dict[str, Any], schema_name: str) -> dict[str, Any]:
        """`body` narrowed to the members of another answer's schema (e.g. a record's tags alone)."""
        members = self._projections.get(schema_name)
        if members is None:
            members = self._projections[schema_name] = list(properties(self.api.document,
                                                                       schema(self.api.document, schema_name)))
        return {name: body.get(name) for name in members}

    def defaults(self) -> dict[str, Any]:
        """The representation's defaults, for a new record (which shares them: see lifecycle.py)."""
        return dict(self.resource.defaults)

    def parse(self, fields: dict[str, Any], shape: Shape | None = None) -> dict[str, Any]:
        """Members as given in a fixture or seed, instants read into epoch seconds."""
        shape = shape or self.resource
        return {name: parse_instant(value) if name in shape.instants else value for name, value in fields.items()}
