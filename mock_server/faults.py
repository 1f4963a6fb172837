"""Latency and fault injection: how a frontend behaves when the API is slow or failing.

A latency of 50 ms delays every answer of the API by 50 ms, 50-300 ms by a uniform draw in that
range; a fault rate of 0.05 answers 5 % of requests with a 500, 502 or 504 in the envelope. The
values are the runtime controls' (controls.py: the flags', then whatever the admin API sets),
for the whole API or one operation. Both draw from one random generator seeded with `--seed`,
so a sequence of requests meets the same delays and failures on every run.

Latency is the outermost stage but the access log, and delays the start of the answer: so every
answer of the API is slow, whichever stage gives it (forced `Prefer` errors, real errors, unknown
routes, CORS preflights), and an operation's own latency applies to what its route resolved.
The docs page, the documents and the admin API are never delayed.

Faults run after the Prefer stage, so an explicitly requested answer is never replaced by a
random one. Their timing says what the client misses:
- `before`: the fault is the answer, and nothing happens (not even authentication);
- `after`: the request is carried out, its write included, and its successful answer is lost on
  the way back, replaced by the fault: "the archive happened but the client saw a 504", the case
  idempotent retries exist for. An error answer (nothing happened) is left as it is.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .envelope import ApiError

if TYPE_CHECKING:
    from api_model import Operation

    from .controls import Controls

FAULTS = {
    500: "Injected fault: the server failed.",
    502: "Injected fault: an upstream service failed.",
    504: "Injected fault: an upstream service timed out.",
}
AFTER = " The request was carried out; only its answer was lost."  # said on a fault with timing `after`
MAX_LATENCY_MS = 60_000  # a minute: longer is no latency a UI is tested with


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
        if bounds[1] > MAX_LATENCY_MS:
            raise ValueError(f"latency must be at most {MAX_LATENCY_MS} ms, not {text!r}")
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
    """Delays the start of every answer of the API by its operation's latency (the API's, where
    no operation answers: unknown routes, preflights). `exempt(path)`: never delayed."""

    def __init__(self, app: ASGIApp, *, controls: Controls, rng: random.Random,
                 exempt: Callable[[str], bool]) -> None:
        self.app = app
        self.controls = controls
        self.rng = rng
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.controls.any_latency or self.exempt(scope["path"]):
            await self.app(scope, receive, send)  # nothing to delay: no latency is set, or not the API
            return
        # Made here, so that the route stage, further in, names the operation in this same dict.
        state = scope.setdefault("state", {})

        async def delayed(message: Message) -> None:
            if message["type"] == "http.response.start":
                operation = state.get("operation")
                latency = self.controls.of(operation.operation_id if operation else None).latency
                if latency is not None:
                    await asyncio.sleep(latency.draw_seconds(self.rng))
            await send(message)

        await self.app(scope, receive, delayed)


class Faults:
    def __init__(self, controls: Controls, rng: random.Random) -> None:
        self.controls = controls
        self.rng = rng

    def draw(self, operation: Operation) -> ApiError | None:
        """Whether a fault strikes this request: raised at once if its timing is `before`; if it is
        `after`, the error to answer once the request is carried out (None: no fault)."""
        values = self.controls.of(operation.operation_id)
        # No draw at a rate of 0: the sequence of draws, and so of faults, stays the seed's.
        if not values.fault_rate or self.rng.random() >= values.fault_rate:
            return None
        # The faults the operation documents (all three, for an API that documents them).
        documented = [status for status in FAULTS if status in operation.statuses] or [500]
        status = self.rng.choice(documented)
        if values.fault_timing == "before":
            raise ApiError(status, FAULTS[status])
        return ApiError(status, FAULTS[status] + AFTER)
