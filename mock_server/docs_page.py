"""The interactive docs page at /docs/: Swagger UI 5, which reads OpenAPI 3.1, over the API's own
document and the admin API's, from the assets the `swagger-ui-py` package installs (no CDN).

The page reads the documents /openapi.yaml and /_mock/admin.yaml serve, with one change: `servers`
names this mock at the address the browser used, so "Try it out" calls it. Above them, what a first
call needs: the tokens (the first one filled in) and the `Prefer` header that forces any documented
error.
"""

from __future__ import annotations

import html
import importlib.util
import re
from pathlib import Path
from string import Template
from typing import Any

import yaml
from starlette.types import ASGIApp, Receive, Scope, Send

from api_model import Credential

from .documents import NO_CACHE, script_json, send_content

PREFIX = "/docs"
PAGE = Path(__file__).parent / "assets" / "docs.html"
OWN_ASSETS = {"docs.js": Path(__file__).parent / "assets" / "docs.js"}
SWAGGER_ASSETS = ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css",
                  "favicon-32x32.png", "favicon-16x16.png")
MEDIA_TYPES = {".js": b"text/javascript; charset=utf-8", ".css": b"text/css; charset=utf-8",
               ".png": b"image/png", ".html": b"text/html; charset=utf-8", ".yaml": b"application/yaml"}
SERVER_SLOT = "mock-server-url-slot"  # replaced by the mock's address in each answer
PLAIN_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def swagger_ui_assets() -> Path | None:
    """Where `swagger-ui-py` installed Swagger UI's files (found without importing its web glue)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    return folder if (folder / SWAGGER_ASSETS[0]).is_file() else None


def with_this_server(document: dict[str, Any], description: str) -> bytes:
    """The document as YAML, its `servers` one slot for the mock's address."""
    served = {**document, "servers": [{"url": SERVER_SLOT, "description": description}]}
    return yaml.safe_dump(served, sort_keys=False, allow_unicode=True).encode()


def _scope_of(credential: Credential, tenancy: list[str]) -> str:
    return ", ".join(f"{name} {' or '.join(credential.scope.get(name, ()))}" for name in tenancy)


def page(title: str, documents: list[dict[str, str]], credentials: tuple[Credential, ...], tenancy: list[str],
         scheme: str | None) -> bytes:
    rows = "\n".join(
        f"<tr><td><code>{html.escape(c.token)}</code></td><td>{html.escape(_scope_of(c, tenancy))}</td>"
        f"<td>{html.escape(', '.join(sorted(c.grants)))}</td></tr>" for c in credentials)
    config = {"documents": documents, "scheme": scheme, "token": credentials[0].token if credentials else None}
    return Template(PAGE.read_text(encoding="utf-8")).substitute(
        title=html.escape(title),
        token=html.escape(config["token"] or ""),
        rows=rows,
        document=html.escape(documents[0]["raw"]),
        config=script_json(config),
    ).encode()


class DocsPageMiddleware:
    """GET /docs/ (and /docs), its assets under /docs/assets/, and the documents it reads."""

    def __init__(self, app: ASGIApp, *, page: bytes, documents: dict[str, bytes], assets: Path | None) -> None:
        self.app = app
        self.files: dict[str, tuple[bytes, bytes]] = {}  # path -> (media type, content)
        self.documents = documents  # path -> YAML with the server slot
        for name, path in OWN_ASSETS.items():
            self.files[f"{PREFIX}/assets/{name}"] = (MEDIA_TYPES[path.suffix], path.read_bytes())
        if assets is not None:
            for name in SWAGGER_ASSETS:
                self.files[f"{PREFIX}/assets/{name}"] = (MEDIA_TYPES[Path(name).suffix], (assets / name).read_bytes())
        for path in (PREFIX, PREFIX + "/"):
            self.files[path] = (MEDIA_TYPES[".html"], page)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"] if scope["type"] == "http" else None
        if path is None or scope["method"] not in ("GET", "HEAD") or (path not in self.files and path not in self.documents):
            await self.app(scope, receive, send)
            return
        if path in self.documents:
            media_type, content = MEDIA_TYPES[".yaml"], self.documents[path].replace(
                SERVER_SLOT.encode(), self.server_url(scope).encode())
        else:
            media_type, content = self.files[path]
        await send_content(scope, send, media_type, content, NO_CACHE)

    @staticmethod
    def server_url(scope: Scope) -> str:
        """The address the browser reached the mock by (Host was checked by the host stage);
        a Host that is not a plain name or address gives a relative URL, which the page resolves."""
        host = next((value.decode("latin-1") for name, value in scope["headers"] if name == b"host"), "")
        if not PLAIN_HOST.fullmatch(host):
            return "/"
        return f"{scope.get('scheme', 'http')}://{host}"
