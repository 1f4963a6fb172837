"""The OpenAPI 3.1 documents, served as written, for tools that read 3.1 (code generators,
schemathesis, Prism): `/openapi.yaml` and `/_mock/openapi.yaml` (the product API) and
`/_mock/admin.yaml` (the admin API, whose `$ref`s to `openapi.yaml` resolve next to it).

A 3.0.3 view of the product document (spec_convert.py) is at `/openapi.json`, for tools that read
only 3.0; the docs page (docs_page.py) reads the 3.1 documents. The pages (the docs page, the
dashboard) send their files and embed their settings with the helpers here.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .json_body import MEDIA_TYPE

YAML = b"application/yaml"
NO_CACHE = [(b"cache-control", b"no-cache")]  # pages and their assets: a new mock version shows at once


def script_json(value: Any) -> str:
    """`value` as JSON to put inside a page's <script>: no "<" may start a tag that closes it."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


async def send_content(scope: Scope, send: Send, media_type: bytes, content: bytes,
                       headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """A 200 carrying `content` (its headers only, for HEAD): the documents, the pages and their assets."""
    start = [(b"content-type", media_type), (b"content-length", str(len(content)).encode()), *(headers or [])]
    await send({"type": "http.response.start", "status": 200, "headers": start})
    await send({"type": "http.response.body", "body": content if scope["method"] == "GET" else b""})


class DocumentsMiddleware:
    def __init__(self, app: ASGIApp, *, documents: dict[str, bytes]) -> None:
        self.app = app
        self.documents = documents  # path -> file content

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content = self.documents.get(scope["path"]) if scope["type"] == "http" else None
        if content is None or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        await send_content(scope, send, MEDIA_TYPE if scope["path"].endswith(".json") else YAML, content)
