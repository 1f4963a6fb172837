"""Handle stage: every operation, by the kind its declaration gives it.

Requests reach a handler authenticated and valid. A handler finds the tenant and the record in
the path, asks the lifecycle stage what the operation does, has the store run it under its lock,
turns the store's and the lifecycle's refusals into envelope errors, and answers the
representation (or the page, or the projection the operation's schema asks for).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from api_model import Api, Credential, Operation

from .admin_document import PREFIX as ADMIN_PREFIX
from .envelope import ApiError
from .filters import Filters
from .lifecycle import Lifecycle, Refused, Request
from .pagination import CursorCodec, paginate
from .representation import Representation
from .store import LimitExceeded, NotFound, Record, Store, Taken
from .validate import Validated

Answer = tuple[int, Any]  # status, JSON body (None: no body)
REFUSALS = (NotFound, Refused, Taken, LimitExceeded)  # what the store and the lifecycle refuse with
KINDS = {"create": "create", "list": "list", "read": "read", "update": "write", "transition": "write",
         "append": "write", "list-children": "list_children", "delete": "delete"}  # kind -> method


class Handlers:
    def __init__(self, api: Api, store: Store, representation: Representation, filters: Filters,
                 cursors: CursorCodec | None = None) -> None:
        self.api = api
        self.kit = api.kit
        self.store = store
        self.representation = representation
        self.lifecycle = Lifecycle(api, representation)
        self.filters = filters
        self.cursors = cursors or CursorCodec()
        self.resource = self.kit.resource
        self.page_members = self.kit.page

    async def __call__(self, operation: Operation, valid: Validated, credential: Credential | None) -> Answer:
        behaviour = self.kit.behaviours[operation.operation_id]
        arguments, body = valid.arguments, valid.body
        path = {p.name: arguments.get(p.name) for p in operation.parameters if p.location == "path"}
        query = {p.name: arguments.get(p.name) for p in operation.parameters if p.location == "query"}
        request = Request(body if isinstance(body, dict) else {}, query, path, credential)
        try:
            return getattr(self, KINDS[behaviour.kind])(operation, request)
        except REFUSALS as exc:
            raise self.refusal(exc, operation, path) from exc

    def tenant(self, request: Request) -> tuple[str, ...]:
        return self.tenant_of(request.path)

    def tenant_of(self, path: dict[str, Any]) -> tuple[str, ...]:
        """The tenant a request's path parameters name."""
        return tuple(path[parameter] for parameter in self.resource.tenancy)

    @contextmanager
    def errors(self, operation: Operation, path: dict[str, Any]) -> Iterator[None]:
        """The store's and the lifecycle's refusals, as envelope errors (for the admin API's operations)."""
        try:
            yield
        except REFUSALS as exc:
            raise self.refusal(exc, operation, path) from exc

    def refusal(self, exc: Exception, operation: Operation, path: dict[str, Any]) -> ApiError:
        """A refusal of the store or the lifecycle as the envelope error it is."""
        where = ", ".join(f"{name} {value}" for name, value in path.items() if name != self.resource.id_parameter)
        if isinstance(exc, NotFound):
            return ApiError(404, f"No session {exc.record_id} in {where}.", type=self.kit.errors["no-resource"])
        if isinstance(exc, Refused):
            return ApiError(409, f"Session {exc.record_id} refuses {operation.operation_id} ({exc.error_type}).",
                            type=exc.error_type)
        if isinstance(exc, Taken):
            return ApiError(409, f"A session {exc.record_id} exists in {where}.", type=self.kit.errors.get("taken"))
        assert isinstance(exc, LimitExceeded)
        # The declared `limit` type (a 409), else 507 Insufficient Storage: a 500 where the API documents no 507.
        limit = self.kit.errors.get("limit")
        return ApiError(409 if limit else 507, f"Refused: {exc.reason}. Free room with POST {ADMIN_PREFIX}/reset, "
                                               "or start the mock with higher limits.", type=limit)

    def answer(self, operation: Operation, record: Record, *, read: bool = False) -> Answer:
        if operation.success_schema is None:
            return operation.success, None
        body = self.representation.of(record, read=read)
        if operation.success_schema != self.resource.schema:
            body = self.representation.projected(body, operation.success_schema)
        return operation.success, body

    # -- the kinds -------------------------------------------------------------------------

    def create(self, operation: Operation, request: Request) -> Answer:
        behaviour = self.kit.behaviours[operation.operation_id]
        chosen = request.body.get(self.resource.id_from_body) if self.resource.id_from_body else None
        record = self.lifecycle.new_record(behaviour, self.tenant(request), request, self.store.now(), chosen)
        return self.answer(operation, self.store.insert(record))

    def read(self, operation: Operation, request: Request) -> Answer:
        return self.answer(operation, self.store.get(self.tenant(request), request.path[self.resource.id_parameter]),
                           read=True)

    def write(self, operation: Operation, request: Request) -> Answer:
        behaviour = self.kit.behaviours[operation.operation_id]
        change = self.lifecycle.change(behaviour, request, update_from_body=behaviour.kind == "update")
        record = self.store.apply(self.tenant(request), request.path[self.resource.id_parameter], change)
        return self.answer(operation, record)

    def delete(self, operation: Operation, request: Request) -> Answer:
        record_id = request.path[self.resource.id_parameter]
        behaviour = self.kit.behaviours[operation.operation_id]
        self.store.delete(self.tenant(request), record_id, check=self.lifecycle.refusals(behaviour, request))
        return operation.success, None

    def listing(self, operation: Operation, path: dict[str, Any]) -> str:
        """What a cursor of this list is issued for: the operation, its tenant, and the record of a sub-collection."""
        listing = f"{operation.operation_id}:{'/'.join(self.tenant_of(path))}"
        if self.kit.behaviours[operation.operation_id].kind == "list-children":
            listing += f":{path[self.resource.id_parameter]}"
        return listing

    def cursor_errors(self, operation: Operation, arguments: dict[str, Any], path: dict[str, Any]) -> list[dict[str, Any]]:
        """The 422 entry of a cursor this list never issued, for the validate stage to report with
        the request's other errors (the handler reads a valid one)."""
        cursor = arguments.get(self.page_members.cursor)
        if self.kit.behaviours[operation.operation_id].kind not in ("list", "list-children") or not isinstance(cursor, str):
            return []
        try:
            self.cursors.read(self.listing(operation, path), cursor, self.page_members.cursor)
        except ApiError as exc:
            return list(exc.errors or [])
        except (KeyError, TypeError):
            return []  # a path the schema refused already
        return []

    def list(self, operation: Operation, request: Request) -> Answer:
        listing = self.listing(operation, request.path)
        size, cursor = request.query[self.page_members.size], request.query[self.page_members.cursor]
        after = self.cursors.read(listing, cursor, self.page_members.cursor) if cursor is not None else None
        wanted = self.filters.wanted(operation.operation_id, request.query)
        records, total, more = self.store.page(self.tenant(request), wanted, after=after, first=size)
        next_cursor = self.cursors.issue(listing, list(records[-1].sort_key())) if more and records else None
        items = [self.representation.encoded(record) for record in records]
        return operation.success, self.page(items, next_cursor, more, total)

    def list_children(self, operation: Operation, request: Request) -> Answer:
        child = self.kit.behaviours[operation.operation_id].child
        record_id = request.path[self.resource.id_parameter]
        listing = self.listing(operation, request.path)
        size, cursor = request.query[self.page_members.size], request.query[self.page_members.cursor]
        start = self.cursors.read(listing, cursor, self.page_members.cursor) + 1 if cursor is not None else 0
        items = self.store.get(self.tenant(request), record_id).children.get(child, [])
        page = paginate(list(enumerate(items)), first=size, start=start,
                        cursor_for=lambda item: self.cursors.issue(listing, item[0]))
        rendered = [self.representation.child(child, item) for _, item in page.items]
        return operation.success, self.page(rendered, page.next_cursor, page.more, page.total)

    def page(self, items: list[Any], next_cursor: str | None, more: bool, total: int) -> dict[str, Any]:
        shape = self.page_members
        body: dict[str, Any] = {shape.items: items, shape.next: next_cursor}
        if shape.more:
            body[shape.more] = more
        if shape.total:
            body[shape.total] = total
        return body
