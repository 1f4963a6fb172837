"""Reading a JSON request body within limits: size, media type and charset, syntax, nesting, Unicode.

The validate stage (and the admin API's) call `read_json_body`, which answers in the contract's
terms: 413 for a body over the size limit (read in chunks, so an oversize body is never held in
memory whole), 415 for another media type or a charset that is not a text encoding, 400 for
bytes that are not JSON in that charset or JSON nested deeper than the mock parses. Strings that
hold lone surrogates (`"\\ud800"`: valid JSON syntax, but no Unicode text) are returned as
located 422 errors, for the validate stage to report with the other validation errors.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.types import Receive, Scope

from .envelope import ApiError, field_error

DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024  # the largest valid create body, escapes included, is ~1.3 MB
MAX_DEPTH = 64  # nesting levels of arrays and objects; jsonschema-rs itself fails past 255
# JSON is UTF-8 (RFC 8259 §8.1); the other Unicode encodings and the common legacy ones are read too.
TEXT_CHARSETS = frozenset(codecs.lookup(name).name for name in (
    "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be",
    "us-ascii", "iso-8859-1", "iso-8859-15", "windows-1252",
))

MISSING = object()  # no body was sent


@dataclass
class JsonBody:
    """A request body read by `read_json_body`: the raw bytes, the parsed value (or MISSING), and
    the 422 errors of strings that are not Unicode text."""

    raw: bytes
    value: Any = MISSING
    errors: list[dict[str, Any]] = field(default_factory=list)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def content_type(scope: Scope) -> tuple[str, str] | None:
    """(media type, charset) of the request, or None without a Content-Type header."""
    header = _header(scope, b"content-type")
    if header is None:
        return None
    media_type, *params = header.split(";")
    charset = "utf-8"
    for param in params:
        key, _, val = param.strip().partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip('"') or charset
    return media_type.strip().lower(), charset


def _codec(charset: str) -> str:
    """The codec name for `charset`; 415 unless it is one of the text encodings JSON may come in."""
    try:
        name = codecs.lookup(charset).name
    except (LookupError, ValueError):
        name = ""
    if name not in TEXT_CHARSETS:
        shown = charset if charset.isprintable() and len(charset) <= 40 else charset[:40].encode("unicode_escape").decode()
        raise ApiError(415, f"Charset {shown!r} is not supported; send UTF-8 JSON.")
    return name


async def read_limited(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body, or 413 as soon as it is known to exceed `limit` bytes (from Content-Length
    before reading anything, else while reading)."""
    declared = _header(scope, b"content-length")
    if declared is not None and declared.strip().isdigit() and int(declared.strip()[:20]) > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"The body is larger than {limit} bytes, the limit of this server.")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


STRICT_JSON = json.JSONDecoder(parse_constant=_reject_constant)  # made once: json.loads would make one per body


def parse_json(raw: bytes, charset: str = "utf-8") -> Any:
    """Strict JSON: NaN and Infinity are refused, as are bytes that are not in `charset` and
    nesting deeper than MAX_DEPTH; each is a 400."""
    if charset == "utf-8" and raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH and not _has_long_digits(raw):
        try:
            return orjson.loads(raw)  # the common body, several times faster
        except orjson.JSONDecodeError:
            pass  # what orjson refuses is read, or refused with its reason, as the standard library does
    try:
        text = raw.decode(charset)
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"The body is not valid {charset}: {exc.reason} at byte {exc.start}.") from exc
    if _bracket_depth_exceeds(text, MAX_DEPTH):
        raise ApiError(400, f"The JSON body is nested deeper than {MAX_DEPTH} levels.")
    try:
        return STRICT_JSON.decode(text)
    except RecursionError as exc:  # pragma: no cover - the depth check above comes first
        raise ApiError(400, f"The JSON body is nested deeper than {MAX_DEPTH} levels.") from exc
    except ValueError as exc:
        raise ApiError(400, f"The body is not valid JSON: {_shorten(str(exc))}.") from exc


# A run of 19 digits may be an integer past 64 bits, which orjson would read as a float. Found by
# mapping every digit to "0" and anything else to " ", then searching for 19 zeros: the regular
# expression \d{19}, tried at every byte of the body, cost a create 2% of its instructions.
DIGITS_AS_ZEROS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
LONG_DIGITS = b"0" * 19


def _has_long_digits(raw: bytes) -> bool:
    return LONG_DIGITS in raw.translate(DIGITS_AS_ZEROS)


JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')  # unrolled: no alternation per character
BRACKET = re.compile(r"[\[\]{}]")
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")  # the only way a lone surrogate gets into JSON


def _bracket_depth_exceeds(text: str, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than `limit` (regular expressions do the
    scanning: a 2 MB body is checked in milliseconds)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for bracket in BRACKET.findall(JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            return True
    return False


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_text(value: str) -> bool:
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def non_text_errors(value: Any, loc: list[str | int]) -> list[dict[str, Any]]:
    """422 entries for every string (member names included) holding a lone surrogate."""
    found: list[dict[str, Any]] = []
    stack: list[tuple[Any, list[str | int]]] = [(value, loc)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            if not _is_text(node):
                found.append(field_error(where, "The string is not valid Unicode (a lone surrogate)", "string_unicode"))
        elif isinstance(node, dict):
            for key, item in node.items():
                if not _is_text(key):
                    found.append(field_error(where, "A member name is not valid Unicode (a lone surrogate)", "string_unicode"))
                    continue
                stack.append((item, [*where, key]))
        elif isinstance(node, list):
            stack.extend((item, [*where, index]) for index, item in enumerate(node))
    return found


async def read_json_body(scope: Scope, receive: Receive, limit: int = DEFAULT_MAX_BODY_BYTES) -> JsonBody:
    """The request's JSON body (MISSING when none was sent): 413, 415 or 400 when it cannot be read."""
    media = content_type(scope)
    if media is not None and media[0] != "application/json":
        shown = media[0] if media[0].isprintable() and len(media[0]) <= 80 else media[0][:80].encode("unicode_escape").decode()
        raise ApiError(415, f"Content-Type {shown!r} is not supported; send application/json.")
    raw = await read_limited(scope, receive, limit)
    if media is None:
        if raw:
            raise ApiError(415, "The body has no Content-Type; send application/json.")
        return JsonBody(raw)
    charset = _codec(media[1])
    if not raw:
        return JsonBody(raw)
    value = parse_json(raw, charset)
    errors = non_text_errors(value, ["body"]) if SURROGATE_ESCAPE.search(raw) or charset != "utf-8" else []
    return JsonBody(raw, value, errors)
