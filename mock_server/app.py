"""Assemble the mock: connexion's stack with the pipeline route -> auth -> validate -> handle,
every error rendered by the envelope.

connexion keeps what it does well (operation dispatch and parameter parsing, response
validation, the docs page, error-handler plumbing); the stages whose order the contract fixes
are this package's own middlewares, placed where connexion's would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from connexion import AsyncApp
from connexion.middleware.context import ContextMiddleware
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.lifespan import LifespanMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver

from . import spec
from .auth import DEFAULT_CREDENTIALS, AuthMiddleware, Credential
from .envelope import register_error_handlers
from .handlers import SessionsApi
from .route import RouteMiddleware
from .seed import seed_sessions
from .spec_convert import to_openapi30
from .store import SessionStore
from .validate import RequestValidationMiddleware, compile_validators


@dataclass(frozen=True)
class MockConfig:
    spec_path: Path = spec.DEFAULT_SPEC
    credentials: tuple[Credential, ...] = DEFAULT_CREDENTIALS
    seed: int = 0
    validate_responses: bool = True


@dataclass
class Mock:
    """A running mock's parts: the ASGI app and the state behind it."""

    config: MockConfig
    app: AsyncApp
    store: SessionStore
    handlers: SessionsApi = field(repr=False)

    def reset(self) -> None:
        """Back to the seeded sessions."""
        tenants = {credential.org for credential in self.config.credentials}
        self.store.replace_all(seed_sessions(self.config.seed, tenants, self.store.now()))


def build(config: MockConfig | None = None, *, store: SessionStore | None = None) -> Mock:
    config = config or MockConfig()
    api = spec.load(config.spec_path)
    store = store or SessionStore()
    handlers = SessionsApi(store)
    app = AsyncApp(
        __name__,
        middlewares=[
            ServerErrorMiddleware,
            ExceptionMiddleware,
            SwaggerUIMiddleware,
            partial(RouteMiddleware, api=api),
            partial(AuthMiddleware, credentials=config.credentials),
            partial(RequestValidationMiddleware, validators=compile_validators(api)),
            ResponseValidationMiddleware,
            LifespanMiddleware,
            ContextMiddleware,
        ],
    )
    app.add_api(
        to_openapi30(api.document),
        resolver=Resolver(function_resolver=lambda operation_id: getattr(handlers, operation_id)),
        validate_responses=config.validate_responses,
        swagger_ui_options=SwaggerUIOptions(swagger_ui_path="/docs"),
    )
    register_error_handlers(app)
    mock = Mock(config, app, store, handlers)
    mock.reset()
    return mock


def create_app(config: MockConfig | None = None) -> AsyncApp:
    """The mock as an ASGI app (for uvicorn, test clients and the contract suite)."""
    return build(config).app
