"""The operations of the sessions API, as data: method, path, a valid body, the permission needed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    suffix: str | None  # None: the collection; "": the session itself; "/archive"...
    body: Any = None
    params: dict | None = None
    manage: bool = False  # needs ManageOrgSessions (else ViewOrgSessions)

    @property
    def session_scoped(self) -> bool:
        return self.suffix is not None

    def path(self, org: str, devin_id: str | None = None) -> str:
        base = f"/v3/organizations/{org}/sessions"
        return base if self.suffix is None else f"{base}/{devin_id}{self.suffix}"


OPERATIONS = [
    Operation("create_session", "POST", None, {"prompt": "Contract check"}, manage=True),
    Operation("list_sessions", "GET", None, params={"first": 1}),
    Operation("get_session", "GET", ""),
    Operation("archive_session", "POST", "/archive", manage=True),
    Operation("unarchive_session", "POST", "/unarchive", manage=True),
    Operation("send_message", "POST", "/messages", {"message": "hello"}, manage=True),
    Operation("list_messages", "GET", "/messages"),
    Operation("terminate_session", "DELETE", "", manage=True),
    Operation("replace_tags", "PUT", "/tags", {"tags": ["contract"]}, manage=True),
]
BY_NAME = {op.name: op for op in OPERATIONS}

# Documented methods per path suffix (for 405 / Allow).
METHODS = {None: {"GET", "POST"}, "": {"GET", "DELETE"}, "/archive": {"POST"}, "/unarchive": {"POST"},
           "/messages": {"GET", "POST"}, "/tags": {"PUT"}}


def call(api, op: Operation, devin_id: str | None = None, *, org: str | None = None, body: Any = "valid",
         **kwargs) -> Any:
    """Send `op` through `api` (whatever its token), without the client's own safety guard: callers pass
    only ids this run created or ids that cannot exist."""
    json_body = op.body if body == "valid" else body
    if op.name == "create_session" and isinstance(json_body, dict) and "tags" not in json_body:
        json_body = {**json_body, "tags": [api.run_tag]}
    extra = {} if json_body is None else {"json_body": json_body}
    return api.request(op.method, op.path(org or api.org, devin_id), params=op.params, **extra, **kwargs)
