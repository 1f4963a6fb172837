"""A small HTTP client for the sessions API.

Its requests go through the run's `PoliteSession` (budget, deadline, timeouts, `Retry-After`,
and the run's `Ownership`, which tags and registers every session the run creates). It records
each exchange so that a failure can show the request, the response and a curl line to reproduce it.
"""

from __future__ import annotations

import json
import shlex
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

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
    """Typed helpers over the operations of the spec; every call returns an `Exchange`."""

    def __init__(
        self,
        base_url: str,
        org: str,
        token: str | None,
        *,
        session: PoliteSession,
        ownership: Ownership,
        credential: str = "$TOKEN",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.org = org
        self.token = token
        self.http = session
        self.ownership = ownership
        self.credential = credential

    @property
    def run_tag(self) -> str:
        return self.ownership.run_tag

    def as_(self, token: str | None, credential: str, org: str | None = None) -> Api:
        """The same client, but sending another token (None: no Authorization header)."""
        return Api(
            self.base_url,
            org or self.org,
            token,
            session=self.http,
            ownership=self.ownership,
            credential=credential,
        )

    def sessions_path(self, org: str | None = None) -> str:
        return f"/v3/organizations/{org or self.org}/sessions"

    def session_path(self, devin_id: str, suffix: str = "", org: str | None = None) -> str:
        return f"{self.sessions_path(org)}/{devin_id}{suffix}"

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
    def create_session(self, prompt: str = "Contract check", *, tags: list[str] | None = None, **fields: Any) -> Exchange:
        body = {"prompt": prompt, "tags": [self.run_tag, *(tags or [])], **fields}
        return self.request("POST", self.sessions_path(), json_body=body)  # registered by the ownership

    def get_session(self, devin_id: str) -> Exchange:
        return self.request("GET", self.session_path(devin_id))

    def list_sessions(self, **params: Any) -> Exchange:
        return self.request("GET", self.sessions_path(), params={k: _wire(v) for k, v in params.items() if v is not None})

    def archive(self, devin_id: str) -> Exchange:
        self._guard(devin_id)
        return self.request("POST", self.session_path(devin_id, "/archive"))

    def unarchive(self, devin_id: str) -> Exchange:
        self._guard(devin_id)
        return self.request("POST", self.session_path(devin_id, "/unarchive"))

    def send_message(self, devin_id: str, message: str = "Please continue.") -> Exchange:
        self._guard(devin_id)
        return self.request("POST", self.session_path(devin_id, "/messages"), json_body={"message": message})

    def list_messages(self, devin_id: str, **params: Any) -> Exchange:
        return self.request("GET", self.session_path(devin_id, "/messages"), params=params or None)

    def terminate(self, devin_id: str, archive: bool | None = None) -> Exchange:
        self._guard(devin_id)
        params = None if archive is None else {"archive": _wire(archive)}
        return self.request("DELETE", self.session_path(devin_id), params=params)

    def replace_tags(self, devin_id: str, tags: list[str]) -> Exchange:
        self._guard(devin_id)
        return self.request("PUT", self.session_path(devin_id, "/tags"), json_body={"tags": tags})

    def _guard(self, devin_id: str) -> None:
        """Modifying calls only ever target sessions this run created, or ids that cannot exist."""
        if devin_id not in self.ownership and not devin_id.startswith(ABSENT_PREFIX):
            raise AssertionError(f"refusing to modify {devin_id}: this run did not create it")

    def absent_id(self, salt: str = "") -> str:
        return absent_id(self.run_tag, salt)


ABSENT_PREFIX = "devin-contractabsent"


def absent_id(run_tag: str, salt: str = "") -> str:
    """A well-formed session id that no server issues: the run tag makes it unique to this run."""
    import hashlib

    digest = hashlib.sha256(f"{run_tag}/{salt}".encode()).hexdigest()[:16]
    return f"{ABSENT_PREFIX}{digest}"


def _wire(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def unique_tag(prefix: str) -> str:
    """A tag no other test (or worker, or run) uses: lists filtered by it see only this test's sessions."""
    import uuid

    return f"{prefix}-{uuid.uuid4().hex[:12]}"
