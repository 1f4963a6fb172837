"""The API as the kit reads it: an OpenAPI 3.1 document, its operations, its error catalog and
its `x-kit` behaviour declaration.

The mock and the contract suite both read an API through this package, and nothing else: each
interprets the declaration with its own code, so that a misreading in one cannot hide in the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sessions_spec import ADMIN_PATH, APIS, OPENAPI_PATH

from .credentials import Credential, CredentialsError, read_credentials
from .declaration import (
    Behaviour,
    Declaration,
    Open,
    Source,
    Term,
    check_declaration,
    parse_value,
    read_declaration,
)
from .document import (
    MISSING,
    SpecError,
    default_of,
    escape_pointer,
    properties,
    read_document,
    resolve_ref,
    schema,
)
from .errors import ErrorCatalog, read_catalog
from .files import FileError, read_yaml
from .operations import Operation, Parameter, PathTemplate, index

DEFAULT_SPEC = OPENAPI_PATH

__all__ = [
    "ADMIN_PATH", "APIS", "MISSING", "Api", "Behaviour", "Credential", "CredentialsError", "DEFAULT_SPEC", "Declaration",
    "ErrorCatalog", "FileError", "Open", "Operation", "Parameter", "PathTemplate", "Source", "SpecError", "Term",
    "default_of", "escape_pointer", "from_document", "load", "parse_value", "properties", "read_credentials", "read_document", "read_yaml", "resolve_ref",
    "schema",
]


@dataclass
class Api:
    path: Path
    document: dict[str, Any]
    operations: dict[str, Operation]
    paths: list[PathTemplate]
    declaration: Declaration | None  # None for a document without `x-kit` (the admin API)
    errors: ErrorCatalog | None

    @property
    def kit(self) -> Declaration:
        """The declaration (an API the kit serves or checks has one)."""
        if self.declaration is None:
            raise SpecError(f"spec {self.path} has no x-kit declaration")
        return self.declaration

    def by_kind(self, kind: str) -> list[Operation]:
        return [op for op_id, op in self.operations.items() if self.kit.behaviours[op_id].kind == kind]

    def default_credentials(self) -> tuple[Credential, ...]:
        path = self.kit.mock_data.get("credentials")
        if path is None:
            raise SpecError(f"x-kit.mock.credentials: spec {self.path} names no default credentials")
        return read_credentials(path, self.kit)


def load(path: str | Path = DEFAULT_SPEC, *, declared: bool = True) -> Api:
    """Read and check the document at `path`; SpecError (one line) says what is wrong."""
    path = Path(path)
    return from_document(read_document(path), path, declared=declared)


def from_document(document: dict[str, Any], path: Path, *, declared: bool = True) -> Api:
    """The API of a document already read (`path`: where it came from, for messages and data files)."""
    try:
        operations, paths = index(document)
    except (KeyError, TypeError, AttributeError) as exc:
        raise SpecError(f"spec {path} is not a well-formed OpenAPI document ({type(exc).__name__}: {exc})") from exc
    if not declared:
        return Api(path, document, operations, paths, None, None)
    declaration = read_declaration(document, operations, path)
    envelope = declaration.envelope
    catalog = read_catalog(document, envelope.schema, envelope.members, envelope.media_type, envelope.titles)
    check_declaration(declaration, document, operations, catalog.types)
    return Api(path, document, operations, paths, declaration, catalog)
