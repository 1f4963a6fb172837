"""Route stage: find the spec operation for a request, or answer 404 / 405 in the envelope.

It takes the place of connexion's routing, for two reasons: a path parameter may hold any
character but `/` (starlette's mount pattern drops `%0A`, turning a malformed id into an
unknown route), and a 405 must name every documented method of the path in `Allow`.
"""

from __future__ import annotations

from starlette.types import Scope

from api_model import Api, Operation

from .envelope import ApiError


class Router:
    def __init__(self, api: Api, *, not_found_type: str | None = None) -> None:
        self.api = api
        self.not_found_type = not_found_type  # the API's type for a path that is no route

    def resolve(self, scope: Scope) -> Operation:
        """The request's operation; its path parameters in `scope["path_params"]`."""
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
            scope["state"]["operation"] = operation  # for the stages outside: log, journal, latency
            return operation
        raise ApiError(404, f"No route matches {path}.", type=self.not_found_type)
