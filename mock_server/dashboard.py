"""The dashboard at /_mock/: the sessions by tenant with their state, the latest requests, reset,
save and restore, and the runtime controls, on one page that only calls the admin API.

The page is the same for every API: the columns it shows come from the declaration (the id, the
members the lifecycle's rules set, the update instant, and a count per sub-collection). It is
served before the admin pipeline, without its checks: it holds no data, and each of its calls
goes through them (with the `--admin-token`, when there is one, typed into the page).
"""

from __future__ import annotations

import html
from pathlib import Path
from string import Template

from starlette.types import ASGIApp, Receive, Scope, Send

from api_model import Api, properties, schema

from .admin_document import PREFIX
from .documents import NO_CACHE, script_json, send_content

ASSETS = Path(__file__).parent / "assets"
FILES = {"dashboard.js": b"text/javascript; charset=utf-8", "dashboard.css": b"text/css; charset=utf-8"}


def columns(api: Api) -> list[str]:
    """The id, the members any write's rules set (the lifecycle state), the update instant."""
    r = api.kit.resource
    written = {member for behaviour in api.kit.behaviours.values() if behaviour.kind != "create"
               for effect in behaviour.set for member in effect.then}
    members = list(properties(api.document, schema(api.document, r.schema)))
    return [r.id_field, *(m for m in members if m in written and m != r.updated), r.updated]


def page(api: Api, admin_token_required: bool) -> bytes:
    r = api.kit.resource
    config = {
        "title": api.document["info"]["title"],
        "prefix": PREFIX,
        "id": r.id_field,
        "tenancy": [member for member in r.tenancy.values() if member],
        "columns": columns(api),
        "children": list(r.children),
        "operations": list(api.operations),
        "tokenRequired": admin_token_required,
    }
    template = Template((ASSETS / "dashboard.html").read_text(encoding="utf-8"))
    return template.substitute(title=html.escape(config["title"]), config=script_json(config)).encode()


class DashboardMiddleware:
    """GET /_mock and /_mock/ (the page) and /_mock/assets/ (its script and style)."""

    def __init__(self, app: ASGIApp, *, page: bytes) -> None:
        self.app = app
        self.files = {f"{PREFIX}/assets/{name}": (media, (ASSETS / name).read_bytes()) for name, media in FILES.items()}
        self.files[PREFIX] = self.files[PREFIX + "/"] = (b"text/html; charset=utf-8", page)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self.files.get(scope["path"]) if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") else None
        if found is None:
            await self.app(scope, receive, send)
            return
        await send_content(scope, send, *found, NO_CACHE)
