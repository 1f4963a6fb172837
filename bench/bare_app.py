"""The baseline: a bare Starlette app giving each operation a fixed answer.

`bench/run.py` records the mock's answer to each operation's request and passes them in the file
named by BENCH_ANSWERS (`write_answers` there: a list of {method, path, status, body}, `path` a
template such as `/sessions/{id}`, `body` None for none), so both servers send the same bytes; the difference is everything the mock
does per request. The bodies are encoded once, at start: the baseline is the framework's floor.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def fixed(status: int, body: Any) -> Response:
    if body is None:
        return Response(status_code=status)
    return Response(json.dumps(body).encode(), status_code=status, media_type="application/json")


def routes(answers: list[dict[str, Any]]) -> list[Route]:
    by_path: dict[str, dict[str, Response]] = defaultdict(dict)
    for answer in answers:
        by_path[answer["path"]][answer["method"].upper()] = fixed(answer["status"], answer["body"])

    def endpoint(responses: dict[str, Response]):
        async def answer(request: Request) -> Response:
            return responses[request.method]
        return answer

    return [Route(path, endpoint(responses), methods=list(responses)) for path, responses in by_path.items()]


with open(os.environ["BENCH_ANSWERS"], encoding="utf-8") as file:
    app = Starlette(routes=routes(json.load(file)))
