"""A small HTTP client for the sessions API.

Its requests go through the run's `PoliteSession` (budget, deadline, timeouts, `Retry-After`,
and the run's `Ownership`, which tags and registers every session the run creates). It records
each exchange so that a failure can show the request, the response and a curl line to reproduce it.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from api_model import Operation
from contract_tests.contract import Contract
from contract_tests.ownership import Ownership
from contract_tests.transport import PoliteSession

SHOWN_BODY = 1500
_recent = threading.local()  # the last exchanges of this thread, for reports of unexpected errors


def recent_exchanges() -> list[Exchange]:
    return list(getattr(_recent, "exchanges", []))


def _remember(exchange: Exchange) -> None:
    _recent.exchanges = [*getattr(_recent, "exchanges", [])[-2:], exchange]


@dataclass
class Exchange:
    """One request and its response, as the suite saw them."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int
    headers: requests.structures.CaseInsensitiveDict
    text: str
    credential: str = "$TOKEN"  # how the curl line names the token that was sent
    elapsed: float = 0.0
    _json: Any = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def media_type(self) -> str:
        return self.content_type.split(";")[0].strip().lower()

    @property
    def json(self) -> Any:
        if not self._parsed:
            self._parsed = True
            try:
                self._json = json.loads(self.text)
            except ValueError:
                self._json = None
        return self._json

    @property
    def sent_json(self) -> Any:
        """The JSON body the request carried (as sent: with the run's marker), or None."""
        try:
            return json.loads(self.request_body) if self.request_body else None
        except ValueError:
            return None

    def field(self, name: str) -> Any:
        body = self.json
        return body.get(name) if isinstance(body, dict) else None

    def curl(self) -> str:
        parts = ["curl", "-sS", "-i", "-X", self.method]
        for name, value in self.request_headers.items():
            if name.lower() == "authorization" and self.credential:
                scheme = value.split(" ", 1)[0] if " " in value else "Bearer"
                parts += ["-H", f"Authorization: {scheme} {self.credential}"]
            else:
                parts += ["-H", f"{name}: {value}"]
        rendered = " ".join(shlex.quote(p) if not p.startswith("Authorization: ") else f'"{p}"' for p in parts)
        rendered += " " + shlex.quote(self.url)
        if self.request_body is not None:
            rendered += " --data-binary " + shlex.quote(self.request_body.decode("utf-8", "replace"))
        return rendered

    def render(self) -> str:
        lines = [f"> {self.method} {self.url}"]
        for name, value in self.request_headers.items():
            if name.lower() == "authorization" and self.credential:
                value = value.split(" ", 1)[0] + " " + self.credential
            lines.append(f">   {name}: {value}")
        if self.request_body is not None:
            lines.append(">   " + _shorten(self.request_body.decode("utf-8", "replace")))
        lines.append(f"< {self.status}  ({self.elapsed * 1000:.0f} ms)")
        for name in ("Content-Type", "Allow", "WWW-Authenticate", "Retry-After"):
            if name in self.headers:
                lines.append(f"<   {name}: {self.headers[name]}")
        if self.text:
            lines.append("<   " + _shorten(self.text))
        lines.append(f"  reproduce: {self.curl()}")
        return "\n".join(lines)


def _shorten(text: str) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= SHOWN_BODY else text[:SHOWN_BODY] + f"... ({len(text)} chars)"


UNSET = object()


class Api:
    """A client of the API the contract describes, with one credential and one tenant; every call
    returns an `Exchange`."""

    def __init__(
        self,
        contract: Contract,
        base_url: str,
        tenant: dict[str, str],
        token: str | None,
        *,
        session: PoliteSession,
        ownership: Ownership,
        credential: str = "$TOKEN",
    ) -> None:
        self.contract = contract
        self.base_url = base_url.rstrip("/")
        self.tenant = dict(tenant)  # a value for each tenancy parameter
        self.token = token
        self.http = session
        self.ownership = ownership
        self.credential = credential

    @property
    def run_tag(self) -> str:
        return self.ownership.run_tag

    def as_(self, token: str | None, credential: str, tenant: dict[str, str] | None = None) -> Api:
        """The same client, but sending another token (None: no Authorization header), maybe in another tenant."""
        return Api(self.contract, self.base_url, {**self.tenant, **(tenant or {})}, token, session=self.http,
                   ownership=self.ownership, credential=credential)

    def path(self, operation: Operation | str, record_id: str | None = None, tenant: dict[str, str] | None = None) -> str:
        """The operation's path in this client's tenant (or `tenant`'s values), naming `record_id`."""
        op = self.contract.operations[operation] if isinstance(operation, str) else operation
        values = {**self.tenant, **(tenant or {})}
        if record_id is not None:
            values[self.contract.resource.id_parameter] = record_id
        return op.fill(values)

    # -- raw -------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json_body: Any = UNSET,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        authorization: str | None | object = UNSET,
    ) -> Exchange:
        url = self.base_url + path
        if params:
            url += "?" + urlencode(params, doseq=True)
        sent: dict[str, str] = {}
        if authorization is UNSET:
            if self.token is not None:
                sent["Authorization"] = f"Bearer {self.token}"
        elif authorization is not None:
            sent["Authorization"] = str(authorization)
        body = data
        if json_body is not UNSET:
            body = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        started = time.monotonic()
        response = self.http.request(method, url, data=body, headers=sent, allow_redirects=False)
        sent_body = response.request.body  # as sent: the run's ownership may have added its tag
        exchange = Exchange(
            method=method,
            url=url,
            request_headers=sent,
            request_body=sent_body.encode() if isinstance(sent_body, str) else sent_body,
            status=response.status_code,
            headers=response.headers,
            text=response.text,
            credential=self.credential if "Authorization" in sent and authorization is UNSET else "",
            elapsed=time.monotonic() - started,
        )
        if authorization is not UNSET and authorization is not None:
            exchange.credential = ""  # a made-up credential is no secret: show it as sent
        _remember(exchange)
        return exchange

    # -- operations ------------------------------------------------------------------------
    def call(self, operation: Operation | str, record_id: str | None = None, *, body: Any = UNSET,
             query: dict[str, Any] | None = None, tenant: dict[str, str] | None = None, **kwargs: Any) -> Exchange:
        """Send an operation of the spec (`body`: its JSON body; UNSET: none)."""
        op = self.contract.operations[operation] if isinstance(operation, str) else operation
        params = {k: _wire(v) for k, v in (query or {}).items() if v is not None}
        return self.request(op.method, self.path(op, record_id, tenant), params=params or None, json_body=body, **kwargs)

    def create(self, **members: Any) -> Exchange:
        """A session of this run: the create body's example, with `members` over it (and the run's marker)."""
        op = self.contract.create
        body = self.ownership.marked({**(self.contract.example_body(op) or {}), **members}, creating=True)
        return self.call(op, body=body)  # registered by the ownership

    def read(self, record_id: str) -> Exchange:
        return self.call(self.contract.read, record_id)

    def list(self, **query: Any) -> Exchange:
        return self.call(self.contract.list, query=query)

    def write(self, operation: Operation | str, record_id: str, *, body: Any = UNSET, **query: Any) -> Exchange:
        """A write to a session of this run (a body: the operation's example when UNSET and one is taken)."""
        op = self.contract.operations[operation] if isinstance(operation, str) else operation
        self._guard(record_id)
        if body is UNSET and op.body_pointer is not None:
            body = self.contract.example_body(op)
        return self.call(op, record_id, body=body, query=query)

    def archive(self, record_id: str) -> Exchange:
        return self.write(self.contract.role("archive"), record_id)

    def unarchive(self, record_id: str) -> Exchange:
        return self.write(self.contract.role("unarchive"), record_id)

    # -- marks of a test's own sessions ----------------------------------------------------
    MARK_KEY = "kit-mark"

    def marked_with(self, mark: str) -> dict[str, Any]:
        """Create members that put `mark` on a session, beside the run's marker, in the marked member."""
        field = self.contract.kit.marker_field
        return {field: {self.MARK_KEY: [mark]}} if self.contract.kit.marker_key else {field: [mark]}

    def keeping(self, body: Any, mark: str) -> Any:
        """A write's body that keeps `mark` where it replaces the marked member."""
        field = self.contract.kit.marker_field
        if not isinstance(body, dict) or not isinstance(body.get(field), (list, dict)):
            return body
        held = body[field]
        mine = self.marked_with(mark)[field]
        merged = {**held, **mine} if isinstance(held, dict) else held + [m for m in mine if m not in held]
        return {**body, field: merged}

    def selecting(self, mark: str, **query: Any) -> dict[str, Any]:
        """List query parameters that select the sessions carrying `mark` (the list filter on the
        marked member), with the largest page, and `query` besides."""
        field = self.contract.kit.marker_field
        behaviour = self.contract.behaviour(self.contract.list.operation_id)
        parameter, spec = next((p, f) for p, f in behaviour.filters.items() if f.member == field)
        value = [f"{self.MARK_KEY}:{mark}"] if spec.kind == "entries" else [mark]
        return {self.contract.page.size: self.contract.largest_page(), parameter: value, **query}

    def id_of(self, exchange: Exchange) -> Any:
        return exchange.field(self.contract.resource.id_field)

    def _guard(self, record_id: str) -> None:
        """Writes only ever target sessions this run created, or ids that cannot exist."""
        if record_id not in self.ownership and record_id not in ABSENT:
            raise AssertionError(f"refusing to modify {record_id}: this run did not create it")

    def absent_id(self, salt: str = "") -> str:
        return absent_id(self.contract, self.run_tag, salt)


ABSENT: set[str] = set()  # ids made by absent_id: well-formed, and named by no server


def absent_id(contract: Contract, run_tag: str, salt: str = "") -> str:
    """A well-formed id that no server issues (the form the spec's ids take; unique to the run)."""
    digest = hashlib.sha256(f"{run_tag}/{salt}".encode()).hexdigest()
    made = (contract.resource.id_template.replace("{hex32}", digest[:32])
            .replace("{uuid}", str(uuid.UUID(hex=digest[:32], version=4))))
    ABSENT.add(made)
    return made


def _wire(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def unique_tag(prefix: str) -> str:
    """A value no other test (or worker, or run) uses: lists filtered by it see only this test's sessions."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
