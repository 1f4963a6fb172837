"""Fixture files: sessions written as v3 `SessionResponse` fields, checked against the specs.

The format is the admin spec's `Fixtures` schema (`spec/admin.yaml`), whose fields are the
product spec's own schemas; only `session_id` is required, the rest has defaults. A file may be
YAML or JSON. Every problem names its entry and field:

    fixtures.yaml: sessions[2] (devin-abc).status: "runing" is not one of "new", "claimed", ...

Besides the schema, two rules: ids are unique, and each session, once completed with the
defaults, must render as a valid `SessionResponse` (so the mock never holds a session whose
answer would fail its own response validation).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jsonschema_rs

from .envelope import field_error
from .handlers import session_response
from .store import Message, Session
from .validate import compile_schema, schema_errors
from .yaml_files import FileError, read_yaml

PRODUCT_URI = "file:///spec/openapi.yaml"  # the admin spec refers to the product spec as `openapi.yaml`
ADMIN_URI = "file:///spec/admin.yaml"
# Fields kept as they are, for the response to show; the lifecycle never reads them.
ATTRIBUTE_FIELDS = (
    "url", "acus_consumed", "pull_requests", "origin", "category", "subcategory", "structured_output",
    "playbook_id", "parent_session_id", "child_session_ids", "service_user_id", "user_id",
)

Problem = dict[str, Any]


def specs_registry(product: dict[str, Any], admin: dict[str, Any]) -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry([(PRODUCT_URI, product), (ADMIN_URI, admin)])


def where(loc: Sequence[str | int], document: Any = None) -> str:
    """`sessions[2] (devin-abc).status` for loc ["sessions", 2, "status"]."""
    text = ""
    node = document
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("session_id"), str):
                text += f" ({node['session_id']})"
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text or "(document)"


class FixtureError(FileError):
    """A fixtures file that breaks the spec; the message lists every problem, one a line."""

    def __init__(self, source: str, problems: list[Problem], document: Any = None) -> None:
        lines = [f"{source}: {where(p['loc'], document)}: {p['msg']}" for p in problems]
        super().__init__("\n".join(lines))
        self.problems = problems


class FixtureReader:
    def __init__(self, registry: jsonschema_rs.Registry, default_org: str, clock: Callable[[], int]) -> None:
        self.fixtures_schema = compile_schema(registry, ADMIN_URI, "/components/schemas/Fixtures")
        self.response_schema = compile_schema(registry, PRODUCT_URI, "/components/schemas/SessionResponse")
        self.default_org = default_org
        self.clock = clock

    def problems(self, document: Any, loc: list[str | int] | None = None) -> list[Problem]:
        """Every problem of a fixtures document, located under `loc` (e.g. ["body"])."""
        loc = loc or []
        found = schema_errors(self.fixtures_schema, document, loc)
        if found:
            return found
        first_index: dict[str, int] = {}
        for index, entry in enumerate(document["sessions"]):
            at = [*loc, "sessions", index]
            earlier = first_index.setdefault(entry["session_id"], index)
            if earlier != index:
                found.append(field_error([*at, "session_id"], f"Duplicate of sessions[{earlier}]", "duplicate"))
                continue
            response = session_response(self.session(entry, self.clock()), detailed=True)
            found.extend(schema_errors(self.response_schema, response, at))
        return found

    def session(self, entry: dict[str, Any], now: int) -> Session:
        """The session an entry describes, with the defaults filled in."""
        session_id = entry["session_id"]
        created = entry.get("created_at", now)
        status = entry.get("status", "running")
        title = entry.get("title")
        raw_messages = entry.get("messages") or [{"message": title or f"Session {session_id}"}]
        messages = [
            Message(f"{session_id}-{number}", raw.get("source", "user"), raw["message"], raw.get("created_at", created))
            for number, raw in enumerate(raw_messages, start=1)
        ]
        return Session(
            id=session_id,
            tenant=entry.get("org_id", self.default_org),
            status=status,
            status_detail=entry.get("status_detail", "working" if "status" not in entry else None),
            created_at=created,
            updated_at=entry.get("updated_at", created),
            archived=entry.get("is_archived", False),
            tags=list(entry.get("tags", [])),
            title=title,
            messages=messages,
            attributes={k: entry[k] for k in ATTRIBUTE_FIELDS if k in entry},  # the response fills the defaults
        )

    def sessions(self, document: dict[str, Any]) -> list[Session]:
        """The sessions of a document that has no problems."""
        now = self.clock()
        return [self.session(entry, now) for entry in document["sessions"]]

    def read(self, path: str | Path) -> list[Session]:
        """The sessions of a YAML or JSON file; FileError says why it cannot be used."""
        document = read_yaml(path, "fixtures file")
        problems = self.problems(document)
        if problems:
            raise FixtureError(str(path), problems, document)
        return self.sessions(document)
