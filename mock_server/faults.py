"""Latency and fault injection: how a frontend behaves when the API is slow or failing.

`--latency 50` delays every API answer by 50 ms, `--latency 50-300` by a uniform draw in that
range; `--fault-rate 0.05` answers 5 % of requests with a 500, 502 or 504 in the envelope.
Both draw from one random generator seeded with `--seed`, so a sequence of requests meets the
same delays and failures on every run.

Latency runs right after routing, so forced (`Prefer`) and real errors are slow too; faults
run after the Prefer stage, so an explicitly requested answer is never replaced by a random one.
Docs and admin requests are not affected.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from .envelope import ApiError
from .route import operation_of

FAULTS = {
    500: "Injected fault: the server failed (--fault-rate).",
    502: "Injected fault: an upstream service failed (--fault-rate).",
    504: "Injected fault: an upstream service timed out (--fault-rate).",
}


@dataclass(frozen=True)
class Latency:
    low_ms: float
    high_ms: float

    @classmethod
    def parse(cls, text: str) -> Latency:
        """`50` or `50-300` (milliseconds); ValueError says what is wrong."""
        low, sep, high = text.partition("-")
        try:
            bounds = (float(low), float(high) if sep else float(low))
        except ValueError:
            raise ValueError(f"latency must be milliseconds, like 50 or 50-300, not {text!r}") from None
        if not 0 <= bounds[0] <= bounds[1]:
            raise ValueError(f"latency range must be 0 <= low <= high, not {text!r}")
        return cls(*bounds)

    def draw_seconds(self, rng: random.Random) -> float:
        return rng.uniform(self.low_ms, self.high_ms) / 1000


def parse_fault_rate(text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        rate = -1.0
    if not 0 <= rate <= 1:
        raise ValueError(f"fault rate must be a fraction between 0 and 1, like 0.05, not {text!r}")
    return rate


class LatencyMiddleware:
    def __init__(self, app: ASGIApp, *, latency: Latency, rng: random.Random) -> None:
        self.app = app
        self.latency = latency
        self.rng = rng

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and operation_of(scope) is not None:
            await asyncio.sleep(self.latency.draw_seconds(self.rng))
        await self.app(scope, receive, send)


class FaultMiddleware:
    def __init__(self, app: ASGIApp, *, rate: float, rng: random.Random) -> None:
        self.app = app
        self.rate = rate
        self.rng = rng

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation = operation_of(scope) if scope["type"] == "http" else None
        if operation is not None and self.rng.random() < self.rate:
            # The faults the operation documents (all three, for an API that documents them).
            documented = [status for status in FAULTS if status in operation.statuses] or [500]
            status = self.rng.choice(documented)
            raise ApiError(status, FAULTS[status])
        await self.app(scope, receive, send)
