"""Assemble the mock for an API: host -> side routes or the pipeline
route -> prefer -> faults -> auth -> rate limit -> validate -> progress -> handle -> answer check
(pipeline.py), every error rendered by the envelope stage, every answer of the API delayed by the
latency stage as it leaves (the runtime controls, controls.py, say how long, and how often faults
strike).

Every step is this package's own, in the order the contract fixes, and each reads what it needs from
the API's document and declaration: the same code serves any API the kit has a spec for. connexion
holds the stages together and keeps the lifespan. Outside it all, the record of each request (its
log line, its journal entry), latency and CORS (outermost, so they see every answer, errors
included); beside the pipeline, the side routes (side_routes.py): the documents (the 3.1 files, and
a 3.0.3 view at /openapi.json for tools that read only 3.0), the docs page (/docs/, Swagger UI 5
over the 3.1 documents), the dashboard and the admin API (/_mock/), which are not API operations.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml
from connexion import AsyncApp
from connexion.middleware.lifespan import LifespanMiddleware
from connexion.resolver import Resolver

from api_model import (
    ADMIN_PATH,
    DEFAULT_SPEC,
    Api,
    Credential,
    FileError,
    from_document,
    load,
    read_yaml,
)

from .access_log import AccessLog
from .admin import AdminAccess, AdminApi, AdminMiddleware
from .admin_document import PREFIX as ADMIN_PREFIX
from .admin_document import admin_document, append_operation
from .auth import Auth
from .clock import Clock
from .controls import Controls, Settings
from .cors import cors_stage
from .dashboard import DashboardMiddleware
from .dashboard import page as dashboard_page
from .docs_page import PREFIX as DOCS_PREFIX
from .docs_page import DocsPageMiddleware, page, swagger_ui_assets, with_this_server
from .documents import DocumentsMiddleware
from .envelope import Envelope, EnvelopeMiddleware
from .faults import Faults, Latency, LatencyMiddleware
from .filters import Filters
from .fixtures import FixtureReader
from .handlers import Handlers
from .hosts import LOOPBACK_HOSTS, TEST_CLIENT_HOST, HostMiddleware
from .journal import JOURNAL_SIZE, Journal
from .json_body import json_bytes
from .pipeline import Pipeline
from .prefer import Prefer
from .progress import Progress
from .rate_limit import RateLimit, RateLimiter
from .record import RecordMiddleware
from .representation import Representation
from .request_body import DEFAULT_MAX_BODY_BYTES
from .response_validation import AnswerCheck, compile_rules
from .route import Router
from .seed import seed_records, tenants_of
from .side_routes import SideRoutes
from .spec_convert import to_openapi30
from .state import State
from .store import LimitExceeded, Record, Store, StoreLimits
from .validate import RequestValidator, compile_validators

ADMIN_URI = "file:///spec/admin.yaml"  # the admin document refers to the API's by its file name, next to it


@dataclass(frozen=True)
class MockConfig:
    spec_path: Path = DEFAULT_SPEC
    credentials: tuple[Credential, ...] | None = None  # None: the API's default credentials
    seed: int = 0  # the seeded sessions, and the draws of latency and faults
    validate_responses: bool = True
    fixtures: Path | None = None  # starting sessions instead of the seeded ones
    latency: Latency | None = None
    fault_rate: float = 0.0
    fault_timing: str = "before"  # faults strike before the request is carried out, or after it
    rate_limit: RateLimit | None = None  # latency, faults and the rate limit: the controls' starting values
    cors_origins: tuple[str, ...] = ()  # on top of localhost / 127.0.0.1 on any port
    log_requests: bool = False  # one line per request on stdout
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES  # larger bodies are a 413
    limits: StoreLimits = StoreLimits()  # sessions, items per sub-collection, stored text
    admin: AdminAccess = AdminAccess()  # who may use /_mock/
    allowed_hosts: tuple[str, ...] = (*LOOPBACK_HOSTS, TEST_CLIENT_HOST)  # Host names answered; "*": any
    strict: bool = False  # unknown query parameters are a 422 (the contract ignores them)
    journal_size: int = JOURNAL_SIZE  # requests kept for GET /_mock/requests; 0: none


@dataclass
class Mock:
    """A running mock's parts: the API it serves, the ASGI app and the state behind it."""

    config: MockConfig
    api: Api
    credentials: tuple[Credential, ...]
    store: Store
    envelope: Envelope = field(repr=False)
    handlers: Handlers = field(repr=False)
    fixtures: FixtureReader = field(repr=False)
    app: AsyncApp = field(default=None, repr=False)  # type: ignore[assignment]
    state: State = field(default=None, repr=False)  # type: ignore[assignment]
    controls: Controls = field(default=None, repr=False)  # type: ignore[assignment]
    journal: Journal = field(default=None, repr=False)  # type: ignore[assignment]

    def reset(self) -> int:
        """Back to the starting sessions (the seed, or the fixtures file read again); how many."""
        if self.config.fixtures is not None:
            records = self.fixtures.read(self.config.fixtures)
        else:
            records = seed_records(self.api, self.handlers.lifecycle, self.credentials, self.config.seed, self.store.now())
        try:
            self.store.replace_all(records)
        except LimitExceeded as exc:
            source = f"fixtures file {self.config.fixtures}" if self.config.fixtures else "the seeded sessions"
            raise FileError(f"{source}: {exc.reason}") from exc
        return len(records)

    def serve_options(self) -> dict[str, Any]:
        """What `make_server` needs to answer the HTTP layer's own errors in this API's envelope."""
        return {"error_body": self.envelope.bad_request_body}


def _not_dispatched(*args: Any, **kwargs: Any) -> None:  # pragma: no cover - the dispatch stage answers first
    raise RuntimeError("connexion reached an operation the mock's own dispatch stage serves")


def build(config: MockConfig | None = None, *, store_class: type[Store] = Store) -> Mock:
    config = config or MockConfig()
    api = load(config.spec_path)
    credentials = config.credentials or api.default_credentials()
    representation = Representation(api)
    filters = Filters(api)
    clock = Clock()
    store = store_class(updated=api.kit.resource.updated, filter_values=filters.values_of, limits=config.limits,
                        clock=lambda: representation.truncate(clock.now()))
    handlers = Handlers(api, store, representation, filters)
    envelope = Envelope(api)
    product_name = Path(config.spec_path).name
    admin_doc = admin_document(api, read_yaml(ADMIN_PATH, "admin spec"), product_name, config.limits.max_messages)
    admin_api = from_document(admin_doc, ADMIN_PATH, declared=False)
    product_uri = f"file:///spec/{product_name}"
    registry = jsonschema_rs.Registry([(product_uri, api.document), (ADMIN_URI, admin_doc)])
    fixtures = FixtureReader(api, handlers.lifecycle, registry, ADMIN_URI, product_uri, tenants_of(api, credentials),
                             store.now)
    mock = Mock(config, api, credentials, store, envelope, handlers, fixtures)
    admin = AdminApi(api, handlers, mock.reset, fixtures)
    progress, mock.state = _workbench(api, store, representation, fixtures, clock, admin)
    rng = random.Random(config.seed)
    controls = Controls(Settings(config.latency, config.fault_rate, config.fault_timing, config.rate_limit))
    admin.add(controls.admin_operations())
    journal = Journal(config.journal_size, secrets=(config.admin.token,))
    admin.add(journal.admin_operations())
    product_document = Path(config.spec_path).read_bytes()
    openapi30 = to_openapi30(api.document)
    documents = {
        "/openapi.yaml": product_document,
        f"{ADMIN_PREFIX}/{product_name}": product_document,
        f"{ADMIN_PREFIX}/admin.yaml": yaml.safe_dump(admin_doc, sort_keys=False, allow_unicode=True).encode(),
        # The 3.0.3 view, for tools that read only 3.0; its server is wherever it was read from.
        "/openapi.json": json_bytes({**openapi30, "servers": [{"url": ""}]}),
    }
    docs_page = _docs_page(api, admin_doc, product_name, credentials)
    no_route = api.kit.errors["no-route"]
    not_the_api = _not_the_api(documents)
    stages: list[Any] = [
        partial(RecordMiddleware, log=AccessLog() if config.log_requests else None,
                journal=journal if config.journal_size else None, skip=not_the_api)
        if config.log_requests or config.journal_size else None,
        partial(LatencyMiddleware, controls=controls, rng=rng, exempt=not_the_api),
        cors_stage(envelope, config.cors_origins),
        partial(EnvelopeMiddleware, envelope=envelope),
        partial(HostMiddleware, allowed=config.allowed_hosts),
        partial(SideRoutes, claims=not_the_api, stages=[
            partial(DocumentsMiddleware, documents=documents),
            docs_page,
            partial(DashboardMiddleware, page=dashboard_page(api, config.admin.token is not None)),
            partial(AdminMiddleware, api=admin, spec=admin_api, access=config.admin,
                    max_body_bytes=config.max_body_bytes, validators=compile_validators(admin_api, registry, ADMIN_URI),
                    not_found_type=no_route, response_rules=compile_rules(admin_api, registry, ADMIN_URI)
                    if config.validate_responses else None),
        ]),
        partial(
            Pipeline,
            router=Router(api, not_found_type=no_route),
            prefer=Prefer(api),
            faults=Faults(controls, rng),
            auth=Auth(credentials, tuple(api.kit.resource.tenancy)),
            rate_limiter=RateLimiter(controls),
            validator=RequestValidator(compile_validators(api), max_body_bytes=config.max_body_bytes,
                                       cursor_errors=handlers.cursor_errors, strict=config.strict),
            progress=progress,
            handle=handlers,
            answers=AnswerCheck(compile_rules(api), unrepeated=(o.operation_id for o in api.by_kind("create")))
            if config.validate_responses else None,
        ),
        LifespanMiddleware,
    ]
    app = AsyncApp(__name__, middlewares=[stage for stage in stages if stage is not None])
    app.add_api(
        openapi30,
        resolver=Resolver(function_resolver=lambda operation_id: _not_dispatched),
    )
    mock.app = app
    mock.controls = controls
    mock.journal = journal
    mock.reset()
    return mock


def _not_the_api(documents: dict[str, bytes]) -> Callable[[str], bool]:
    """Whether a path is no part of the API: the docs page, the documents and the admin API."""
    exact = frozenset((*documents, DOCS_PREFIX, ADMIN_PREFIX))
    under = (DOCS_PREFIX + "/", ADMIN_PREFIX + "/")
    return lambda path: path in exact or path.startswith(under)


def _workbench(api: Api, store: Store, representation: Representation, fixtures: FixtureReader, clock: Clock,
               admin: AdminApi) -> tuple[Progress, State]:
    """The clock, scripted progress, appended items and the state document, with their admin operations."""
    r = api.kit.resource

    def apply_step(record: Record, step: dict[str, Any], at: float) -> None:
        record.fields.update(representation.parse(step.get("set", {})))
        for name in r.children:
            for raw in step.get(name, []):
                fixtures.append(record, name, raw, at)

    progress = Progress(store, apply_step, list(r.tenancy), r.id_parameter, clock.now)
    store.on_insert = progress.created
    state = State(store, representation, fixtures, clock, progress,
                  {name: child.id for name, child in r.children.items()})
    admin.add({name: getattr(owner, name) for owner, names in (
        (clock, ("get_clock", "advance_clock")),
        (progress, ("start_progress", "set_new_sessions_progress", "get_progress", "clear_progress")),
        (state, ("get_state", "put_state"))) for name in names})
    for name in r.children:
        admin.add({append_operation(name): partial(admin.append_item, name)})
    return progress, state


def _docs_page(api: Api, admin_doc: dict[str, Any], product_name: str, credentials: tuple[Credential, ...]) -> Any:
    """The docs page over the API's document and the admin API's, both naming this mock as their server."""
    this_mock = "session-mock: this mock"
    documents = {
        f"{DOCS_PREFIX}/{product_name}": with_this_server(api.document, this_mock),
        f"{DOCS_PREFIX}/admin.yaml": with_this_server(admin_doc, this_mock),
    }
    listed = [
        {"url": f"{DOCS_PREFIX}/{product_name}", "name": api.document["info"]["title"], "raw": "/openapi.yaml"},
        {"url": f"{DOCS_PREFIX}/admin.yaml", "name": admin_doc["info"]["title"], "raw": f"{ADMIN_PREFIX}/admin.yaml"},
    ]
    scheme = next(iter((api.document.get("security") or [{}])[0]), None)
    html = page(api.document["info"]["title"], listed, credentials, list(api.kit.resource.tenancy), scheme)
    return partial(DocsPageMiddleware, page=html, documents=documents, assets=swagger_ui_assets())


def create_app(config: MockConfig | None = None) -> AsyncApp:
    """The mock as an ASGI app (for uvicorn, test clients and the contract suite)."""
    return build(config).app
