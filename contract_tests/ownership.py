"""What the run owns: the sessions it creates, by whatever path, and nothing else.

Every request the suite sends (its own helpers, schemathesis' generated calls, raw requests of
the envelope and bad-input tests) passes through `Ownership`:
- a body that creates a session, or replaces a session's tags, carries the run tag: the tag
  is added when absent, in place of the last tag when the list is full, so a valid body stays
  valid, an invalid one stays invalid, and no session of the run ever ends untagged;
- a session the target answers a create with is registered, with the organization and the
  credential that created it, so the run may modify it and cleans it up at the end.

On a shared deployment the suite modifies only registered sessions (`Api._guard`, and the
generated-call guard in `conformance`).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

CREATE_PATH = re.compile(r"/v3/organizations/(?P<org>[^/]+)/sessions/?")
TAGS_PATH = re.compile(r"/v3/organizations/(?P<org>[^/]+)/sessions/[^/]+/tags/?")
TAGS_FIELD = "tags"
MAX_TAGS = 50
TAG_LENGTH = (1, 64)  # code points


@dataclass(frozen=True)
class Owned:
    session_id: str
    org: str
    authorization: str | None  # the header that created it, to clean it up with


def with_run_tag(tags: list[Any], run_tag: str) -> list[Any]:
    """`tags` carrying `run_tag`, keeping the list exactly as valid or invalid as it was: appended
    below the limit; at or past it, in place of the last valid tag (none: left as it is)."""
    if run_tag in tags:
        return tags
    if len(tags) < MAX_TAGS:
        return [*tags, run_tag]
    valid = [i for i, tag in enumerate(tags) if isinstance(tag, str) and TAG_LENGTH[0] <= len(tag) <= TAG_LENGTH[1]]
    if not valid:
        return tags
    return [*tags[: valid[-1]], run_tag, *tags[valid[-1] + 1:]]


class Ownership:
    def __init__(self, run_tag: str) -> None:
        self.run_tag = run_tag
        self._owned: dict[str, Owned] = {}
        self._lock = threading.Lock()

    # -- the registry ------------------------------------------------------------------------

    def add(self, session_id: str, org: str = "", authorization: str | None = None) -> None:
        with self._lock:
            self._owned.setdefault(session_id, Owned(session_id, org, authorization))

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._owned

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._owned))

    def __len__(self) -> int:
        return len(self._owned)

    def owned(self) -> list[Owned]:
        with self._lock:
            return list(self._owned.values())

    # -- the transport hooks -------------------------------------------------------------------

    def before_send(self, method: str, url: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The request's keyword arguments, its body carrying the run tag where it must."""
        path = urlsplit(url).path
        tagged = (method.upper() == "POST" and CREATE_PATH.fullmatch(path)) or \
                 (method.upper() == "PUT" and TAGS_PATH.fullmatch(path))
        if not tagged:
            return kwargs
        if isinstance(kwargs.get("json"), dict):
            body = self._tag(kwargs["json"], creating=method.upper() == "POST")
            return {**kwargs, "json": body}
        raw = kwargs.get("data")
        if isinstance(raw, (bytes, str)) and raw:
            try:
                parsed = json.loads(raw)
            except (ValueError, UnicodeDecodeError, RecursionError):
                return kwargs  # not JSON: it creates nothing
            if isinstance(parsed, dict):
                tagged_body = self._tag(parsed, creating=method.upper() == "POST")
                if tagged_body is not parsed:
                    return {**kwargs, "data": json.dumps(tagged_body).encode()}
        return kwargs

    def _tag(self, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        tags = body.get(TAGS_FIELD)
        if isinstance(tags, list):
            new = with_run_tag(tags, self.run_tag)
            return body if new is tags else {**body, TAGS_FIELD: new}
        if TAGS_FIELD not in body and creating:
            return {**body, TAGS_FIELD: [self.run_tag]}
        return body

    def after_answer(self, method: str, url: str, kwargs: dict[str, Any], response: requests.Response) -> None:
        """Register the session a create answered with."""
        if method.upper() != "POST" or not 200 <= response.status_code < 300:
            return
        match = CREATE_PATH.fullmatch(urlsplit(url).path)
        if match is None:
            return
        try:
            body = response.json()
        except ValueError:
            return
        session_id = body.get("session_id") if isinstance(body, dict) else None
        if isinstance(session_id, str):
            headers = kwargs.get("headers") or {}
            authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
            self.add(session_id, match["org"], authorization)
