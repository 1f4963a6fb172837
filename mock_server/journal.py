"""Request journal: the last requests the API answered, with their answers, for `GET /_mock/requests`.

The record stage (record.py), outermost, makes the entries, so they hold what the client sent and
got: every answer, from every stage (CORS preflights, 404s, the envelope's errors, injected faults),
with the CORS headers. The mock's own surfaces (the admin API, the docs page, the documents) are
not API requests and are left out.

It costs little on the way: bodies stream through untouched while their first `BODY_CAP` bytes
are kept, and an entry holds references to what the request already carries (headers, path);
masking credentials, decoding and parsing bodies happen only when somebody reads the journal.
The journal is a ring of `--journal-size` entries (0 turns it off); ids keep increasing, clears
included, so that `since=<latest>` polls for what is new.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from api_model import Operation

JOURNAL_SIZE = 500  # entries kept by default
BODY_CAP = 32 * 1024  # bytes of each body kept: a page of a list fits
HEADER_CAP = 1024  # characters of each header value shown
TOKEN_PREFIX = 6  # characters of a credential shown, never more than half of it
MASK = "…"
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization"})
COOKIE_HEADERS = frozenset({"cookie", "set-cookie"})


class Capture:
    """The first `cap` bytes of a body as it streams past, how many went by, and whether it ended."""

    __slots__ = ("cap", "kept", "size", "complete")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.kept = b""  # bytes, not a list of chunks: one object fewer for the collector per body
        self.size = 0
        self.complete = False

    def add(self, chunk: bytes, more: bool) -> None:
        self.size += len(chunk)
        room = self.cap - len(self.kept)
        if chunk and room > 0:
            # The chunk itself (no copy) when it is the first and fits; at most `cap` bytes copied in all.
            self.kept = chunk[:room] if not self.kept else self.kept + chunk[:room]
        self.complete = not more

    def bytes(self) -> bytes:
        return self.kept


@dataclass(slots=True)
class Entry:
    """One request and its answer, as recorded (rendered by `Journal.render` when read)."""

    time: float
    method: str
    path: str
    query: bytes
    request_headers: list[tuple[bytes, bytes]]
    request_body: Capture
    response_body: Capture
    status: int | None = None
    response_headers: Sequence[tuple[bytes, bytes]] = ()
    duration: float = 0.0
    operation: Operation | None = None
    notes: Sequence[str] = ()
    id: int = 0


class Journal:
    """The ring of entries; appended to on the event loop, read and cleared from admin threads."""

    def __init__(self, size: int = JOURNAL_SIZE, *, body_cap: int = BODY_CAP, secrets: Iterable[str | None] = ()) -> None:
        self.size = size
        self.body_cap = body_cap
        self.secrets = tuple(s for s in secrets if s)  # masked wherever they appear in a header
        self.entries: deque[Entry] = deque(maxlen=size)
        self.latest = 0
        self.lock = threading.Lock()

    def record(self, entry: Entry) -> None:
        # The id is given at the end, so ids grow in the ring's order even when requests overlap.
        with self.lock:
            self.latest += 1
            entry.id = self.latest
            self.entries.append(entry)

    def clear(self) -> int:
        with self.lock:
            cleared = len(self.entries)
            self.entries.clear()
            return cleared

    def select(self, *, method: str | None = None, path: str | None = None, status: str | None = None,
               operation: str | None = None, since: int = 0, limit: int = 50) -> dict[str, Any]:
        """Entries matching every filter given, newest first, at most `limit`; and what a poller needs."""
        with self.lock:
            entries = list(self.entries)
            latest = self.latest
        method = method.upper() if method else None
        matched = [e for e in reversed(entries) if e.id > since
                   and (method is None or e.method == method)
                   and (path is None or path in e.path)
                   and (operation is None or (e.operation is not None and e.operation.operation_id == operation))
                   and (status is None or _status_matches(e.status, status))]
        return {"requests": [self.render(e) for e in matched[:limit]], "matched": len(matched),
                "latest": latest, "capacity": self.size}

    def render(self, entry: Entry) -> dict[str, Any]:
        request_headers = self.headers(entry.request_headers)
        response_headers = self.headers(entry.response_headers)
        declared = any(name in request_headers for name in ("content-length", "transfer-encoding")) \
            and request_headers.get("content-length") != "0"
        request_body = None if entry.request_body.size == 0 and not declared else \
            self.body(entry.request_body, request_headers, keep_bytes=entry.status != 413)
        response_body = None if entry.response_body.size == 0 else self.body(entry.response_body, response_headers)
        return {
            "id": entry.id,
            "time": datetime.fromtimestamp(entry.time, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "method": entry.method,
            "path": entry.path,
            "query": entry.query.decode("latin-1"),
            "operation": entry.operation.operation_id if entry.operation is not None else None,
            "status": entry.status,
            "duration_ms": round(entry.duration * 1000, 2),
            "notes": list(entry.notes),
            "request": {"headers": request_headers, "body": request_body},
            "response": {"headers": response_headers, "body": response_body},
        }

    def headers(self, raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
        shown: dict[str, str] = {}
        for key, value in raw:
            name, text = key.decode("latin-1").lower(), self.mask(key.decode("latin-1").lower(), value.decode("latin-1"))
            text = text if len(text) <= HEADER_CAP else text[:HEADER_CAP] + MASK
            shown[name] = f"{shown[name]}, {text}" if name in shown else text
        return shown

    def mask(self, name: str, value: str) -> str:
        """The value with its credentials masked: a token keeps its scheme and a short prefix."""
        for secret in self.secrets:
            value = value.replace(secret, MASK)
        if name in CREDENTIAL_HEADERS:
            scheme, _, token = value.strip().partition(" ")
            token = token.strip()
            shown = token[: min(TOKEN_PREFIX, len(token) // 2)] if MASK not in token else ""
            return f"{scheme} {shown}{MASK}" if token else MASK
        if name in COOKIE_HEADERS:
            # Cookie names tell which cookies came; their values are credentials.
            pairs = value.split(";") if name == "cookie" else value.split(";")[:1]
            return "; ".join(f"{pair.partition('=')[0].strip()}={MASK}" for pair in pairs if pair.strip())
        return value

    def body(self, capture: Capture, headers: dict[str, str], keep_bytes: bool = True) -> dict[str, Any]:
        """What the journal shows of a body: its size, whether it is whole, and it as JSON or text."""
        held = capture.bytes()
        truncated = len(held) < capture.size or not capture.complete
        shown: dict[str, Any] = {"size": capture.size, "truncated": truncated}
        if not keep_bytes:  # a body refused as too large: its bytes are no use to anyone
            return shown
        media = headers.get("content-type", "").partition(";")[0].strip().lower()
        if not truncated and (media == "application/json" or media.endswith("+json")):
            try:
                shown["json"] = json.loads(held, parse_constant=_no_constant)
                return shown
            except (ValueError, RecursionError):
                pass  # shown as the text it is
        shown["text"] = held.decode("utf-8", "replace")
        return shown

    # The admin operations (spec/admin.yaml), in the admin API's calling convention.
    def list_requests(self, operation: Operation, parameters: dict[str, Any], body: Any) -> dict[str, Any]:
        filters = {name: parameters[name] for name in ("method", "path", "status", "operation", "since", "limit")
                   if parameters.get(name) is not None}
        return self.select(**filters)

    def clear_requests(self, operation: Operation, parameters: dict[str, Any], body: Any) -> dict[str, Any]:
        return {"cleared": self.clear(), "latest": self.latest}

    def admin_operations(self) -> dict[str, Any]:
        return {"list_requests": self.list_requests, "clear_requests": self.clear_requests}


def _status_matches(status: int | None, wanted: str) -> bool:
    """`404` matches 404, `4xx` any 4xx; no status (the client left first) matches nothing."""
    if status is None:
        return False
    return str(status) == wanted or (wanted.endswith("xx") and str(status)[:1] == wanted[:1])


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity: no JSON the journal could answer with
