"""Admin API under `/_mock/` (`spec/admin.yaml`): local controls outside the product spec.

Reset to the starting sessions, load fixtures, and put a session in any state so a UI can show
it. Admin requests take their own short pipeline, built from the product's stages (route and
validate against the admin spec), and their errors leave through the same envelope. No token:
the mock is a local development tool, and nothing here is reachable from the product API.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .envelope import ApiError
from .fixtures import FixtureReader
from .handlers import lifecycle_errors, session_response
from .route import RouteMiddleware, operation_of
from .spec import ApiSpec
from .store import Session, SessionStore
from .validate import OperationValidator, RequestValidationMiddleware

PREFIX = "/_mock"


class AdminApi:
    """The admin operations, by operationId; each returns the JSON body of a 200."""

    def __init__(self, store: SessionStore, reset: Callable[[], int], fixtures: FixtureReader) -> None:
        self.store = store
        self.reset = reset
        self.fixtures = fixtures

    def reset_sessions(self) -> dict[str, Any]:
        return {"sessions": self.reset()}

    def load_fixtures(self, body: dict[str, Any]) -> dict[str, Any]:
        problems = self.fixtures.problems(body, ["body"])
        if problems:
            raise ApiError("validation_error", f"The fixtures break the spec: {len(problems)} problem(s).", errors=problems)
        sessions = self.fixtures.sessions(body)
        self.store.replace_all(sessions)
        return {"sessions": len(sessions)}

    def set_session_state(self, org_id: str, devin_id: str, body: dict[str, Any]) -> dict[str, Any]:
        def change(session: Session) -> None:
            if "status" in body:
                session.status = body["status"]
            if "status_detail" in body:
                session.status_detail = body["status_detail"]
            if "is_archived" in body:
                session.archived = body["is_archived"]

        with lifecycle_errors():
            return session_response(self.store.override(org_id, devin_id, change), detailed=True)


class AdminEndpoint:
    """The last admin stage: call the operation with its path parameters and body, answer JSON."""

    def __init__(self, api: AdminApi) -> None:
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation = operation_of(scope)
        assert operation is not None, "the route stage resolves every admin request"
        arguments = dict(scope["path_params"])
        if operation.body_pointer:
            arguments["body"] = scope["state"]["body"]
        result = getattr(self.api, operation.operation_id)(**arguments)
        body = json.dumps(result).encode()
        await send({
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        })
        await send({"type": "http.response.body", "body": body})


class AdminMiddleware:
    """Sends requests under /_mock/ through the admin pipeline; everything else goes on."""

    def __init__(self, app: ASGIApp, *, api: AdminApi, spec: ApiSpec, validators: dict[str, OperationValidator]) -> None:
        self.app = app
        self.pipeline = RouteMiddleware(RequestValidationMiddleware(AdminEndpoint(api), validators=validators), api=spec)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["path"] == PREFIX or scope["path"].startswith(PREFIX + "/")):
            await self.pipeline(scope, receive, send)
        else:
            await self.app(scope, receive, send)
