"""Opaque, signed cursors and the page arithmetic behind every list operation.

A cursor names the last item of a page. It is signed, so a string the server never issued
is refused (422) instead of silently starting somewhere, and it is bound to the list it came
from (one tenant's records, one record's sub-collection).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .envelope import ApiError, field_error

T = TypeVar("T")


class CursorCodec:
    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def _signature(self, listing: str, payload: bytes) -> str:
        digest = hmac.new(self._secret, listing.encode() + b"\0" + payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")

    def issue(self, listing: str, position: Any) -> str:
        payload = json.dumps(position, separators=(",", ":")).encode()
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{body}.{self._signature(listing, payload)}"

    def read(self, listing: str, cursor: str, parameter: str) -> Any:
        """The position a cursor names; a 422 located at query `parameter` for anything this codec
        did not issue for `listing`."""
        body, _, signature = cursor.partition(".")
        try:
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)) if body.isascii() else b""
        except ValueError:
            payload = b""
        # Compared as bytes: a str with non-ASCII characters is no signature (and hmac refuses it).
        expected = self._signature(listing, payload).encode() if payload else b""
        if not payload or not hmac.compare_digest(signature.encode("utf-8", "replace"), expected):
            raise ApiError(
                422,
                f"The cursor in '{parameter}' was not issued for this list; pass the cursor of the previous page.",
                errors=[field_error(["query", parameter], "Unknown cursor", "cursor_invalid")],
            )
        return json.loads(payload)


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    more: bool
    total: int


def paginate(
    items: Sequence[T],
    *,
    first: int,
    start: int,
    cursor_for: Callable[[T], str],
) -> Page[T]:
    """The page of `first` items from index `start` of the full, ordered list."""
    page = list(items[start : start + first])
    has_next = start + first < len(items)
    return Page(page, cursor_for(page[-1]) if has_next and page else None, has_next, len(items))
