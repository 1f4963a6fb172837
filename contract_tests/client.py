"""A small HTTP client for the sessions API.

It keeps a request budget, honours 429 `Retry-After`, tags and remembers every session it creates
(so the suite only ever modifies its own sessions and can clean them up), and records each
exchange so that a failure can show the request, the response and a curl line to reproduce it.
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

RETRY_LIMIT = 5
RETRY_WAIT_CAP = 30.0
SHOWN_BODY = 1500


class BudgetExhausted(RuntimeError):
    pass


class Budget:
    """Counts requests across threads; raising once the limit is spent keeps a runaway run polite."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent = 0
        self._lock = threading.Lock()

    def spend(self) -> None:
        with self._lock:
            if self.limit and self.spent >= self.limit:
                raise BudgetExhausted(
                    f"request budget of {self.limit} requests spent (raise --request-budget to allow more)"
                )
            self.spent += 1


class PoliteSession(requests.Session):
    """`requests.Session` that spends the budget and waits out 429 answers as `Retry-After` asks."""

    def __init__(self, budget: Budget, timeout: float = 30.0) -> None:
        super().__init__()
        self.budget = budget
        self.timeout = timeout
        self.rate_limited = 0

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        for attempt in range(RETRY_LIMIT + 1):
            self.budget.spend()
            response = super().request(method, url, *args, **kwargs)
            if response.status_code != 429 or attempt == RETRY_LIMIT:
                return response
            self.rate_limited += 1
            time.sleep(retry_after(response))
        return response  # pragma: no cover


def retry_after(response: requests.Response) -> float:
    value = response.headers.get("Retry-After", "1")
    try:
        seconds = float(value)
    except ValueError:
        seconds = 1.0
    return max(0.0, min(seconds, RETRY_WAIT_CAP))


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


class Registry:
    """Ids of the sessions this run created: the only sessions it may modify."""

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._lock = threading.Lock()

    def add(self, session_id: str) -> None:
        with self._lock:
            if session_id not in self._ids:
                self._ids.append(session_id)

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._ids

    def __iter__(self):
        return iter(list(self._ids))

    def __len__(self) -> int:
        return len(self._ids)


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
        registry: Registry,
        run_tag: str,
        credential: str = "$TOKEN",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.org = org
        self.token = token
        self.http = session
        self.registry = registry
        self.run_tag = run_tag
        self.credential = credential

    def as_(self, token: str | None, credential: str, org: str | None = None) -> Api:
        """The same client, but sending another token (None: no Authorization header)."""
        return Api(
            self.base_url,
            org or self.org,
            token,
            session=self.http,
            registry=self.registry,
            run_tag=self.run_tag,
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
        exchange = Exchange(
            method=method,
            url=url,
            request_headers=sent,
            request_body=body,
            status=response.status_code,
            headers=response.headers,
            text=response.text,
            credential=self.credential if "Authorization" in sent and authorization is UNSET else "",
            elapsed=time.monotonic() - started,
        )
        if authorization is not UNSET and authorization is not None:
            exchange.credential = ""  # a made-up credential is no secret: show it as sent
        return exchange

    # -- operations ------------------------------------------------------------------------
    def create_session(self, prompt: str = "Contract check", *, tags: list[str] | None = None, **fields: Any) -> Exchange:
        body = {"prompt": prompt, "tags": [self.run_tag, *(tags or [])], **fields}
        exchange = self.request("POST", self.sessions_path(), json_body=body)
        if exchange.status == 200 and isinstance(exchange.field("session_id"), str):
            self.registry.add(exchange.field("session_id"))
        return exchange

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
        if devin_id not in self.registry and not devin_id.startswith(ABSENT_PREFIX):
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
