"""Admin API under `/_mock/` (`spec/admin.yaml`, completed for the API served): local controls.

Reset to the starting sessions, load fixtures, and put a session in any state so a UI can show
it. Admin requests take their own short pipeline, built from the product's stages (route and
validate against the admin spec), and their errors leave through the same envelope. Nothing
here is reachable from the product API.

The admin API can wipe or rewrite everything, so it answers only whom it should (`AdminAccess`):
- bound to loopback, no token is needed; bound beyond it, the API is off (403) unless the mock
  was started with `--admin-token`, whose bearer token every admin request must then carry (401);
- a request from a web page of another site is refused (403): its `Origin` must be the mock's
  own or one CORS allows; and a body, or a Content-Type, must be JSON (415), which a cross-site
  form or a simple `fetch` cannot send without a preflight.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from api_model import Api, FileError, Operation

from .admin_document import PREFIX
from .cors import origin_allowed
from .envelope import ApiError, field_error
from .fixtures import FixtureError, FixtureReader
from .handlers import Handlers
from .hosts import host_name
from .pipeline import Pipeline
from .request_body import DEFAULT_MAX_BODY_BYTES, MISSING, content_type
from .response_validation import AnswerCheck, ResponseRule
from .route import Router
from .store import Record
from .validate import OperationValidator, RequestValidator, Validated

ADMIN_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="mock-admin"'}


@dataclass(frozen=True)
class AdminAccess:
    """Who may use the admin API."""

    enabled: bool = True
    token: str | None = None  # the bearer token every admin request must carry, if set
    disabled_reason: str = "The admin API is off."
    cors_origins: tuple[str, ...] = ()  # origins besides the local ones whose pages may call it

    def check(self, scope: Scope) -> None:
        """Raise the envelope error that refuses this admin request, if any."""
        if not self.enabled:
            raise ApiError(403, self.disabled_reason)
        headers = {name: value.decode("latin-1") for name, value in scope["headers"]}
        if self.token is not None:
            scheme, _, given = headers.get(b"authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self.token.encode()):
                raise ApiError(401, "The admin API needs 'Authorization: Bearer <the --admin-token>'.",
                               headers=ADMIN_CHALLENGE)
        origin = headers.get(b"origin")
        if origin is not None and not self._same_origin(origin, headers.get(b"host", "")) \
                and not origin_allowed(origin, self.cors_origins):
            raise ApiError(403, f"The admin API refuses requests from pages of {origin[:100]!r}.")
        if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            media = content_type(scope)
            if media is not None and media[0] != "application/json":
                raise ApiError(415, "The admin API takes JSON bodies only (application/json).")

    @staticmethod
    def _same_origin(origin: str, host: str) -> bool:
        parts = urlsplit(origin)
        return bool(parts.netloc) and parts.netloc.lower() == host.strip().lower() and bool(host_name(host))


AdminOperation = Callable[[Operation, dict[str, Any], Any], Any]


class AdminApi:
    """The admin operations, by operationId; each takes the operation, the path and query
    parameters and the body, and returns the JSON body of a 200. The sessions' operations are this
    class's own methods; other parts of the mock add theirs (`add`)."""

    def __init__(self, api: Api, handlers: Handlers, reset: Callable[[], int], fixtures: FixtureReader) -> None:
        self.resource = api.kit.resource
        self.handlers = handlers
        self.store = handlers.store
        self.representation = handlers.representation
        self.reset = reset
        self.fixtures = fixtures
        self.operations: dict[str, AdminOperation] = {
            name: getattr(self, name) for name in ("reset_sessions", "load_fixtures", "set_session_state")}

    def add(self, operations: dict[str, AdminOperation]) -> None:
        self.operations.update(operations)

    def reset_sessions(self, operation: Operation, path: dict[str, Any], body: Any) -> dict[str, Any]:
        try:
            return {"sessions": self.reset()}
        except FixtureError as exc:  # the fixtures file was edited since the start and breaks the spec
            errors = [{**problem, "loc": ["fixtures", *problem["loc"]]} for problem in exc.problems]
            raise ApiError(422, f"{exc.first}; the sessions are unchanged.", errors=errors) from exc
        except FileError as exc:  # gone, unreadable, or no longer YAML
            raise ApiError(422, f"{exc}; the sessions are unchanged.",
                           errors=[field_error(["fixtures"], str(exc), "fixtures_file")]) from exc

    def load_fixtures(self, operation: Operation, path: dict[str, Any], body: Any) -> dict[str, Any]:
        problems = self.fixtures.problems(body, ["body"])
        if problems:
            raise ApiError(422, f"The fixtures break the spec: {len(problems)} problem(s).", errors=problems)
        records = self.fixtures.records(body)
        with self.handlers.errors(operation, path):
            self.store.replace_all(records)
        return {"sessions": len(records)}

    def set_session_state(self, operation: Operation, path: dict[str, Any], body: Any) -> dict[str, Any]:
        changes = self.representation.parse(body)

        def change(record: Record, now: float) -> None:
            record.fields.update(changes)

        tenant = self.handlers.tenant_of(path)
        with self.handlers.errors(operation, path):
            record = self.store.apply(tenant, path[self.resource.id_parameter], change)
        return self.representation.of(record, read=True)

    def append_item(self, child: str, operation: Operation, path: dict[str, Any], body: Any) -> dict[str, Any]:
        added: list[dict[str, Any]] = []

        def change(record: Record, now: float) -> None:
            added.append(self.fixtures.append(record, child, body, now))

        with self.handlers.errors(operation, path):
            self.store.apply(self.handlers.tenant_of(path), path[self.resource.id_parameter], change)
        return self.representation.child(child, added[0])


class AdminEndpoint:
    """The admin pipeline's handler: the operation called with its parameters and body, answering JSON."""

    def __init__(self, api: AdminApi) -> None:
        self.api = api

    async def __call__(self, operation: Operation, request: Validated, credential: Any) -> tuple[int, Any]:
        call = self.api.operations[operation.operation_id]
        # In a worker thread: loading thousands of fixtures must not hold up the API's other clients.
        # The parameters: the path's and the query's as the validate stage read them (defaults included).
        body = None if request.body is MISSING else request.body
        return 200, await asyncio.to_thread(call, operation, request.arguments, body)


class AdminMiddleware:
    """Sends requests under /_mock/ through the admin pipeline; everything else goes on."""

    def __init__(self, app: ASGIApp, *, api: AdminApi, spec: Api, validators: dict[str, OperationValidator],
                 not_found_type: str, access: AdminAccess | None = None,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 response_rules: dict[str, dict[int, ResponseRule]] | None = None) -> None:
        self.app = app
        self.access = access or AdminAccess()
        self.pipeline = Pipeline(
            app, router=Router(spec, not_found_type=not_found_type),
            # Strict: a misspelt filter must not pass for no filter (the admin API is the mock's own, no contract's).
            validator=RequestValidator(validators, max_body_bytes=max_body_bytes, strict=True),
            handle=AdminEndpoint(api),
            # The admin API's answers are checked against its document, as the API's are.
            answers=AnswerCheck(response_rules) if response_rules is not None else None,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["path"] == PREFIX or scope["path"].startswith(PREFIX + "/")):
            self.access.check(scope)
            await self.pipeline(scope, receive, send)
        else:
            await self.app(scope, receive, send)
