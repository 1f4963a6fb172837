"""Auth stage: bearer token, then the token's organization, then the operation's permission.

It runs after routing and before validation, as the contract's precedence requires
(401, then 403 organization, then 403 permission, then body and parameter errors).
The operation's permission comes from the spec (`x-required-permission`); the organization is
the path's `org_id`, compared as a raw string, so a malformed id is simply not the token's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .envelope import ApiError
from .route import operation_of
from .yaml_files import FileError, read_yaml

PERMISSIONS = frozenset({"ManageOrgSessions", "ViewOrgSessions"})
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="sessions"'}


@dataclass(frozen=True)
class Credential:
    token: str
    org: str
    permissions: frozenset[str]
    name: str = ""


DEFAULT_CREDENTIALS: tuple[Credential, ...] = (
    Credential("cog_mock_admin", "org-mock", PERMISSIONS, "mock-admin"),
    Credential("cog_mock_viewer", "org-mock", frozenset({"ViewOrgSessions"}), "mock-viewer"),
    Credential("cog_other_admin", "org-other", PERMISSIONS, "other-admin"),
)


class CredentialsError(FileError):
    """The tokens file cannot be read or is malformed."""


def load_credentials(path: str | Path) -> tuple[Credential, ...]:
    """Read a tokens file:

    tokens:
      cog_alice: {org: org-acme, permissions: [ManageOrgSessions, ViewOrgSessions]}
    """
    try:
        data = read_yaml(path, "tokens file")
    except FileError as exc:
        raise CredentialsError(str(exc)) from exc
    tokens = data.get("tokens") if isinstance(data, dict) else None
    if not isinstance(tokens, dict) or not tokens:
        raise CredentialsError(f"tokens file {path}: expected a non-empty 'tokens:' mapping")
    credentials = []
    for token, entry in tokens.items():
        where = f"tokens file {path}, token {token!r}"
        if not isinstance(entry, dict) or not isinstance(entry.get("org"), str):
            raise CredentialsError(f"{where}: expected {{org: <org id>, permissions: [...]}}")
        permissions = entry.get("permissions", sorted(PERMISSIONS))
        if not isinstance(permissions, list) or not set(permissions) <= PERMISSIONS:
            raise CredentialsError(f"{where}: permissions must be a list drawn from {sorted(PERMISSIONS)}")
        credentials.append(Credential(str(token), entry["org"], frozenset(permissions), str(entry.get("name", token))))
    return tuple(credentials)


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
    def __init__(self, app: ASGIApp, *, credentials: tuple[Credential, ...] = DEFAULT_CREDENTIALS) -> None:
        self.app = app
        self.credentials = {c.token: c for c in credentials}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation = operation_of(scope) if scope["type"] == "http" else None
        if operation is not None and operation.secured:
            self.authorize(scope, operation)
        await self.app(scope, receive, send)

    def authorize(self, scope: Scope, operation: Any) -> None:
        token = _bearer_token(scope)
        if token is None:
            raise ApiError("unauthenticated", "Send 'Authorization: Bearer <token>'.", headers=CHALLENGE)
        credential = self.credentials.get(token)
        if credential is None:
            raise ApiError(
                "unauthenticated",
                "The bearer token is not known.",
                headers={"WWW-Authenticate": 'Bearer realm="sessions", error="invalid_token"'},
            )
        org = scope["path_params"].get("org_id")
        if org is not None and org != credential.org:
            raise ApiError("forbidden", f"The token does not belong to organization {org!r}.")
        if operation.permission and operation.permission not in credential.permissions:
            raise ApiError("forbidden", f"The token lacks the {operation.permission} permission.")
        scope.setdefault("state", {})["credential"] = credential
