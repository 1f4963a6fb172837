"""Route stage: find the spec operation for a request, or answer 404 / 405 in the envelope.

It takes the place of connexion's routing middleware and hands connexion the same routing
context (`operation_id`, path parameters), for two reasons: a path parameter may hold any
character but `/` (starlette's mount pattern drops `%0A`, turning a malformed id into an
unknown route), and a 405 must name every documented method of the path in `Allow`.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from api_model import Api, Operation

from .envelope import ApiError

ROUTING_CONTEXT = "connexion_routing"  # the scope extension connexion's routed middlewares read


def operation_of(scope: Scope) -> Operation | None:
    """The operation the route stage resolved for this request."""
    return scope.get("state", {}).get("operation")


class RouteMiddleware:
    def __init__(self, app: ASGIApp, *, api: Api, not_found_type: str | None = None, base_path: str = "") -> None:
        self.app = app
        self.api = api
        self.not_found_type = not_found_type  # the API's type for a path that is no route
        self.base_path = base_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.resolve(scope)
        await self.app(scope, receive, send)

    def resolve(self, scope: Scope) -> None:
        path = scope["path"]
        for template in self.api.paths:
            match = template.regex.fullmatch(path)
            if match is None:
                continue
            operation = template.operations.get(scope["method"])
            if operation is None:
                allowed = ", ".join(sorted(template.operations))
                raise ApiError(405, f"{scope['method']} is not allowed on {template.template}; use {allowed}.",
                               headers={"Allow": allowed})
            scope["path_params"] = match.groupdict()
            scope.setdefault("state", {})["operation"] = operation
            scope.setdefault("extensions", {})[ROUTING_CONTEXT] = {
                "api_base_path": self.base_path,
                "operation_id": operation.operation_id,
            }
            return
        raise ApiError(404, f"No route matches {path}.", type=self.not_found_type)
