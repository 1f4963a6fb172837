"""Credentials files: the mock's default tokens and a user's `--tokens` file, in one format.

    tokens:
      tok_alice:
        scope: {org: acme}                   # a value, or a list, for each tenancy parameter
        grants: [read, write]                # default: every grant of the API
        name: alice                          # default: the token
        user: {id: usr_alice, email: alice@acme.example, display_name: Alice}   # optional

`org` (the outermost tenancy parameter) and `permissions` (grants) are accepted as short forms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .declaration import Declaration
from .files import FileError, read_yaml


class CredentialsError(FileError):
    """The tokens file cannot be read or does not fit the API; one line naming the token."""


@dataclass(frozen=True)
class Credential:
    token: str
    scope: dict[str, tuple[str, ...]]  # tenancy parameter -> the values it may use
    grants: frozenset[str]
    name: str = ""
    user: dict[str, Any] | None = field(default=None, compare=False)

    def admits(self, parameter: str, value: str) -> bool:
        return value in self.scope.get(parameter, ())

    def tenants(self, order: list[str]) -> list[tuple[str, ...]]:
        """Every tenant (one value per tenancy parameter, in `order`) this credential may use."""
        tenants: list[tuple[str, ...]] = [()]
        for parameter in order:
            tenants = [(*tenant, value) for tenant in tenants for value in self.scope.get(parameter, ())]
        return tenants


def read_credentials(path: str | Path, declaration: Declaration) -> tuple[Credential, ...]:
    data = read_yaml(path, "tokens file")
    tokens = data.get("tokens") if isinstance(data, dict) else None
    if not isinstance(tokens, dict) or not tokens:
        raise CredentialsError(f"tokens file {path}: expected a non-empty 'tokens:' mapping")
    tenancy = list(declaration.resource.tenancy)
    credentials = []
    for token, entry in tokens.items():
        where = f"tokens file {path}, token {token!r}"
        if not isinstance(entry, dict):
            raise CredentialsError(f"{where}: expected {{scope: {{...}}, grants: [...]}}")
        scope = entry.get("scope", {tenancy[0]: entry["org"]} if "org" in entry else None)
        if not isinstance(scope, dict) or set(scope) != set(tenancy):
            raise CredentialsError(f"{where}: scope must give a value (or a list) for each of {tenancy}")
        values = {name: tuple(v if isinstance(v, list) else [v]) for name, v in scope.items()}
        if not all(vs and all(isinstance(v, str) and v for v in vs) for vs in values.values()):
            raise CredentialsError(f"{where}: scope values are non-empty strings, at least one for each of {tenancy}")
        grants = entry.get("grants", entry.get("permissions", list(declaration.grants)))
        if not isinstance(grants, list) or not set(grants) <= set(declaration.grants):
            raise CredentialsError(f"{where}: grants (permissions) must be a list drawn from {list(declaration.grants)}")
        user = entry.get("user")
        if user is not None and not isinstance(user, dict):
            raise CredentialsError(f"{where}: user must be a mapping")
        credentials.append(Credential(str(token), values, frozenset(grants), str(entry.get("name", token)), user))
    return tuple(credentials)
