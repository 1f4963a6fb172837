"""The baseline: a bare Starlette app answering get, list and archive with fixed JSON bodies.

`bench/run.py` captures the bodies from a running mock and passes their file in BENCH_BODIES,
so both servers send the same bytes; the difference is everything the mock does per request.
"""

from __future__ import annotations

import json
import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

with open(os.environ["BENCH_BODIES"], encoding="utf-8") as file:
    BODIES = json.load(file)


async def list_sessions(request: Request) -> JSONResponse:
    return JSONResponse(BODIES["list"])


async def get_session(request: Request) -> JSONResponse:
    return JSONResponse(BODIES["get"])


async def archive_session(request: Request) -> JSONResponse:
    return JSONResponse(BODIES["archive"])


app = Starlette(
    routes=[
        Route("/v3/organizations/{org_id}/sessions", list_sessions, methods=["GET"]),
        Route("/v3/organizations/{org_id}/sessions/{devin_id}", get_session, methods=["GET"]),
        Route("/v3/organizations/{org_id}/sessions/{devin_id}/archive", archive_session, methods=["POST"]),
    ]
)
