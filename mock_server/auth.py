"""Auth stage: bearer token, then each tenancy level of the path, then the operation's permission.

It runs after routing and before validation, as the contract's precedence requires (401, then a
403 for each tenancy parameter outermost first, then a 403 for the permission, then body and
parameter errors). The tenancy parameters come from the declaration, the permission from the
spec (`x-required-permission`); a path value is compared as a raw string, so a malformed one
is simply not the credential's own.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from api_model import Credential

from .envelope import ApiError
from .route import operation_of

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="mock"'}


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").strip().partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


def credential_of(scope: Scope) -> Credential | None:
    """The credential the auth stage accepted for this request."""
    return scope.get("state", {}).get("credential")


class AuthMiddleware:
    def __init__(self, app: ASGIApp, *, credentials: tuple[Credential, ...], tenancy: tuple[str, ...]) -> None:
        self.app = app
        self.credentials = {c.token: c for c in credentials}
        self.tenancy = tenancy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation = operation_of(scope) if scope["type"] == "http" else None
        if operation is not None and operation.secured:
            self.authorize(scope, operation)
        await self.app(scope, receive, send)

    def authorize(self, scope: Scope, operation: Any) -> None:
        token = _bearer_token(scope)
        if token is None:
            raise ApiError(401, "Send 'Authorization: Bearer <token>'.", headers=CHALLENGE)
        credential = self.credentials.get(token)
        if credential is None:
            raise ApiError(401, "The bearer token is not known.",
                           headers={"WWW-Authenticate": 'Bearer realm="mock", error="invalid_token"'})
        for parameter in self.tenancy:
            value = scope["path_params"].get(parameter)
            if value is not None and not credential.admits(parameter, value):
                raise ApiError(403, f"The token may not use {parameter} {value[:100]!r}.")
        if operation.permission and operation.permission not in credential.grants:
            raise ApiError(403, f"The token lacks the {operation.permission} permission.")
        scope.setdefault("state", {})["credential"] = credential
