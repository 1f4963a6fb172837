"""Assemble the mock: the pipeline
host -> route -> prefer -> latency -> faults -> auth -> rate limit -> validate -> response validation
-> handle, every error rendered by the envelope.

Every stage of the pipeline is this package's own middleware, in the order the contract fixes.
connexion keeps what it does well around them: the error-handler plumbing that renders the
envelope, the docs page (/docs/, from its 3.0.3 view of the spec) and the lifespan. Outside it
all, the access log and CORS (outermost, so they see every answer, errors included); before
routing, the 3.1 documents and the admin API (they are not product operations).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from connexion import AsyncApp
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.lifespan import LifespanMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver

from . import spec
from .access_log import AccessLogMiddleware
from .admin import PREFIX as ADMIN_PREFIX
from .admin import AdminAccess, AdminApi, AdminMiddleware
from .auth import DEFAULT_CREDENTIALS, AuthMiddleware, Credential
from .cors import cors_stage
from .dispatch import DispatchMiddleware
from .documents import DocumentsMiddleware
from .envelope import register_error_handlers
from .faults import FaultMiddleware, Latency, LatencyMiddleware
from .fixtures import ADMIN_URI, FixtureReader, specs_registry
from .handlers import SessionsApi
from .hosts import LOOPBACK_HOSTS, TEST_CLIENT_HOST, HostMiddleware
from .prefer import PreferMiddleware
from .rate_limit import RateLimit, RateLimitMiddleware, TokenBuckets
from .request_body import DEFAULT_MAX_BODY_BYTES
from .response_validation import ResponseValidationMiddleware, compile_rules
from .route import RouteMiddleware
from .seed import seed_sessions
from .spec_convert import to_openapi30
from .store import LimitExceeded, SessionStore, StoreLimits
from .yaml_files import FileError
from .validate import RequestValidationMiddleware, compile_validators

ADMIN_SPEC = spec.DEFAULT_SPEC.with_name("admin.yaml")


@dataclass(frozen=True)
class MockConfig:
    spec_path: Path = spec.DEFAULT_SPEC
    credentials: tuple[Credential, ...] = DEFAULT_CREDENTIALS
    seed: int = 0  # the seeded sessions, and the draws of latency and faults
    validate_responses: bool = True
    fixtures: Path | None = None  # starting sessions instead of the seeded ones
    latency: Latency | None = None
    fault_rate: float = 0.0
    rate_limit: RateLimit | None = None
    cors_origins: tuple[str, ...] = ()  # on top of localhost / 127.0.0.1 on any port
    log_requests: bool = False  # one line per request on stdout
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES  # larger bodies are a 413
    limits: StoreLimits = StoreLimits()  # sessions, messages per session, stored text
    admin: AdminAccess = AdminAccess()  # who may use /_mock/
    allowed_hosts: tuple[str, ...] = (*LOOPBACK_HOSTS, TEST_CLIENT_HOST)  # Host names answered; "*": any


@dataclass
class Mock:
    """A running mock's parts: the ASGI app and the state behind it."""

    config: MockConfig
    app: AsyncApp
    store: SessionStore
    handlers: SessionsApi = field(repr=False)
    fixtures: FixtureReader = field(repr=False)

    def reset(self) -> int:
        """Back to the starting sessions (the seed, or the fixtures file read again); how many."""
        if self.config.fixtures is not None:
            sessions = self.fixtures.read(self.config.fixtures)
        else:
            tenants = {credential.org for credential in self.config.credentials}
            sessions = seed_sessions(self.config.seed, tenants, self.store.now())
        try:
            self.store.replace_all(sessions)
        except LimitExceeded as exc:
            source = f"fixtures file {self.config.fixtures}" if self.config.fixtures else "the seeded sessions"
            raise FileError(f"{source}: {exc.reason}") from exc
        return len(sessions)


def build(config: MockConfig | None = None, *, store: SessionStore | None = None) -> Mock:
    config = config or MockConfig()
    api = spec.load(config.spec_path)
    admin_spec = spec.load(ADMIN_SPEC)
    registry = specs_registry(api.document, admin_spec.document)
    store = store or SessionStore(limits=config.limits)
    handlers = SessionsApi(store)
    fixtures = FixtureReader(registry, config.credentials[0].org, store.now)
    mock = Mock(config, None, store, handlers, fixtures)  # type: ignore[arg-type]  # the app is set below
    admin = AdminApi(store, mock.reset, fixtures)
    rng = random.Random(config.seed)
    product_document = config.spec_path.read_bytes()
    documents = {
        "/openapi.yaml": product_document,
        f"{ADMIN_PREFIX}/openapi.yaml": product_document,
        f"{ADMIN_PREFIX}/admin.yaml": ADMIN_SPEC.read_bytes(),
    }
    stages: list[Any] = [
        partial(AccessLogMiddleware) if config.log_requests else None,
        cors_stage(config.cors_origins),
        ServerErrorMiddleware,
        ExceptionMiddleware,
        partial(HostMiddleware, allowed=config.allowed_hosts),
        partial(DocumentsMiddleware, documents=documents),
        SwaggerUIMiddleware,
        partial(AdminMiddleware, api=admin, spec=admin_spec, access=config.admin, max_body_bytes=config.max_body_bytes,
                validators=compile_validators(admin_spec, registry, ADMIN_URI)),
        partial(RouteMiddleware, api=api),
        PreferMiddleware,
        partial(LatencyMiddleware, latency=config.latency, rng=rng) if config.latency else None,
        partial(FaultMiddleware, rate=config.fault_rate, rng=rng) if config.fault_rate else None,
        partial(AuthMiddleware, credentials=config.credentials),
        partial(RateLimitMiddleware, buckets=TokenBuckets(config.rate_limit)) if config.rate_limit else None,
        partial(RequestValidationMiddleware, validators=compile_validators(api), max_body_bytes=config.max_body_bytes),
        partial(ResponseValidationMiddleware, rules=compile_rules(api)) if config.validate_responses else None,
        LifespanMiddleware,
        partial(DispatchMiddleware, api=api, handlers=handlers),
    ]
    app = AsyncApp(__name__, middlewares=[stage for stage in stages if stage is not None])
    app.add_api(
        to_openapi30(api.document),
        resolver=Resolver(function_resolver=lambda operation_id: getattr(handlers, operation_id)),
        swagger_ui_options=SwaggerUIOptions(swagger_ui_path="/docs"),
    )
    register_error_handlers(app)
    mock.app = app
    mock.reset()
    return mock


def create_app(config: MockConfig | None = None) -> AsyncApp:
    """The mock as an ASGI app (for uvicorn, test clients and the contract suite)."""
    return build(config).app
