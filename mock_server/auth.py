"""Auth stage: bearer token, then each tenancy level of the path, then the operation's permission.

It runs after routing and before validation, as the contract's precedence requires (401, then a
403 for each tenancy parameter outermost first, then a 403 for the permission, then body and
parameter errors). The tenancy parameters come from the declaration, the permission from the
spec (`x-required-permission`); a path value is compared as a raw string, so a malformed one
is simply not the credential's own.
"""

from __future__ import annotations

from starlette.types import Scope

from api_model import Credential, Operation

from .envelope import ApiError

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="mock"'}


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").strip().partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


class Auth:
    def __init__(self, credentials: tuple[Credential, ...], tenancy: tuple[str, ...]) -> None:
        self.credentials = {c.token: c for c in credentials}
        self.tenancy = tenancy

    def authorize(self, scope: Scope, operation: Operation) -> Credential | None:
        """The request's credential (None for an operation without security), or the 401 / 403."""
        if not operation.secured:
            return None
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
        scope["state"]["credential"] = credential
        return credential
