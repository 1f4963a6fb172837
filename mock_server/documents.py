"""The OpenAPI 3.1 documents, served as written, for tools that read 3.1 (code generators,
schemathesis, Prism): `/openapi.yaml` and `/_mock/openapi.yaml` (the product API) and
`/_mock/admin.yaml` (the admin API, whose `$ref`s to `openapi.yaml` resolve next to it).

connexion serves its 3.0.3 view of the product document at `/openapi.json`, for tools that read
only 3.0; the docs page (docs_page.py) reads the 3.1 documents.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

YAML = b"application/yaml"


class DocumentsMiddleware:
    def __init__(self, app: ASGIApp, *, documents: dict[str, bytes]) -> None:
        self.app = app
        self.documents = documents  # path -> file content

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content = self.documents.get(scope["path"]) if scope["type"] == "http" else None
        if content is None or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        headers = [(b"content-type", YAML), (b"content-length", str(len(content)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": content if scope["method"] == "GET" else b""})
